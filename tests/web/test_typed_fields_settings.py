"""Contacts' custom details, deal fields and company details are one settings table, shown by
one shared template."""

import pytest
from django.test import Client
from django.urls import reverse

from kartoteka.companies import services as company_services

pytestmark = pytest.mark.django_db

SHARED = "web/settings/_typed_fields.html"


@pytest.fixture
def admin_client(admin):
    client = Client()
    client.force_login(admin)
    return client


@pytest.mark.parametrize("url_name", ["web:settings-details", "deals:fields", "companies:fields"])
def test_each_typed_fields_page_is_the_shared_table(admin_client, url_name):
    response = admin_client.get(reverse(url_name))
    assert response.status_code == 200
    assert SHARED in {t.name for t in response.templates}


def test_company_detail_shows_its_type_by_name(admin_client, admin):
    company_services.add_company_field(admin, key="size", label="Size", type="number")
    response = admin_client.get(reverse("companies:fields"))
    assert "<td>Number</td>" in response.content.decode()


def test_a_failed_rename_keeps_what_was_typed_beside_the_row(admin_client, admin):
    field = company_services.add_company_field(admin, key="tier", label="Tier", type="text")
    response = admin_client.post(
        reverse("companies:fields"), {"action": "update", "id": field.pk, "label": ""}
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert f'id="label-{field.pk}" name="label" value=""' in page
    assert 'id="label" name="label" value=""' in page
