"""Typed custom fields of deals: admins define them in Settings and through the API, the deal
form shows them as typed inputs, values are checked by type, a sales user cannot define them."""

import pytest
from django.test import Client

from kartoteka.core.errors import Conflict, Forbidden, InvalidInput
from kartoteka.deals import services
from kartoteka.deals.models import Deal, DealField
from tests.factories import make_contact, make_deal

pytestmark = pytest.mark.django_db


def _client(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def fields(admin):
    return {
        "seats": services.add_deal_field(admin, key="seats", label="Seats", type="number"),
        "plan": services.add_deal_field(
            admin, key="plan", label="Plan", type="dictionary", choices=["Basic", "Pro"]
        ),
        "modules": services.add_deal_field(
            admin, key="modules", label="Modules", type="multi_choice", choices=["CRM", "Mail"]
        ),
    }


def test_services_define_rename_reorder_and_delete_a_field(admin, fields):
    deal = make_deal(properties={"seats": "12", "plan": "pro"})
    assert deal.properties == {"seats": 12, "plan": "Pro"}
    services.update_deal_field(admin, fields["seats"], label="Licences")
    services.move_deal_field(admin, fields["modules"], step=-1)
    assert [f.key for f in DealField.objects.all()] == ["seats", "modules", "plan"]
    with pytest.raises(Conflict):
        services.update_deal_field(admin, fields["plan"], choices=["Basic"])
    assert services.delete_deal_field(admin, fields["plan"]) == 1
    assert Deal.objects.get(pk=deal.pk).properties == {"seats": 12}


def test_sales_user_cannot_define_fields_and_bad_definitions_are_refused(admin, sales):
    with pytest.raises(Forbidden):
        services.add_deal_field(sales, key="x", label="X", type="text")
    with pytest.raises(InvalidInput) as caught:
        services.add_deal_field(admin, key="Bad Key", label="", type="colour")
    assert set(caught.value.errors) == {"key", "label", "type"}
    assert not DealField.objects.exists()


def test_api_defines_lists_patches_and_deletes_fields(admin_api, sales_api):
    answer = admin_api.post(
        "/api/v1/deal-fields",
        {"key": "plan", "label": "Plan", "type": "dictionary", "choices": ["A"]},
    )
    assert answer.status_code == 201, answer.content
    field_id = answer.json()["id"]
    assert [f["key"] for f in sales_api.get("/api/v1/deal-fields").json()] == ["plan"]
    patched = admin_api.patch(f"/api/v1/deal-fields/{field_id}", {"choices": ["A", "B"]})
    assert patched.json()["choices"] == ["A", "B"]
    assert sales_api.patch(f"/api/v1/deal-fields/{field_id}", {"label": "x"}).status_code == 403
    assert sales_api.delete(f"/api/v1/deal-fields/{field_id}").status_code == 403
    assert admin_api.delete(f"/api/v1/deal-fields/{field_id}").status_code == 204
    assert admin_api.delete(f"/api/v1/deal-fields/{field_id}").status_code == 404


def test_api_refuses_bad_definitions_and_bad_values(admin_api, sales_api, fields):
    bad = admin_api.post("/api/v1/deal-fields", {"key": "1x", "label": "X", "type": "nope"})
    assert bad.status_code == 422
    taken = admin_api.post("/api/v1/deal-fields", {"key": "seats", "label": "X", "type": "text"})
    assert taken.status_code == 409
    assert (
        sales_api.post(
            "/api/v1/deal-fields", {"key": "y", "label": "Y", "type": "text"}
        ).status_code
        == 403
    )
    deal = admin_api.post(
        "/api/v1/deals", {"name": "Typed", "properties": {"seats": "many", "plan": "Gold"}}
    )
    assert deal.status_code == 422
    assert {"properties.seats", "properties.plan"} <= set(
        e for e in str(deal.json()).split("'") if e.startswith("properties.")
    )
    assert not Deal.objects.filter(name="Typed").exists()
    good = admin_api.post(
        "/api/v1/deals",
        {"name": "Typed", "properties": {"seats": 3, "modules": ["mail", "CRM"]}},
    )
    assert good.status_code == 201
    assert good.json()["properties"] == {"seats": 3, "modules": ["CRM", "Mail"]}


def test_settings_page_creates_and_deletes_a_field_for_admins_only(admin, sales):
    client = _client(admin)
    assert _client(sales).get("/deals/fields/").status_code == 403
    created = client.post(
        "/deals/fields/",
        {
            "action": "create",
            "key": "tier",
            "label": "Tier",
            "type": "dictionary",
            "choices": "A, B",
        },
    )
    assert created.status_code == 302
    field = DealField.objects.get(key="tier")
    assert field.choices == ["A", "B"]
    refused = client.post(
        "/deals/fields/", {"action": "create", "key": "tier", "label": "T", "type": "text"}
    )
    assert refused.status_code == 409
    assert "There is already a deal field with this key." in refused.content.decode()
    missing = client.post("/deals/fields/", {"action": "delete", "id": "999999"})
    assert missing.status_code == 422
    assert client.post("/deals/fields/", {"action": "delete", "id": field.pk}).status_code == 302
    assert not DealField.objects.exists()


def test_deal_form_shows_typed_inputs_and_puts_errors_on_them(admin, fields):
    client = _client(admin)
    contact = make_contact()
    page = client.get("/deals/new/", {"contact": contact.pk}).content.decode()
    assert 'name="p_plan"' in page and "<option>Pro</option>" in page
    assert 'name="p_modules" multiple' in page
    answer = client.post(
        "/deals/new/",
        {
            "name": "From the form",
            "currency": "EUR",
            "contacts": contact.pk,
            "fields_present": "1",
            "p_seats": "lots",
            "p_plan": "Pro",
        },
    )
    assert answer.status_code == 422
    assert 'id="p_seats-error"' in answer.content.decode()
    assert not Deal.objects.filter(name="From the form").exists()
    answer = client.post(
        "/deals/new/",
        {
            "name": "From the form",
            "currency": "EUR",
            "contacts": contact.pk,
            "fields_present": "1",
            "p_seats": "4",
            "p_plan": "Pro",
            "p_modules": ["CRM", "Mail"],
        },
    )
    assert answer.status_code == 302
    deal = Deal.objects.get(name="From the form")
    assert deal.properties == {"seats": 4, "plan": "Pro", "modules": ["CRM", "Mail"]}
    # Emptied on the deal page: the values go.
    saved = client.post(
        f"/deals/{deal.pk}/",
        {"name": deal.name, "version": deal.version, "fields_present": "1", "p_seats": ""},
    )
    assert saved.status_code == 302
    assert Deal.objects.get(pk=deal.pk).properties == {}
