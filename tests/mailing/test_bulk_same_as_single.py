"""Subscribing a segment in bulk writes what subscribing its contacts one at a time writes:
the same subscriptions, timeline entries, recency ladder, last-activity times and queued
confirmations, whatever each contact's consent, block, suppression or earlier subscription."""

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone
from freezegun import freeze_time

from kartoteka.activity import services as timeline
from kartoteka.activity.models import Activity
from kartoteka.consents import services as consent_services
from kartoteka.contacts.models import Contact
from kartoteka.core.scope import SYSTEM
from kartoteka.mailing import services
from kartoteka.mailing.models import OutgoingEmail, Subscription, SubscriptionSource
from kartoteka.segments.models import ActivityRecency
from tests.factories import make_contact
from tests.mailing.helpers import grant

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 7, 9, 30, tzinfo=dt.UTC)


@pytest.fixture
def audience(newsletter):
    """Contacts in every state subscribing can meet, some with a long subscription history."""
    people = {name: make_contact() for name in ("granted", "none", "blocked", "suppressed")}
    grant(people["granted"])
    consent_services.block_contact(SYSTEM, people["blocked"], blocked=True, reason="spam")
    consent_services.suppress(people["suppressed"].email.upper(), reason="unsubscribe")
    for name in ("subscribed", "pending", "unsubscribed", "history"):
        people[name] = make_contact()
    grant(people["subscribed"])
    services.subscribe_contacts(SYSTEM, newsletter, contact_ids=[people["subscribed"].pk])
    services.subscribe_contacts(SYSTEM, newsletter, contact_ids=[people["pending"].pk])
    services.subscribe_contacts(SYSTEM, newsletter, contact_ids=[people["unsubscribed"].pk])
    services.remove_subscriber(SYSTEM, newsletter, people["unsubscribed"])
    for days in range(12):
        timeline.record(
            people["history"],
            "list_pending",
            occurred_at=timezone.now() - dt.timedelta(days=days + 1),
        )
    return people


def _written(mailing_list) -> dict:
    """Everything subscribing writes, without ids and random message ids."""
    return {
        "subscriptions": sorted(
            Subscription.objects.filter(mailing_list=mailing_list).values_list(
                "contact_id", "status", "source", "status_at"
            )
        ),
        "timeline": sorted(
            (a.contact_id, a.kind, a.occurred_at, a.actor_id, a.actor_label, str(a.payload))
            for a in Activity.objects.all()
        ),
        "ladder": sorted(
            ActivityRecency.objects.values_list("contact_id", "kind", "rank", "occurred_at")
        ),
        "last_activity": sorted(Contact.objects.values_list("pk", "last_activity_at")),
        "emails": sorted(
            OutgoingEmail.objects.values_list("contact_id", "to_address", "kind", "mailing_list_id")
        ),
    }


def test_bulk_subscribe_writes_what_one_at_a_time_writes(newsletter, audience, monkeypatch):
    # Every batch counts as large, so the bulk forms run (the timeline's included).
    monkeypatch.setattr(timeline, "BULK_FROM", 1)
    ids = sorted(contact.pk for contact in audience.values())
    with freeze_time(NOW), transaction.atomic():
        bulk = services.subscribe_matching(
            SYSTEM, newsletter, document={"all": []}, double_opt_in=True
        )
        in_bulk = _written(newsletter)
        transaction.set_rollback(True)
    one_by_one = services.SubscribeResult()
    with freeze_time(NOW):
        for contact_id in ids:
            one_by_one.add(
                services.subscribe_contacts(
                    SYSTEM,
                    newsletter,
                    contact_ids=[contact_id],
                    double_opt_in=True,
                    source=SubscriptionSource.FILTER,
                )
            )
    assert bulk.as_dict() == one_by_one.as_dict()
    assert bulk.as_dict() == {
        "subscribed": 1,
        "pending": 3,
        "already": 2,
        "refused": {"blocked": 1, "suppressed": 1},
    }
    assert in_bulk == _written(newsletter)
