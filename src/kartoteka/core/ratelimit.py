"""Rate limits for public doors (subscription and web forms, the tracking collector, members'
sign-in): requests counted per key in the shared "throttle" cache by django-ratelimit, so every
web process sees the same counts."""

from collections.abc import Callable

from django.http import HttpRequest
from django_ratelimit.core import is_ratelimited


def over_limit(request: HttpRequest, *, group: str, rate: str, key: str | Callable = "ip") -> bool:
    """Count this request for `group` (e.g. "mailing.subscribe") under `key` — "ip", "post:email"
    or a callable(group, request) — and say whether it is over `rate` ("20/m", "5/h"). Keys are
    hashed by django-ratelimit before they reach the cache, so no address is stored."""
    return is_ratelimited(request, group=group, key=key, rate=rate, increment=True)
