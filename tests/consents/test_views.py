"""The card's Consents section, the block page and the purposes settings page."""

import pytest

from kartoteka.consents import queries, services
from kartoteka.consents.models import ConsentEntry, LegalText, Purpose
from kartoteka.core.scope import SYSTEM
from tests.factories import make_contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(admin, sales):
    return make_contact(admin, email="rita@example.com", first_name="Rita", owners=[sales])


def _section(client, person):
    return client.get(f"/contacts/{person.pk}/sections/consents/")


def test_section_shows_the_consent_in_force_and_history(client, sales, person):
    services.record_consent(
        SYSTEM,
        person,
        channel="email",
        purpose="marketing",
        status="granted",
        source="form",
        proof={"page_url": "https://shop.example/join"},
    )
    client.force_login(sales)
    body = _section(client, person).content.decode()
    assert "consent-granted" in body
    assert "https://shop.example/join" in body


def test_staff_grant_without_where_shows_the_error(client, sales, person):
    client.force_login(sales)
    response = client.post(
        f"/contacts/{person.pk}/consents/",
        {"channel": "email", "purpose": "marketing", "status": "granted", "where": ""},
        HTTP_HX_REQUEST="true",
    )
    assert "Say where the contact gave this consent" in response.content.decode()
    assert not ConsentEntry.objects.exists()


def test_staff_grant_with_where_is_recorded(client, sales, person):
    client.force_login(sales)
    response = client.post(
        f"/contacts/{person.pk}/consents/",
        {"channel": "sms", "purpose": "marketing", "status": "granted", "where": "Phone call"},
        HTTP_HX_REQUEST="true",
    )
    assert response["HX-Trigger"] == "kartoteka:timeline-changed"
    assert queries.consent_status(person, channel="sms", purpose="marketing") == "granted"
    assert ConsentEntry.objects.get().proof == {"where": "Phone call"}


def test_sales_user_cannot_see_or_write_consents_of_others(client, other_sales, person):
    client.force_login(other_sales)
    assert _section(client, person).status_code == 404
    response = client.post(
        f"/contacts/{person.pk}/consents/",
        {"channel": "sms", "purpose": "marketing", "status": "granted", "where": "x"},
    )
    assert response.status_code == 404
    assert not ConsentEntry.objects.exists()


def test_block_page_blocks_with_reason_and_card_shows_badge(client, sales, person):
    client.force_login(sales)
    response = client.post(f"/contacts/{person.pk}/block/", {"reason": "Threatened staff"})
    assert response.status_code == 302
    assert queries.is_blocked(person)
    card = client.get(f"/contacts/{person.pk}/").content.decode()
    assert "state-danger" in card


def test_block_page_without_reason_refuses(client, sales, person):
    client.force_login(sales)
    response = client.post(f"/contacts/{person.pk}/block/", {"reason": ""})
    assert response.status_code == 422
    assert not queries.is_blocked(person)


def test_admin_adds_a_purpose_and_publishes_versions(client, admin):
    client.force_login(admin)
    client.post(
        "/settings/consents/", {"action": "create", "key": "profiling", "name": "Profiling"}
    )
    for body in ("First text", "Second text"):
        client.post("/settings/consents/", {"action": "text", "purpose": "profiling", "body": body})
    assert list(
        LegalText.objects.filter(purpose__key="profiling").values_list("version", "body")
    ) == [(2, "Second text"), (1, "First text")]
    page = client.get("/settings/consents/").content.decode()
    assert "Second text" in page
    assert "profiling" in queries.purpose_keys(active_only=True)


def test_builtin_purpose_gets_its_first_text(client, admin):
    client.force_login(admin)
    client.post("/settings/consents/", {"action": "text", "purpose": "marketing", "body": "News"})
    assert Purpose.objects.get(key="marketing").builtin
    assert queries.text_versions("marketing") == {1}


def test_sales_user_cannot_open_purposes(client, sales):
    client.force_login(sales)
    assert client.get("/settings/consents/").status_code == 404
