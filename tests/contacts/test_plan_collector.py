"""A bulk batch of the write plan is written with Python's cyclic garbage collector paused (its
full passes over the batch's objects cost more than the writing) and on again afterwards."""

import gc

import pytest

from kartoteka.contacts import bulk
from kartoteka.contacts.bulk import BulkOptions, clean_row, upsert_contacts
from kartoteka.contacts.models import Contact
from kartoteka.core.scope import SYSTEM, system_label

pytestmark = pytest.mark.django_db


def _batch(*emails: str) -> list:
    return [(n, clean_row({"email": email}, {})) for n, email in enumerate(emails, 1)]


def _options() -> BulkOptions:
    return BulkOptions(actor=SYSTEM, label=system_label(SYSTEM))


@pytest.fixture
def collector_seen(monkeypatch):
    """Whether the collector was on each time a batch's plan ran."""
    seen: list[bool] = []
    run = bulk.run_bulk

    def watched(plan):
        seen.append(gc.isenabled())
        return run(plan)

    monkeypatch.setattr(bulk, "run_bulk", watched)
    return seen


def test_a_batch_is_written_with_the_collector_paused_and_turned_on_again(collector_seen):
    assert gc.isenabled()
    result = upsert_contacts(_batch("ana@example.com", "ola@example.com"), _options())
    assert collector_seen == [False]
    assert gc.isenabled()
    assert len(result.created) == 2 and Contact.objects.count() == 2


def test_the_collector_is_on_again_after_a_batch_that_fails(monkeypatch):
    def failing(plan):
        raise RuntimeError("disk full")

    monkeypatch.setattr(bulk, "run_bulk", failing)
    with pytest.raises(RuntimeError):
        upsert_contacts(_batch("ana@example.com"), _options())
    assert gc.isenabled()


def test_a_collector_turned_off_by_the_caller_stays_off(collector_seen):
    gc.disable()
    try:
        upsert_contacts(_batch("ana@example.com"), _options())
        assert not gc.isenabled()
    finally:
        gc.enable()
    assert collector_seen == [False]
