"""Every field of the consents pages: a wrong value gets its own translated message at the field,
the status says why (422), and nothing is written."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from kartoteka.consents import queries
from kartoteka.consents.models import Block, ConsentEntry, LegalText, Purpose
from tests.factories import make_contact
from tests.page_errors import all_errors, field_errors

pytestmark = pytest.mark.django_db

GOOD = {"channel": "email", "purpose": "marketing", "status": "granted", "where": "Phone call"}
FUTURE = (timezone.localtime() + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def person(admin, sales):
    return make_contact(admin, email="rita@example.com", first_name="Rita", owners=[sales])


def _client(user, language="en"):
    client = Client(headers={"HX-Request": "true", "Accept-Language": language})
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("channel", "fax", "Unknown channel 'fax'"),
        ("purpose", "lottery", "Unknown purpose 'lottery'"),
        ("status", "maybe", "Unknown status 'maybe'"),
        ("where", "", "Say where the contact gave this consent"),
        ("where", "x" * 2001, "At most 2000 characters"),
        ("given_at", "yesterday", "Enter a date and time."),
        ("given_at", "2024-13-40T10:00", "Enter a date and time."),
        ("given_at", FUTURE, "A consent cannot be given in the future."),
    ],
)
def test_record_puts_each_wrong_value_on_its_field(sales, person, field, value, message):
    response = _client(sales).post(f"/contacts/{person.pk}/consents/", {**GOOD, field: value})
    assert response.status_code == 422
    assert response["Kartoteka-Form-Errors"] == "1"  # htmx swaps it in place
    assert "HX-Trigger" not in response
    assert any(m.startswith(message) for m in field_errors(response.text, field))
    assert not ConsentEntry.objects.exists()


@pytest.mark.parametrize(
    ("value", "message"),
    [("two", "The text version is a whole number."), ("7", "has no legal text version 7")],
)
def test_record_refuses_a_text_version_that_is_not_there(sales, person, value, message):
    response = _client(sales).post(
        f"/contacts/{person.pk}/consents/", {**GOOD, "text_version": value}
    )
    assert response.status_code == 422
    assert any(message in m for m in all_errors(response.text))
    assert not ConsentEntry.objects.exists()


def test_record_errors_are_translated(sales, person):
    page = _client(sales, "es").post(f"/contacts/{person.pk}/consents/", {**GOOD, "where": ""}).text
    [message] = field_errors(page, "where")
    assert message.startswith("Indica dónde")
    page = (
        _client(sales, "pl")
        .post(f"/contacts/{person.pk}/consents/", {**GOOD, "given_at": "wczoraj"})
        .text
    )
    assert field_errors(page, "given_at") == ["Podaj datę i godzinę."]


def test_record_without_htmx_goes_back_to_the_card_with_the_error(sales, person):
    client = Client()
    client.force_login(sales)
    response = client.post(
        f"/contacts/{person.pk}/consents/", {**GOOD, "channel": "fax"}, follow=True
    )
    assert response.redirect_chain[-1][0].endswith(f"/contacts/{person.pk}/")
    assert "Unknown channel" in response.text
    assert not ConsentEntry.objects.exists()


@pytest.mark.parametrize(
    ("reason", "message"),
    [("", "Say why."), ("   ", "Say why."), ("x" * 1001, "At most 1000 characters, without NUL.")],
)
def test_block_puts_a_wrong_reason_on_its_field(sales, person, reason, message):
    client = Client()
    client.force_login(sales)
    response = client.post(f"/contacts/{person.pk}/block/", {"reason": reason})
    assert response.status_code == 422
    assert field_errors(response.text, "reason") == [message]
    assert not Block.objects.exists()
    assert not queries.is_blocked(person)


@pytest.mark.parametrize(
    ("post", "field", "message"),
    [
        ({"action": "create", "key": "bad key!", "name": "Bad"}, "key", "A key of up to 40"),
        ({"action": "create", "key": "marketing", "name": "Again"}, "key", "exists already"),
        ({"action": "create", "key": "ok", "name": ""}, "name", "Give the purpose a name"),
        ({"action": "create", "key": "ok", "name": "n" * 201}, "name", "Give the purpose a name"),
    ],
)
def test_new_purpose_puts_each_wrong_value_on_its_field(admin, post, field, message):
    client = Client()
    client.force_login(admin)
    response = client.post("/settings/consents/", post)
    assert response.status_code == 422
    assert any(message in m for m in field_errors(response.text, field))
    assert not Purpose.objects.exists()


def test_legal_text_refuses_an_empty_text_under_its_purpose(admin):
    client = Client()
    client.force_login(admin)
    response = client.post(
        "/settings/consents/", {"action": "text", "purpose": "marketing", "body": "  "}
    )
    assert response.status_code == 422
    shown = [
        (nth, message)
        for nth in range(response.text.count('name="body"'))
        for message in field_errors(response.text, "body", nth=nth)
    ]
    marketing = [item.purpose.key for item in queries.purposes()].index("marketing")
    assert shown == [(marketing, "Write the text people are shown (up to 20,000 characters).")]
    assert not LegalText.objects.exists()


@pytest.mark.parametrize(
    ("post", "status", "message"),
    [
        ({"action": "text", "purpose": "nope", "body": "Text"}, 422, "No such purpose."),
        ({"action": "retire", "purpose": "nope"}, 422, "No such purpose."),
        ({"action": "retire", "purpose": "marketing"}, 409, "Built-in purposes cannot be retired."),
        ({"action": "explode"}, 422, "Unknown action."),
        ({}, 422, "Unknown action."),
    ],
)
def test_purposes_page_names_what_it_cannot_do(admin, post, status, message):
    client = Client()
    client.force_login(admin)
    response = client.post("/settings/consents/", post)
    assert response.status_code == status
    assert message in all_errors(response.text)
    assert not Purpose.objects.exists()
    assert not LegalText.objects.exists()
