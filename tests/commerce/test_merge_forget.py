"""Merge and forget: events, totals and coupons end on the survivor and add up, undo brings
them back; a forgotten contact's events keep their value and nothing that identifies them."""

import pytest

from kartoteka.commerce import services
from kartoteka.commerce.models import ContactKey, Coupon, ExternalEvent, Totals
from kartoteka.core.scope import SYSTEM
from kartoteka.duplicates import services as duplicates
from kartoteka.privacy import services as privacy
from tests.commerce.conftest import purchase
from tests.factories import make_contact

pytestmark = pytest.mark.django_db(transaction=True)


def _merge(admin, survivor, merged):
    return duplicates.merge_contacts(admin, survivor_id=survivor.pk, merged_ids=[merged.pk])


def test_merge_moves_events_coupons_and_adds_totals_up(admin):
    survivor, merged = make_contact(), make_contact()
    services.record_events(
        SYSTEM, [purchase(survivor, value="10.00"), purchase(merged, value="5.00")]
    )
    services.add_coupon(admin, merged, data={"code": "WELCOME10"})
    _merge(admin, survivor, merged)
    assert ExternalEvent.objects.filter(contact=survivor).count() == 2
    assert Coupon.objects.get().contact_id == survivor.pk
    kept = Totals.objects.get(contact=survivor)
    assert (kept.total, kept.transactions) == (1500, 2)


def test_undo_merge_gives_each_contact_its_own_totals_back(admin):
    survivor, merged = make_contact(), make_contact()
    services.record_events(
        SYSTEM, [purchase(survivor, value="10.00"), purchase(merged, value="5.00")]
    )
    (record,) = _merge(admin, survivor, merged)
    duplicates.undo_merge(admin, record)
    assert Totals.objects.get(contact=survivor).total == 1000
    assert Totals.objects.get(contact_id=merged.pk).total == 500
    assert ExternalEvent.objects.filter(contact_id=merged.pk).count() == 1


def test_forget_keeps_the_value_and_nothing_that_identifies_the_person(admin):
    contact = make_contact()
    event = purchase(contact, value="42.00", location="Shop Gran Vía", coupon="ANA10")
    event["contact"]["external_id"] = "cust-ana"
    event["details"] = {"note": "gift for Ana"}
    services.record_events(SYSTEM, [event])
    services.add_coupon(admin, contact, data={"code": "ANA10"})
    privacy.forget_contact(admin, contact)
    kept = ExternalEvent.objects.get()
    assert kept.contact_id is None and kept.client_id is None
    assert (kept.value, kept.type) == (42, "purchase")
    assert (kept.location, kept.coupon, kept.details) == ("", "", {})
    assert not Coupon.objects.exists()
    assert not Totals.objects.exists()
    assert not ContactKey.objects.exists()


def test_data_export_holds_the_contacts_coupons_and_events(admin):
    import json

    from kartoteka.privacy.queries import contact_data

    contact = make_contact()
    services.record_events(SYSTEM, [purchase(contact, value="8.00", order="EXPORT-1")])
    services.add_coupon(admin, contact, data={"code": "EXPORTME"})
    document = json.dumps(contact_data(admin, contact.pk).document, default=str)
    assert "EXPORTME" in document and "EXPORT-1" in document
