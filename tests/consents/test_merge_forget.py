"""Merge keeps both ledgers with the latest consent in force; forget leaves nothing but the
hashed suppression entries."""

from datetime import timedelta

import pytest
from django.utils import timezone

from kartoteka.consents import queries, services
from kartoteka.consents.models import Block, ConsentEntry, ConsentState, Suppression
from kartoteka.duplicates.services import merge_contacts, undo_merge
from kartoteka.privacy.services import forget_contact
from tests.factories import make_contact

pytestmark = pytest.mark.django_db


def _record(actor, contact, status, hours_ago, channel="email"):
    services.record_consent(
        actor,
        contact,
        channel=channel,
        purpose="marketing",
        status=status,
        source="form",
        given_at=timezone.now() - timedelta(hours=hours_ago),
    )


def test_merge_keeps_both_ledgers_and_the_latest_wins(admin, django_capture_on_commit_callbacks):
    survivor, merged = make_contact(admin), make_contact(admin)
    _record(admin, survivor, "granted", 5)
    _record(admin, merged, "withdrawn", 1)
    _record(admin, merged, "granted", 2, channel="sms")
    with django_capture_on_commit_callbacks(execute=True):
        merge_contacts(admin, survivor_id=survivor.pk, merged_ids=[merged.pk])
    assert ConsentEntry.objects.filter(contact=survivor).count() == 3
    assert queries.consent_status(survivor, channel="email", purpose="marketing") == "withdrawn"
    assert queries.consent_status(survivor, channel="sms", purpose="marketing") == "granted"


def test_merge_keeps_the_survivors_later_consent(admin, django_capture_on_commit_callbacks):
    survivor, merged = make_contact(admin), make_contact(admin)
    _record(admin, survivor, "granted", 1)
    _record(admin, merged, "withdrawn", 5)
    with django_capture_on_commit_callbacks(execute=True):
        merge_contacts(admin, survivor_id=survivor.pk, merged_ids=[merged.pk])
    assert queries.consent_status(survivor, channel="email", purpose="marketing") == "granted"


def test_undo_merge_gives_each_contact_its_own_state_back(
    admin, django_capture_on_commit_callbacks
):
    survivor, merged = make_contact(admin), make_contact(admin)
    _record(admin, survivor, "granted", 5)
    _record(admin, merged, "withdrawn", 1)
    with django_capture_on_commit_callbacks(execute=True):
        (record,) = merge_contacts(admin, survivor_id=survivor.pk, merged_ids=[merged.pk])
    with django_capture_on_commit_callbacks(execute=True):
        undo_merge(admin, record)
    assert queries.consent_status(survivor, channel="email", purpose="marketing") == "granted"
    statuses = queries.consent_statuses([merged.pk], channel="email", purpose="marketing")
    assert statuses == {merged.pk: "withdrawn"}


def test_merge_keeps_a_block_of_either(admin, django_capture_on_commit_callbacks):
    survivor, merged = make_contact(admin), make_contact(admin)
    services.block_contact(admin, merged, blocked=True, reason="Chargebacks")
    with django_capture_on_commit_callbacks(execute=True):
        merge_contacts(admin, survivor_id=survivor.pk, merged_ids=[merged.pk])
    assert queries.is_blocked(survivor)


def test_forget_leaves_only_hashed_suppression(admin):
    contact = make_contact(admin, email="olga@example.com", phone="+34 612 345 678")
    _record(admin, contact, "granted", 2)
    services.block_contact(admin, contact, blocked=True, reason="Asked by olga@example.com")
    forget_contact(admin, contact)
    assert not ConsentEntry.objects.exists()
    assert not ConsentState.objects.exists()
    assert not Block.objects.exists()
    assert set(Suppression.objects.values_list("channel", "reason")) == {
        ("email", "forget"),
        ("sms", "forget"),
        ("phone", "forget"),
    }
    assert queries.is_suppressed("olga@example.com")
    assert queries.is_suppressed("+34612345678", channel="sms")


def test_forget_takes_the_person_out_of_other_contacts_proof(admin):
    person = make_contact(admin, email="olga@example.com")
    other = make_contact(admin)
    services.record_consent(
        admin,
        other,
        channel="email",
        purpose="marketing",
        status="granted",
        source="staff",
        proof={"where": "Referred by olga@example.com"},
    )
    forget_contact(admin, person)
    assert "olga@example.com" not in ConsentEntry.objects.get(contact=other).proof["where"]
