"""Helpers for the commerce tests: events as a shop sends them."""

import itertools

_ids = itertools.count(1)


def purchase(contact, *, value="10.00", when="2026-01-10T12:00:00+00:00", **extra):
    """A purchase event naming the contact by id (or by e-mail when given a string)."""
    ref = {"email": contact} if isinstance(contact, str) else {"id": contact.pk}
    return {
        "id": f"ev-{next(_ids)}",
        "contact": ref,
        "type": extra.pop("type", "purchase"),
        "occurred_at": when,
        "value": value,
        **extra,
    }
