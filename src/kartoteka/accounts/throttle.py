"""Failed API-token attempts counted per address in the shared "throttle" cache.

After KARTOTEKA_SIGN_IN_FAILURE_LIMIT failures within the lock window, the address is
refused (even with a valid token) until KARTOTEKA_SIGN_IN_LOCK_MINUTES have passed or an
admin unlocks it.
"""

import time

from django.conf import settings
from django.core.cache import caches


class AddressLocked(Exception):
    """Too many failed tokens came from this address; answer 429 with Retry-After."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"locked for {retry_after} s")
        self.retry_after = retry_after


def _cache():
    return caches["throttle"]


def _failures_key(address: str) -> str:
    return f"kartoteka:token-failures:{address}"


def _lock_key(address: str) -> str:
    return f"kartoteka:token-lock:{address}"


def _lock_seconds() -> int:
    return settings.KARTOTEKA_SIGN_IN_LOCK_MINUTES * 60


def seconds_locked(address: str) -> int:
    """How many more seconds `address` is refused; 0 when it is not locked."""
    until = _cache().get(_lock_key(address))
    if until is None:
        return 0
    return max(1, int(until - time.time() + 0.999))


def record_failure(address: str) -> int:
    """Count one failed token from `address`; lock it at the limit. Returns the count."""
    cache = _cache()
    key = _failures_key(address)
    cache.add(key, 0, timeout=_lock_seconds())
    try:
        failures = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=_lock_seconds())
        failures = 1
    if failures >= settings.KARTOTEKA_SIGN_IN_FAILURE_LIMIT:
        cache.set(_lock_key(address), time.time() + _lock_seconds(), timeout=_lock_seconds())
    return failures


def unlock(address: str) -> bool:
    """Forget the failures of `address`; True when it was locked."""
    cache = _cache()
    was_locked = cache.get(_lock_key(address)) is not None
    cache.delete_many([_lock_key(address), _failures_key(address)])
    return was_locked
