import io
import json
import zipfile

import pytest

from kartoteka.activity.models import Activity
from kartoteka.contacts.models import Contact
from tests.duplicates.helpers import fill_related_tables
from tests.factories import make_contact


@pytest.fixture
def customer(admin, sales):
    contact = make_contact(
        admin, email="eva@example.com", first_name="Eva", last_name="Nowak", owners=[sales]
    )
    fill_related_tables(admin, contact, mention=sales, words="Eva likes tea")
    return contact


def _zip(response) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(response.content))


def test_export_is_a_zip_with_everything_stored_and_the_files(sales_api, customer):
    response = sales_api.get(f"/api/v1/contacts/{customer.pk}/export")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    archive = _zip(response)
    document = json.loads(archive.read("data.json"))
    assert document["contact"]["emails"] == [{"email": "eva@example.com", "primary": True}]
    assert sorted(t["name"] for t in document["contact"]["tags"]) == [f"tag-{customer.pk}", "vip"]
    records = document["records"]
    assert records["activity.Note"][0]["body"] == "Note: Eva likes tea"
    assert records["activity.Comment"][0]["body"].endswith("Eva likes tea")
    assert records["activity.TaskContact"][0]["task"]["title"] == "Call Eva likes tea"
    assert records["activity.Activity"]
    (path,) = document["files"]
    assert archive.read(path) == b"file of Eva likes tea"


def test_export_leaves_proof_on_the_timeline(sales_api, customer):
    sales_api.get(f"/api/v1/contacts/{customer.pk}/export")
    assert Activity.objects.filter(contact=customer, kind="data_exported").exists()


def test_sales_user_cannot_export_someone_elses_contact(other_sales_api, customer):
    assert other_sales_api.get(f"/api/v1/contacts/{customer.pk}/export").status_code == 404


def test_sales_user_cannot_forget_someone_elses_contact(other_sales_api, customer):
    response = other_sales_api.post(f"/api/v1/contacts/{customer.pk}/forget")
    assert response.status_code == 404
    assert Contact.objects.filter(pk=customer.pk).exists()


def test_sales_owner_cannot_forget_their_contact(sales_api, customer):
    response = sales_api.post(f"/api/v1/contacts/{customer.pk}/forget")
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"


def test_admin_forgets_and_gets_the_audit_record(admin_api, customer):
    response = admin_api.post(f"/api/v1/contacts/{customer.pk}/forget")
    assert response.status_code == 200
    body = response.json()
    assert body["contact_id"] == customer.pk and body["forgotten_by"] == "alba"
    assert body["erased"]["activity.Note"] == 1
    assert not Contact.objects.filter(pk=customer.pk).exists()


def test_stop_and_start_monitoring(sales_api, customer):
    response = sales_api.post(f"/api/v1/contacts/{customer.pk}/monitoring", {"enabled": False})
    assert response.json() == {"id": customer.pk, "is_monitored": False}
    assert Contact.objects.get(pk=customer.pk).is_monitored is False
    assert Activity.objects.filter(contact=customer, kind="monitoring_stopped").exists()
    response = sales_api.post(f"/api/v1/contacts/{customer.pk}/monitoring", {"enabled": True})
    assert response.json()["is_monitored"] is True


def test_monitoring_needs_a_yes_or_no(sales_api, customer):
    response = sales_api.post(f"/api/v1/contacts/{customer.pk}/monitoring", {"enabled": "maybe"})
    assert response.status_code == 422


def test_monitoring_of_an_unseen_contact_is_404(other_sales_api, customer):
    response = other_sales_api.post(
        f"/api/v1/contacts/{customer.pk}/monitoring", {"enabled": False}
    )
    assert response.status_code == 404
