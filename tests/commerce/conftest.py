"""Helpers for the commerce tests: events as a shop sends them."""

import itertools

import pytest

from kartoteka.activity import timeline
from kartoteka.commerce.kinds import CustomLabel

_ids = itertools.count(1)


@pytest.fixture(autouse=True)
def _custom_event_types_stay_in_their_test(monkeypatch):
    """A custom event type registers a timeline kind for the whole process; a test's own types
    must not reach the tests after it (which check that every kind is translated)."""
    monkeypatch.setattr(timeline, "_kinds", dict(timeline._kinds))
    monkeypatch.setattr(CustomLabel, "labels", dict(CustomLabel.labels))


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
