"""Hostile input through the contact services and the API: clear errors, nothing half-written."""

import pytest

from kartoteka.contacts.models import Contact, ContactEmail
from kartoteka.core.errors import InvalidInput
from tests.factories import make_contact

pytestmark = pytest.mark.django_db


def test_ten_kilobyte_name_is_422_and_writes_nothing(admin_api):
    response = admin_api.post(
        "/api/v1/contacts", {"email": "a@example.com", "first_name": "x" * 10_240}
    )
    assert response.status_code == 422
    assert "first_name" in {e["field"] for e in response.json()["errors"]}
    assert not Contact.objects.exists()
    assert not ContactEmail.objects.exists()


def test_control_characters_and_rtl_marks_are_stripped_from_names(admin):
    contact = make_contact(admin, first_name="\u202eAna\x00", last_name="\u200fGarcía\x1b")
    assert (contact.first_name, contact.last_name) == ("Ana", "García")


def test_sql_looking_name_is_stored_verbatim_and_searchable(admin_api, admin):
    name = "Robert'); DROP TABLE contacts;--"
    contact = make_contact(admin, first_name=name)
    assert Contact.objects.get(pk=contact.pk).first_name == name
    items = admin_api.get("/api/v1/contacts", search="'); DROP").json()["items"]
    assert [c["id"] for c in items] == [contact.pk]


def test_emoji_names_round_trip(admin_api):
    response = admin_api.post(
        "/api/v1/contacts", {"email": "emoji@example.com", "first_name": "Ana 🚀", "tags": ["🔥"]}
    )
    assert response.json()["first_name"] == "Ana 🚀"
    assert response.json()["tags"] == ["🔥"]


def test_internationalised_email_is_one_identity_in_any_case(admin_api):
    first = admin_api.post("/api/v1/contacts", {"email": "Józef@przykład.pl"})
    second = admin_api.post("/api/v1/contacts", {"email": "JÓZEF@PRZYKŁAD.PL"})
    assert first.status_code == 201
    assert first.json()["email"] == "Józef@przykład.pl"
    assert second.status_code == 409


def test_one_bad_email_among_several_writes_nothing(admin):
    with pytest.raises(InvalidInput) as error:
        make_contact(admin, email="a@example.com", emails=["a@example.com", "not an email"])
    assert "emails.1.email" in error.value.errors
    assert not Contact.objects.exists()


def test_two_primary_emails_are_refused(admin_api):
    response = admin_api.post(
        "/api/v1/contacts",
        {
            "email": "a@example.com",
            "emails": [
                {"email": "a@example.com", "primary": True},
                {"email": "b@example.com", "primary": True},
            ],
        },
    )
    assert response.status_code == 422


def test_wrong_json_types_are_422_not_500(admin_api):
    response = admin_api.post(
        "/api/v1/contacts", {"email": ["a@example.com"], "score": "lots", "tags": "vip"}
    )
    assert response.status_code == 422
    assert {"email", "score", "tags"} <= {e["field"] for e in response.json()["errors"]}


def test_malformed_json_body_is_a_client_error(admin_api):
    response = admin_api.client.post(
        "/api/v1/contacts", "{not json", content_type="application/json"
    )
    assert 400 <= response.status_code < 500


def test_birthday_in_the_future_is_refused(admin_api):
    response = admin_api.post(
        "/api/v1/contacts", {"email": "a@example.com", "birthday": "2999-01-01"}
    )
    assert response.status_code == 422
    assert "birthday" in {e["field"] for e in response.json()["errors"]}


def test_score_out_of_range_is_refused(admin_api):
    response = admin_api.post("/api/v1/contacts", {"email": "a@example.com", "score": 10**12})
    assert response.status_code == 422
