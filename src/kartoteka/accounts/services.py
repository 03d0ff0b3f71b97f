"""Writes to users, tokens and workspace settings."""

import hashlib
import ipaddress
import secrets

from axes.utils import reset as reset_sign_in_failures
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kartoteka.accounts import throttle
from kartoteka.accounts.models import ApiToken, Role, User, WorkspaceSettings
from kartoteka.core.errors import Conflict, ErrorCollector, Forbidden, InvalidInput, NotFound
from kartoteka.core.normalise import clean_text
from kartoteka.core.scope import SystemActor, require_actor

TOKEN_PREFIX = "kt_"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _require_admin(actor: User | SystemActor) -> None:
    if not require_actor(actor).is_admin:
        raise Forbidden(_("Only admins may manage users."))


@transaction.atomic
def create_user(
    actor: User | SystemActor,
    *,
    username: str,
    role: str,
    password: str | None = None,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
) -> User:
    """Create a team member. `actor` None means the system (CLI, first set-up)."""
    _require_admin(actor)
    errors = ErrorCollector()
    username = clean_text(username, field="username", max_length=150)
    if not username:
        errors.add("username", _("Enter a username."))
    elif User.objects.filter(username__iexact=username).exists():
        errors.add(
            "username", _("The username %(username)s is taken.") % {"username": repr(username)}
        )
    if role not in Role.values:
        errors.add(
            "role",
            _("Role must be one of: %(join_role_values)s.")
            % {"join_role_values": ", ".join(Role.values)},
        )
    if password:
        try:
            validate_password(password)
        except ValidationError as exc:
            for message in exc.messages:
                errors.add("password", message)
    errors.raise_if_any()
    user = User(
        username=username,
        role=role,
        email=email,
        first_name=first_name,
        last_name=last_name,
        is_staff=role == Role.ADMIN,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    return user


@transaction.atomic
def set_password(actor: User | SystemActor, user: User, *, password: str) -> User:
    """Give `user` a new password; admins may do it for anyone, others only for themselves."""
    if require_actor(actor) != user and not actor.is_admin:
        raise Forbidden(_("You may only change your own password."))
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise InvalidInput(errors={"password": exc.messages}) from None
    user.set_password(password)
    user.save(update_fields=["password"])
    return user


@transaction.atomic
def change_role(actor: User, user: User, *, role: str) -> User:
    _require_admin(actor)
    if role not in Role.values:
        raise InvalidInput(
            "role",
            _("Role must be one of: %(join_role_values)s.")
            % {"join_role_values": ", ".join(Role.values)},
        )
    if user.role == Role.ADMIN and role != Role.ADMIN and _last_active_admin(user):
        raise Conflict(_("The last active admin cannot lose the admin role."), field="role")
    user.role = role
    user.is_staff = role == Role.ADMIN
    user.save(update_fields=["role", "is_staff"])
    return user


@transaction.atomic
def set_user_active(actor: User, user: User, *, active: bool) -> User:
    _require_admin(actor)
    if not active and user.role == Role.ADMIN and _last_active_admin(user):
        raise Conflict(_("The last active admin cannot be deactivated."), field="is_active")
    user.is_active = active
    user.save(update_fields=["is_active"])
    return user


def _last_active_admin(user: User) -> bool:
    return not User.objects.filter(role=Role.ADMIN, is_active=True).exclude(pk=user.pk).exists()


@transaction.atomic
def create_token(actor: User | SystemActor, user: User, *, name: str = "") -> tuple[ApiToken, str]:
    """Create a token for `user`; return the row and the plain token, which is never stored."""
    if require_actor(actor) != user and not actor.is_admin:
        raise Forbidden(_("You may only create tokens for yourself."))
    secret = secrets.token_urlsafe(32)
    token = f"{TOKEN_PREFIX}{secret}"
    row = ApiToken.objects.create(
        user=user,
        name=clean_text(name, field="name", max_length=100),
        prefix=token[:10],
        key_hash=hash_token(token),
    )
    return row, token


@transaction.atomic
def revoke_token(actor: User, token: ApiToken) -> None:
    if token.user_id != actor.pk and not actor.is_admin:
        raise NotFound(_("No such token."))
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])


def authenticate_token(token: str) -> User | None:
    """The active user a bearer token belongs to, or None."""
    if not token or not token.startswith(TOKEN_PREFIX):
        return None
    row = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=hash_token(token), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if row is None:
        return None
    now = timezone.now()
    # Touch at most once a minute so reads do not turn into writes on every request.
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user


@transaction.atomic
def update_preferences(actor: User, *, changes: dict) -> dict:
    """Merge `changes` into the actor's UI preferences (columns, dashboard layout, …)."""
    if not isinstance(changes, dict):
        raise InvalidInput("preferences", _("Preferences must be an object."))
    user = User.objects.select_for_update().get(pk=actor.pk)
    user.preferences = {**(user.preferences or {}), **changes}
    user.save(update_fields=["preferences"])
    actor.preferences = user.preferences
    return user.preferences


@transaction.atomic
def set_default_owner(actor: User, *, owner: User | None) -> WorkspaceSettings:
    _require_admin(actor)
    if owner is not None and not owner.is_active:
        raise InvalidInput("default_owner", _("The default owner must be an active user."))
    workspace = WorkspaceSettings.load()
    workspace.default_owner = owner
    workspace.save(update_fields=["default_owner"])
    return workspace


def unlock_sign_in(actor: User | SystemActor, *, username: str = "", address: str = "") -> int:
    """Forget the failed sign-ins of an account, or the failed sign-ins and API tokens of an
    address, so it may try again at once. Returns how many lock records were removed."""
    _require_admin(actor)
    username = (username or "").strip()
    address = (address or "").strip()
    if not username and not address:
        raise InvalidInput("username", _("Name the account or the address to unlock."))
    removed = 0
    if username:
        removed += reset_sign_in_failures(username=username)
    if address:
        try:
            address = str(ipaddress.ip_address(address))
        except ValueError:
            raise InvalidInput(
                "address", _("%(address)s is not an IP address.") % {"address": address}
            ) from None
        removed += reset_sign_in_failures(ip=address)
        removed += int(throttle.unlock(address))
    return removed
