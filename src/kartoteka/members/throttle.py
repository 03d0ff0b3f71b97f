"""Members' sign-in throttled like the team's (django-axes there): failures counted per
account (the folded address) and per client address in the shared "throttle" cache
(django-ratelimit hashes both keys); at KARTOTEKA_SIGN_IN_FAILURE_LIMIT failures within
KARTOTEKA_SIGN_IN_LOCK_MINUTES, either is refused until the window ends."""

from django.conf import settings
from django.http import HttpRequest

from kartoteka.core import ratelimit
from kartoteka.core.addresses import client_address
from kartoteka.core.normalise import fold_email


def _rate() -> str:
    return f"{settings.KARTOTEKA_SIGN_IN_FAILURE_LIMIT}/{settings.KARTOTEKA_SIGN_IN_LOCK_MINUTES}m"


def _keys(email: str) -> list[tuple[str, object]]:
    folded = fold_email(email.strip()) if isinstance(email, str) else ""
    keys: list[tuple[str, object]] = [
        ("members.sign_in.ip", lambda _group, request: client_address(request))
    ]
    if folded:
        keys.append(("members.sign_in.account", lambda _group, _request: folded))
    return keys


def seconds_locked(request: HttpRequest, email: str) -> int:
    """How long this address or account must wait; 0 when it may try."""
    return max(
        (
            ratelimit.failures_left_wait(request, group=group, key=key, rate=_rate())
            for group, key in _keys(email)
        ),
        default=0,
    )


def failed(request: HttpRequest, email: str) -> None:
    for group, key in _keys(email):
        ratelimit.count_failure(request, group=group, key=key, rate=_rate())
