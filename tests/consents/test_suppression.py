"""Suppression: after an unsubscribe, a withdrawal or a forget, the address is kept from being
contactable again through import or the API without new consent; the entry is a hash."""

import hashlib

import pytest

from kartoteka.consents import queries, services
from kartoteka.consents.models import Suppression
from kartoteka.contacts.models import Contact
from kartoteka.core.scope import SYSTEM
from kartoteka.privacy.services import forget_contact
from tests.factories import make_contact
from tests.transfer.helpers import run, write

pytestmark = pytest.mark.django_db

ADDRESS = "Zofia.Nowak@Example.com"


def _grant(api, contact_id, source="api"):
    return api.post(
        f"/api/v1/contacts/{contact_id}/consents",
        {"channel": "email", "purpose": "marketing", "status": "granted", "source": source},
    )


def _after_unsubscribe(admin):
    services.suppress(ADDRESS, reason="unsubscribe")


def _after_withdrawal(admin):
    contact = make_contact(admin, email=ADDRESS)
    services.record_consent(
        admin, contact, channel="email", purpose="marketing", status="withdrawn", source="form"
    )
    Contact.objects.filter(pk=contact.pk).delete()  # gone from the CRM, the address stays


def _after_forget(admin):
    forget_contact(admin, make_contact(admin, email=ADDRESS))


WAYS_OUT = [_after_unsubscribe, _after_withdrawal, _after_forget]


@pytest.mark.parametrize("way_out", WAYS_OUT)
def test_api_upsert_then_api_grant_is_refused(admin, admin_api, way_out):
    way_out(admin)
    response = admin_api.client.put(
        f"/api/v1/contacts/by-email/{ADDRESS.lower()}",
        {"first_name": "Zofia"},
        content_type="application/json",
    )
    assert response.status_code == 201
    contact_id = response.json()["id"]
    assert queries.is_suppressed(ADDRESS)
    assert _grant(admin_api, contact_id).status_code == 409
    assert queries.consent_statuses([contact_id], channel="email", purpose="marketing") == {
        contact_id: "none"
    }


@pytest.mark.parametrize("way_out", WAYS_OUT)
def test_import_then_bulk_grant_from_the_import_is_refused(admin, tmp_path, way_out):
    way_out(admin)
    run(admin, write(tmp_path, "people.csv", f"email,first_name\n{ADDRESS},Zofia\n"))
    contact = Contact.objects.get(email__iexact=ADDRESS)
    assert queries.is_suppressed(contact.email)
    result = services.record_consents(
        SYSTEM,
        [services.ConsentItem(contact.pk, "email", "marketing", "granted", "import")],
    )
    assert result.refused.keys() == {contact.pk}
    assert queries.consent_status(contact, channel="email", purpose="marketing") == "none"


def test_new_consent_through_a_form_lifts_it(admin, admin_api):
    _after_forget(admin)
    contact = make_contact(admin, email=ADDRESS)
    assert _grant(admin_api, contact.pk, source="double_opt_in").status_code == 201
    assert not queries.is_suppressed(ADDRESS)


def test_suppression_holds_only_a_hash_of_the_folded_address(admin):
    _after_forget(admin)
    (entry,) = Suppression.objects.filter(channel="email")
    assert entry.address_hash == hashlib.sha256(ADDRESS.casefold().encode()).hexdigest()
    assert entry.reason == "forget"


def test_suppressed_among_names_the_addresses_as_given(admin):
    services.suppress("ana@example.com", reason="bounce")
    assert queries.suppressed_among(["ANA@example.com", "eva@example.com", "not an address"]) == {
        "ANA@example.com"
    }


def test_a_phone_withdrawal_suppresses_the_number_for_sms(admin):
    contact = make_contact(admin, phone="+48 601 234 567")
    services.record_consent(
        admin, contact, channel="sms", purpose="marketing", status="withdrawn", source="api"
    )
    assert queries.is_suppressed("+48601234567", channel="sms")
    assert not queries.is_suppressed("+48601234567", channel="phone")


def test_unknown_reason_is_refused():
    from kartoteka.core.errors import InvalidInput

    with pytest.raises(InvalidInput):
        services.suppress("ana@example.com", reason="because")


def test_api_and_card_say_the_address_is_suppressed(admin, admin_api, client):
    contact = make_contact(admin, email=ADDRESS)
    services.suppress(ADDRESS, reason="unsubscribe")
    body = admin_api.get(f"/api/v1/contacts/{contact.pk}/consents").json()
    assert body["suppressed"] == ["email"]
    client.force_login(admin)
    section = client.get(f"/contacts/{contact.pk}/sections/consents/").content.decode()
    assert "Suppressed on E-mail" in section


def test_email_checks_read_blocks_suppressions_and_consents_of_a_batch_in_one_query(
    admin, django_assert_num_queries
):
    granted, withdrawn, blocked, suppressed, plain = (
        make_contact(admin, email=f"{name}@example.com")
        for name in ("granted", "withdrawn", "blocked", "Suppressed", "plain")
    )
    for contact, status in ((granted, "granted"), (withdrawn, "withdrawn")):
        services.record_consent(
            admin, contact, channel="email", purpose="marketing", status=status, source="form"
        )
    services.block_contact(admin, blocked, blocked=True, reason="spam")
    services.suppress("SUPPRESSED@example.com", reason="unsubscribe")
    batch = [(c.pk, c.email) for c in (granted, withdrawn, blocked, suppressed, plain)]
    with django_assert_num_queries(1):
        checks = queries.email_checks(batch, purpose="marketing")
    assert checks.blocked == {blocked.pk}
    # Withdrawing a consent suppresses the address too.
    assert checks.suppressed == {withdrawn.pk, suppressed.pk}
    assert checks.consent == {
        granted.pk: "granted",
        withdrawn.pk: "withdrawn",
        blocked.pk: "none",
        suppressed.pk: "none",
        plain.pk: "none",
    }
