"""The consents and block endpoints."""

import pytest

from kartoteka.consents import queries
from tests.factories import make_contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(admin, sales):
    return make_contact(admin, email="eva@example.com", owners=[sales])


def _grant(api, contact, **extra):
    body = {"channel": "email", "purpose": "marketing", "status": "granted", **extra}
    return api.post(f"/api/v1/contacts/{contact.pk}/consents", body)


def test_post_records_a_consent_with_its_proof(sales_api, customer):
    response = _grant(
        sales_api,
        customer,
        source="form",
        proof={"page_url": "https://shop.example/newsletter", "ip": "203.0.113.5"},
        given_at="2026-01-02T10:00:00+01:00",
    )
    assert response.status_code == 201, response.content
    assert response.json()["proof"]["ip"] == "203.0.113.5"
    body = sales_api.get(f"/api/v1/contacts/{customer.pk}/consents").json()
    assert body["current"] == [
        {
            "channel": "email",
            "purpose": "marketing",
            "status": "granted",
            "given_at": "2026-01-02T09:00:00Z",
            "source": "form",
        }
    ]
    assert len(body["history"]) == 1


def test_an_older_grant_posted_after_a_withdrawal_is_history_only(sales_api, customer):
    _grant(sales_api, customer, status="withdrawn", given_at="2026-03-01T00:00:00Z")
    assert _grant(sales_api, customer, given_at="2026-02-01T00:00:00Z").status_code == 201
    body = sales_api.get(f"/api/v1/contacts/{customer.pk}/consents").json()
    assert [c["status"] for c in body["current"]] == ["withdrawn"]
    assert [h["status"] for h in body["history"]] == ["withdrawn", "granted"]


def test_bad_channel_is_a_field_error(sales_api, customer):
    response = _grant(sales_api, customer, channel="pigeon")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "channel"


def test_time_without_zone_is_refused(sales_api, customer):
    response = _grant(sales_api, customer, given_at="2026-01-02T10:00:00")
    assert response.status_code == 422


def test_api_grant_on_a_withdrawn_address_is_a_conflict(sales_api, customer):
    _grant(sales_api, customer, status="withdrawn", given_at="2026-03-01T00:00:00Z")
    response = _grant(sales_api, customer, given_at="2026-04-01T00:00:00Z")
    assert response.status_code == 409
    assert queries.consent_status(customer, channel="email", purpose="marketing") == "withdrawn"


def test_sales_user_cannot_read_consents_of_others_contacts(other_sales_api, customer):
    assert other_sales_api.get(f"/api/v1/contacts/{customer.pk}/consents").status_code == 404


def test_sales_user_cannot_write_consents_of_others_contacts(other_sales_api, customer):
    assert _grant(other_sales_api, customer).status_code == 404
    assert queries.consent_status(customer, channel="email", purpose="marketing") == "none"


def test_block_and_unblock_with_a_reason(sales_api, customer):
    url = f"/api/v1/contacts/{customer.pk}/block"
    response = sales_api.post(url, {"blocked": True, "reason": "Abusive replies"})
    assert response.json() == {"id": customer.pk, "blocked": True}
    assert queries.is_blocked(customer)
    body = sales_api.get(f"/api/v1/contacts/{customer.pk}/consents").json()
    assert body["blocked"]["reason"] == "Abusive replies"
    sales_api.post(url, {"blocked": False, "reason": "Apologised"})
    assert not queries.is_blocked(customer)


def test_blocking_needs_a_reason(sales_api, customer):
    response = sales_api.post(
        f"/api/v1/contacts/{customer.pk}/block", {"blocked": True, "reason": " "}
    )
    assert response.status_code == 422
    assert not queries.is_blocked(customer)


def test_sales_user_cannot_block_others_contacts(other_sales_api, customer):
    response = other_sales_api.post(
        f"/api/v1/contacts/{customer.pk}/block", {"blocked": True, "reason": "x"}
    )
    assert response.status_code == 404
    assert not queries.is_blocked(customer)
