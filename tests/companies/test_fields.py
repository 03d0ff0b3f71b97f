"""Company details (typed custom details of companies): defined, edited and deleted through the
API and the settings page by admins; bad input answered per field, writing nothing."""

import pytest
from django.test import Client

from kartoteka.companies import services
from kartoteka.companies.models import CompanyField, Profile
from kartoteka.contacts.models import Company

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(admin):
    client = Client()
    client.force_login(admin)
    return client


@pytest.fixture
def sales_client(sales):
    client = Client()
    client.force_login(sales)
    return client


def _company_with(key: str, value) -> Company:
    name = f"Co {key} {value}"
    company = Company.objects.create(name=name, name_folded=name.casefold())
    Profile.objects.create(company=company, properties={key: value})
    return company


def test_admin_defines_lists_edits_and_deletes_a_detail_over_the_api(admin_api):
    made = admin_api.post(
        "/api/v1/company-details",
        {"key": "tier", "label": "Tier", "type": "dictionary", "choices": ["Gold", "Silver"]},
    )
    assert made.status_code == 201, made.json()
    assert made.json()["choices"] == ["Gold", "Silver"]
    listed = admin_api.get("/api/v1/company-details").json()
    assert [f["key"] for f in listed] == ["tier"]

    changed = admin_api.patch(
        "/api/v1/company-details/tier", {"label": "Level", "choices": ["Gold", "Silver", "Bronze"]}
    )
    assert changed.status_code == 200, changed.json()
    assert (changed.json()["label"], changed.json()["type"]) == ("Level", "dictionary")

    company = _company_with("tier", "Gold")
    other = _company_with("other", 1)
    assert admin_api.delete("/api/v1/company-details/tier").status_code == 204
    assert not CompanyField.objects.exists()
    assert Profile.objects.get(company=company).properties == {}
    assert Profile.objects.get(company=other).properties == {"other": 1}


@pytest.mark.parametrize(
    "data, field",
    [
        ({"key": "", "label": "X", "type": "text"}, "key"),
        ({"key": "bad key!", "label": "X", "type": "text"}, "key"),
        ({"key": "k", "label": "", "type": "text"}, "label"),
        ({"key": "k", "label": "X", "type": "colour"}, "type"),
        ({"key": "k", "label": "X", "type": "text", "extra": 1}, "extra"),
    ],
)
def test_bad_definitions_are_refused_naming_the_field(admin_api, data, field):
    answer = admin_api.post("/api/v1/company-details", data)
    assert answer.status_code == 422, answer.content
    assert field in [e["field"] for e in answer.json()["errors"]]
    assert not CompanyField.objects.exists()


def test_bad_edits_are_refused_and_change_nothing(admin_api, admin):
    services.add_company_field(admin, key="tier", label="Tier", type="text")
    for data, field in [
        ({"label": ""}, "label"),
        ({"position": -1}, "position"),
        ({"key": "new"}, "key"),
    ]:
        answer = admin_api.patch("/api/v1/company-details/tier", data)
        assert answer.status_code == 422, answer.content
        assert field in [e["field"] for e in answer.json()["errors"]]
    assert CompanyField.objects.get().label == "Tier"
    assert admin_api.patch("/api/v1/company-details/nope", {"label": "X"}).status_code == 404
    assert admin_api.delete("/api/v1/company-details/nope").status_code == 404


def test_a_choice_still_used_cannot_be_taken_away(admin_api, admin):
    services.add_company_field(
        admin, key="tier", label="Tier", type="dictionary", choices=["Gold", "Silver"]
    )
    _company_with("tier", "Gold")
    answer = admin_api.patch("/api/v1/company-details/tier", {"choices": ["Silver"]})
    assert answer.status_code == 409
    assert CompanyField.objects.get().choices == ["Gold", "Silver"]


def test_sales_users_read_details_but_cannot_change_them(sales_api, admin):
    services.add_company_field(admin, key="tier", label="Tier", type="text")
    assert sales_api.get("/api/v1/company-details").status_code == 200
    assert (
        sales_api.post(
            "/api/v1/company-details", {"key": "k", "label": "K", "type": "text"}
        ).status_code
        == 403
    )
    assert sales_api.patch("/api/v1/company-details/tier", {"label": "X"}).status_code == 403
    assert sales_api.delete("/api/v1/company-details/tier").status_code == 403
    assert CompanyField.objects.get().label == "Tier"


def test_settings_page_edits_a_detail(admin_client, admin):
    field = services.add_company_field(admin, key="tier", label="Tier", type="text")
    answer = admin_client.post(
        "/settings/company-details/", {"action": "update", "id": field.pk, "label": "Level"}
    )
    assert answer.status_code == 302
    field.refresh_from_db()
    assert field.label == "Level"
    bad = admin_client.post(
        "/settings/company-details/", {"action": "update", "id": field.pk, "label": ""}
    )
    assert bad.status_code == 422
    field.refresh_from_db()
    assert field.label == "Level"


def test_settings_page_deletes_an_unused_detail_at_once(admin_client, admin):
    field = services.add_company_field(admin, key="tier", label="Tier", type="text")
    answer = admin_client.post("/settings/company-details/", {"action": "delete", "id": field.pk})
    assert answer.status_code == 302
    assert not CompanyField.objects.exists()


def test_settings_page_asks_before_deleting_a_detail_in_use(admin_client, admin):
    field = services.add_company_field(admin, key="tier", label="Tier", type="text")
    company = _company_with("tier", "Gold")
    asked = admin_client.post("/settings/company-details/", {"action": "delete", "id": field.pk})
    assert asked.status_code == 200
    assert b'name="confirm"' in asked.content
    assert CompanyField.objects.exists()
    done = admin_client.post(
        "/settings/company-details/", {"action": "delete", "id": field.pk, "confirm": "1"}
    )
    assert done.status_code == 302
    assert not CompanyField.objects.exists()
    assert Profile.objects.get(company=company).properties == {}


def test_sales_users_cannot_reach_the_settings_page(sales_client, admin):
    field = services.add_company_field(admin, key="tier", label="Tier", type="text")
    answer = sales_client.post("/settings/company-details/", {"action": "delete", "id": field.pk})
    assert answer.status_code in (403, 404)
    assert CompanyField.objects.exists()
