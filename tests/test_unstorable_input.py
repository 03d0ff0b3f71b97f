"""Text and numbers no database can store (a lone surrogate, NUL, an integer past 64 bits) are
a 4xx naming the field, through the API and the pages alike, and nothing is written."""

from urllib.parse import urlencode

import pytest
from django.test import Client

from kartoteka.contacts.models import Contact
from tests.factories import make_contact

pytestmark = pytest.mark.django_db

HUGE = 99999999999999999999  # past 2**63 - 1


def _fields(response) -> set[str]:
    assert response["Content-Type"] == "application/problem+json"
    return {error["field"] for error in response.json()["errors"]}


@pytest.mark.parametrize(
    "body, field",
    [
        ('{"email": "a@example.com", "first_name": "\\ud800"}', "first_name"),
        ('{"email": "a@example.com", "address": {"city": "x\\udfffy"}}', "address.city"),
        ('{"email": "a@example.com", "tags": ["ok", "\\ud800"]}', "tags.1"),
        ('{"email": "a@example.com", "last_name": "a\\u0000b"}', "last_name"),
    ],
)
def test_unstorable_text_in_a_body_is_a_422_naming_the_field(admin_api, body, field):
    response = admin_api.post("/api/v1/contacts", body)
    assert response.status_code == 422
    assert _fields(response) == {field}
    assert not Contact.objects.exists()


def test_nul_in_search_is_a_422(admin_api):
    response = admin_api.get("/api/v1/contacts", search="ana\x00")
    assert response.status_code == 422
    assert _fields(response) == {"search"}


def test_number_past_64_bits_in_a_query_parameter_is_a_422(admin_api):
    response = admin_api.get("/api/v1/tasks", contact=str(HUGE))
    assert response.status_code == 422
    assert _fields(response) == {"contact"}


def test_number_past_64_bits_in_a_path_is_a_422(admin_api):
    response = admin_api.get(f"/api/v1/contacts/{HUGE}")
    assert response.status_code == 422
    assert _fields(response) == {"contact_id"}


@pytest.mark.parametrize(
    "path, body, field",
    [
        ("/api/v1/tasks", {"title": "Call", "contacts": [HUGE]}, "contacts.0"),
        ("/api/v1/exports", {"ids": [1, HUGE]}, "ids.1"),
        ("/api/v1/contacts/merge", {"survivor": HUGE, "merged": [1]}, "survivor"),
    ],
)
def test_number_past_64_bits_in_a_body_is_a_422(admin_api, path, body, field):
    response = admin_api.post(path, body)
    assert response.status_code == 422
    assert _fields(response) == {field}


def test_merge_exact_before_the_first_scan_is_a_409_saying_so(admin_api):
    response = admin_api.post("/api/v1/duplicates/merge-exact")
    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    assert "scan" in response.json()["detail"].lower()


def test_an_unknown_api_url_is_a_problem_404(admin_api):
    response = admin_api.post("/api/v1/contacts/-1/tags", {"tags": ["x"]})
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


@pytest.fixture
def signed_in(admin):
    client = Client()
    client.force_login(admin)
    return client


def test_nul_in_a_pages_query_is_a_400_naming_the_field(signed_in):
    response = signed_in.get("/contacts/", {"q": "ana\x00"})
    assert response.status_code == 400
    assert b"q" in response.content and b"NUL" in response.content


def test_number_past_64_bits_in_a_pages_form_is_a_400_and_changes_nothing(signed_in, admin):
    contact = make_contact(admin)
    form = urlencode({"action": "delete", "confirmed": "yes", "ids": [contact.pk, HUGE]}, True)
    response = signed_in.post(
        "/contacts/bulk/", form, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_number_past_64_bits_in_a_pages_path_is_a_400(signed_in):
    assert signed_in.get(f"/contacts/{HUGE}/").status_code == 400


def test_merge_exact_button_before_the_first_scan_says_to_scan_first(signed_in):
    response = signed_in.post("/duplicates/merge-exact/", follow=True)
    assert response.status_code == 200
    assert b"No scan for duplicates has finished yet" in response.content
