"""Rate limits for public doors (subscription and web forms, the tracking collector, members'
sign-in): requests counted per key in the shared "throttle" cache by django-ratelimit, so every
web process sees the same counts; or, for a door hit on every page view of a tracked site,
counted in the process itself, where a shared count would cost more than the hit."""

import hashlib
import threading
import time
from collections.abc import Callable

from django.http import HttpRequest
from django_ratelimit.core import get_usage, is_ratelimited

from kartoteka.core.addresses import client_address

# The units of django-ratelimit's rates ("600/m"), in seconds.
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class _FixedWindows:
    """Counts per key in fixed windows, in this process. Not the `limits` package's memory
    storage: it starts a timer thread every 10 ms of traffic, which under load cost the
    collector several milliseconds a hit. Windows that have ended are dropped as a new one
    begins, so the counts stay as small as the addresses of one window."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, int, int], int] = {}
        self._window_ends: dict[int, int] = {}  # window length → when its current window ends

    def hit(self, key: str, *, limit: int, seconds: int) -> bool:
        """Count one request under `key`; False once more than `limit` came in this window."""
        now = int(time.time())
        window = now // seconds
        with self._lock:
            if self._window_ends.get(seconds, 0) <= now:
                self._counts = {k: n for k, n in self._counts.items() if k[1] != seconds}
                self._window_ends[seconds] = (window + 1) * seconds
            counted = self._counts.get((key, seconds, window), 0) + 1
            self._counts[(key, seconds, window)] = counted
        return counted <= limit

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()
            self._window_ends.clear()


_counts_here = _FixedWindows()


def over_limit(request: HttpRequest, *, group: str, rate: str, key: str | Callable = "ip") -> bool:
    """Count this request for `group` (e.g. "mailing.subscribe") under `key` — "ip", "post:email"
    or a callable(group, request) — and say whether it is over `rate` ("20/m", "5/h"). Keys are
    hashed by django-ratelimit before they reach the cache, so no address is stored."""
    return is_ratelimited(request, group=group, key=key, rate=rate, increment=True)


def failures_left_wait(request: HttpRequest, *, group: str, rate: str, key: Callable) -> int:
    """For doors that count failures only (members' sign-in): the seconds until `key` may try
    again once it has had `rate` failures in the window, else 0. Counts nothing."""
    usage = get_usage(request, group=group, key=key, rate=rate, increment=False)
    if usage is None or usage["count"] < usage["limit"]:
        return 0
    return max(1, int(usage["time_left"]))


def count_failure(request: HttpRequest, *, group: str, rate: str, key: Callable) -> None:
    """Count one failure of `key` for `group` (see failures_left_wait)."""
    get_usage(request, group=group, key=key, rate=rate, increment=True)


def over_address_limit_here(request: HttpRequest, *, group: str, rate: str) -> bool:
    """Count this request for `group` under its client address in this process alone, and say
    whether it is over `rate`. With N web processes an address gets up to N times the rate: the
    point is to stop a flood, at no cost to each request. The address is hashed."""
    address = hashlib.sha256(client_address(request).encode()).hexdigest()[:32]
    count, _slash, unit = rate.partition("/")
    return not _counts_here.hit(f"{group}:{address}", limit=int(count), seconds=_SECONDS[unit])


def forget_counts_here() -> None:
    """Start this process's counts afresh (tests)."""
    _counts_here.reset()
