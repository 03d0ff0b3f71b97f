"""Reads of users and tokens."""

from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

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


def names_by_username() -> list[tuple[str, str]]:
    """Every user's name by username (a team has few): how a filter on owners names them."""
    return [(user.username, user.display_name) for user in User.objects.all()]


def tokens_of(user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True)


def locked_sign_ins() -> tuple[set[str], list[str]]:
    """Usernames and addresses whose failed sign-ins reached the limit within the lock time.

    (Addresses locked only for wrong API tokens live in the throttle cache, which cannot be
    listed; an admin unlocks those by typing the address.)"""
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    recent = AccessAttempt.objects.filter(attempt_time__gte=since)
    limit = settings.AXES_FAILURE_LIMIT

    def over_limit(field: str) -> list[str]:
        rows = (
            recent.exclude(**{f"{field}__isnull": True})
            .values(field)
            .annotate(failures=Sum("failures_since_start"))
            .filter(failures__gte=limit)
            .order_by(field)
        )
        return [row[field] for row in rows]

    return set(over_limit("username")), over_limit("ip_address")
