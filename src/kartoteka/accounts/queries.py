"""Reads of users and tokens."""

from django.db.models import Q, QuerySet

from kartoteka.accounts.models import ApiToken, User


def active_users() -> QuerySet[User]:
    return User.objects.filter(is_active=True).order_by("username")


def users_by_username(usernames: list[str]) -> dict[str, User]:
    """Active users keyed by their case-folded username."""
    if not usernames:
        return {}
    query = Q()
    for name in usernames:
        query |= Q(username__iexact=name)
    return {u.username.casefold(): u for u in User.objects.filter(query, is_active=True)}


def tokens_of(user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True)
