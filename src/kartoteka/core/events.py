"""Domain events: announced by services, delivered to subscribers after the transaction commits.

Side effects (automation, webhooks, counters) subscribe here instead of using Django signals, so
a rolled-back write never triggers them.
"""

import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)

Subscriber = Callable[..., None]
_subscribers: dict[str, list[Subscriber]] = defaultdict(list)


def subscribe(event: str, handler: Subscriber) -> None:
    if handler not in _subscribers[event]:
        _subscribers[event].append(handler)


def unsubscribe(event: str, handler: Subscriber) -> None:
    if handler in _subscribers[event]:
        _subscribers[event].remove(handler)


def publish(event: str, **payload: Any) -> None:
    """Deliver `event` to its subscribers once the current transaction commits."""
    publish_many(event, [payload])


def publish_many(event: str, payloads: list[dict[str, Any]]) -> None:
    """Deliver `event` once per payload after the commit, with one commit hook for all of them
    (a bulk write announcing thousands of contacts)."""

    def deliver() -> None:
        handlers = list(_subscribers[event]) + list(_subscribers["*"])
        for payload in payloads:
            for handler in handlers:
                try:
                    handler(event=event, **payload)
                except Exception:  # one faulty subscriber must not break the others
                    logger.exception("subscriber %r failed on %s", handler, event)

    transaction.on_commit(deliver)
