"""Consents in the contact list's columns, in exports, on the timeline and in the contact's
data-export ZIP."""

import io
import json
import zipfile

import pytest
from django.urls import reverse

from kartoteka.activity.models import Activity
from kartoteka.consents import services
from kartoteka.contacts.models import Contact
from kartoteka.core.scope import SYSTEM
from kartoteka.transfer import queries as transfer_queries
from tests.factories import make_contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(admin, sales):
    contact = make_contact(admin, email="eva@example.com", owners=[sales])
    services.record_consent(
        admin,
        contact,
        channel="email",
        purpose="marketing",
        status="granted",
        source="form",
        proof={"ip": "198.51.100.7"},
    )
    services.block_contact(admin, contact, blocked=True, reason="Disputed invoices")
    return contact


def test_export_has_consent_and_blocked_columns(person):
    other = make_contact()
    contacts = Contact.objects.filter(pk__in=[person.pk, other.pk])
    header, rows = transfer_queries.export_table(
        contacts, ["email", "consent.email", "consent.sms", "blocked"], labels=False
    )
    assert header == ["email", "consent.email", "consent.sms", "blocked"]
    assert list(rows) == [
        ["eva@example.com", "granted", "none", "yes"],
        [other.email, "none", "none", "no"],
    ]


def test_list_shows_the_chosen_consent_column(client, sales, person):
    client.force_login(sales)
    client.post(reverse("web:list-columns"), {"columns": ["email", "consent.email", "blocked"]})
    response = client.get("/contacts/")
    body = response.content.decode()
    assert [c.key for c in response.context["page"].columns] == [
        "email",
        "consent.email",
        "blocked",
    ]
    assert "Granted" in body
    assert "Blocked" in body


def test_timeline_records_who_blocked_and_why(admin, person):
    entry = Activity.objects.get(contact=person, kind="contact_blocked")
    assert entry.actor_id == admin.pk
    assert entry.payload == {"reason": "Disputed invoices"}


def test_timeline_entry_of_a_consent_is_at_the_time_it_was_given(person):
    entry = Activity.objects.get(contact=person, kind="consent_granted")
    assert entry.payload["channel"] == "email"
    assert entry.payload["source"] == "form"


def test_data_export_zip_holds_the_ledger_state_and_block(sales_api, person):
    response = sales_api.get(f"/api/v1/contacts/{person.pk}/export")
    document = json.loads(zipfile.ZipFile(io.BytesIO(response.content)).read("data.json"))
    records = document["records"]
    (entry,) = records["consents.ConsentEntry"]
    assert entry["status"] == "granted"
    assert entry["proof"] == {"ip": "198.51.100.7"}
    assert records["consents.ConsentState"][0]["status"] == "granted"
    assert records["consents.Block"][0]["reason"] == "Disputed invoices"


def test_unblocking_leaves_both_entries_on_the_timeline(admin, person):
    services.block_contact(SYSTEM, person, blocked=False, reason="Paid")
    kinds = list(
        Activity.objects.filter(contact=person, kind__startswith="contact_").values_list(
            "kind", flat=True
        )
    )
    assert sorted(kinds) == ["contact_blocked", "contact_unblocked"]
