"""Subscribing many contacts outside a transaction writes its batches side by side on
PostgreSQL (core.bulkload.side_by_side), each on a connection of its own: the outcome is what
writing them one after the other gives, whatever each contact's consent, block or suppression."""

import threading

import pytest
from django.db import connection, transaction

from kartoteka.activity.models import Activity
from kartoteka.consents import services as consent_services
from kartoteka.core.scope import SYSTEM
from kartoteka.mailing import services
from kartoteka.mailing.models import OutgoingEmail, Subscription
from tests.factories import make_contact
from tests.mailing.helpers import grant

pytestmark = pytest.mark.django_db(transaction=True)


def _outcome(mailing_list) -> dict:
    rows = Subscription.objects.filter(mailing_list=mailing_list)
    entries = Activity.objects.filter(kind__startswith="list_", payload__list=mailing_list.name)
    return {
        "subscriptions": sorted(rows.values_list("contact_id", "status", "source")),
        "timeline": sorted(entries.values_list("contact_id", "kind")),
        "confirmations": sorted(
            OutgoingEmail.objects.filter(mailing_list=mailing_list).values_list(
                "contact_id", "kind"
            )
        ),
    }


def test_batches_side_by_side_write_what_one_after_the_other_writes(monkeypatch):
    people = [make_contact() for _ in range(40)]
    for n, contact in enumerate(people):
        if n % 3 == 0:
            grant(contact)
        if n % 10 == 4:
            consent_services.block_contact(SYSTEM, contact, blocked=True, reason="spam")
        if n % 10 == 7:
            consent_services.suppress(contact.email, reason="unsubscribe")
    lists = [
        services.create_list(
            SYSTEM, data={"key": key, "name": key.title(), "language": "en", "double_opt_in": True}
        )
        for key in ("parallel", "serial")
    ]
    monkeypatch.setattr(services, "BATCH", 6)
    threads: set[str] = set()
    decide = services._decide

    def watched_decide(*args, **kwargs):
        threads.add(threading.current_thread().name)
        return decide(*args, **kwargs)

    monkeypatch.setattr(services, "_decide", watched_decide)
    ids = [c.pk for c in people]
    side_by_side = services.subscribe_contacts(SYSTEM, lists[0], contact_ids=ids)
    if connection.vendor == "postgresql":
        assert all(name.startswith("kartoteka-batch") for name in threads), threads
    threads.clear()
    with transaction.atomic():  # inside a transaction: one batch after the other
        serial = services.subscribe_contacts(SYSTEM, lists[1], contact_ids=ids)
    assert threads == {threading.current_thread().name}

    assert side_by_side.as_dict() == serial.as_dict()
    assert side_by_side.subscribed == 12 and side_by_side.refused
    assert _outcome(lists[0]) == _outcome(lists[1])
