"""Custom detail definitions over the API, and values checked against them."""

import pytest

from kartoteka.contacts import services
from kartoteka.contacts.models import Contact
from tests.factories import make_contact

pytestmark = pytest.mark.django_db


def define(api, **body):
    return api.post("/api/v1/properties", body)


def test_admin_defines_a_property(admin_api):
    response = define(
        admin_api, key="plan", label="Plan", type="dictionary", choices=["Free", "Pro"]
    )
    assert response.status_code == 201
    assert response.json()["choices"] == ["Free", "Pro"]


def test_everyone_lists_properties(admin, sales_api):
    services.define_property(admin, key="size", label="Size", type="number")
    assert [p["key"] for p in sales_api.get("/api/v1/properties").json()] == ["size"]


def test_property_with_bad_key_and_type_is_422(admin_api):
    response = define(admin_api, key="Bad Key", label="", type="colour")
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"key", "label", "type"} <= fields


def test_dictionary_without_choices_is_422(admin_api):
    response = define(admin_api, key="plan", label="Plan", type="dictionary")
    assert response.status_code == 422


def test_duplicate_property_key_is_409(admin_api, admin):
    services.define_property(admin, key="plan", label="Plan", type="text")
    assert define(admin_api, key="plan", label="Plan 2", type="text").status_code == 409


def test_admin_renames_a_property(admin_api, admin):
    services.define_property(admin, key="plan", label="Plan", type="text")
    response = admin_api.patch("/api/v1/properties/plan", {"label": "Subscription"})
    assert response.json()["label"] == "Subscription"


def test_sales_user_cannot_change_a_property(sales_api, admin):
    services.define_property(admin, key="plan", label="Plan", type="text")
    assert sales_api.patch("/api/v1/properties/plan", {"label": "X"}).status_code == 403
    assert sales_api.delete("/api/v1/properties/plan").status_code == 403


def test_unknown_property_is_404(admin_api):
    assert admin_api.get("/api/v1/properties/nothing").status_code == 404


def test_deleting_a_property_removes_its_values(admin_api, admin):
    services.define_property(admin, key="size", label="Size", type="number")
    contact = make_contact(admin, properties={"size": "42"})
    assert admin_api.delete("/api/v1/properties/size").status_code == 204
    assert Contact.objects.get(pk=contact.pk).properties == {}


def test_wrong_value_names_the_property_and_the_type(admin_api, admin):
    services.define_property(admin, key="size", label="Shoe size", type="number")
    response = admin_api.post(
        "/api/v1/contacts", {"email": "a@example.com", "properties": {"size": "big"}}
    )
    assert response.status_code == 422
    message = {e["field"]: e["message"] for e in response.json()["errors"]}["properties.size"]
    assert "Shoe size" in message
    assert "whole number" in message


def test_value_of_an_undefined_property_is_422(admin_api):
    response = admin_api.post(
        "/api/v1/contacts", {"email": "a@example.com", "properties": {"ghost": 1}}
    )
    assert response.status_code == 422


def test_values_are_stored_coerced(admin_api, admin):
    services.define_property(admin, key="since", label="Since", type="date")
    services.define_property(admin, key="vip", label="VIP", type="boolean")
    response = admin_api.post(
        "/api/v1/contacts",
        {"email": "a@example.com", "properties": {"since": "31.12.2024", "vip": "tak"}},
    )
    assert response.json()["properties"] == {"since": "2024-12-31", "vip": True}


def test_patch_with_null_removes_a_value(admin_api, admin):
    services.define_property(admin, key="size", label="Size", type="number")
    contact = make_contact(admin, properties={"size": 42})
    response = admin_api.patch(f"/api/v1/contacts/{contact.pk}", {"properties": {"size": None}})
    assert response.json()["properties"] == {}
