import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from kartoteka.contacts.models import Contact
from kartoteka.transfer.models import Import
from tests.factories import make_contact
from tests.uploads import LANGUAGES, LIMIT, PAST_THE_LIMIT, stored_files

pytestmark = pytest.mark.django_db

CSV = b"Correo electr\xc3\xb3nico,Nombre,Apellidos\nana@example.com,Ana,Garc\xc3\xada\nbad,X,Y\n"


def _post(api, data: bytes = CSV, **form):
    upload = SimpleUploadedFile("people.csv", data, content_type="text/csv")
    return api.client.post("/api/v1/imports", {"file": upload, **form})


def test_post_import_runs_it_and_answers_the_job(admin_api):
    response = _post(admin_api)
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["mapping"] == {"0": "email", "1": "first_name", "2": "last_name"}
    job = admin_api.get(f"/api/v1/imports/{body['id']}").json()
    assert job["status"] == "done"
    assert (job["created_count"], job["failed_count"], job["percent"]) == (1, 1, 100)


def test_import_errors_lists_row_column_value_and_message(admin_api):
    job = _post(admin_api).json()
    errors = admin_api.get(f"/api/v1/imports/{job['id']}/errors").json()
    assert errors[0]["row"] == 3
    assert errors[0]["column"] == "Correo electrónico"
    assert errors[0]["value"] == "bad"


def test_import_errors_as_csv(admin_api):
    job = _post(admin_api).json()
    response = admin_api.get(f"/api/v1/imports/{job['id']}/errors", format="csv")
    text = b"".join(response.streaming_content).decode()
    assert text.splitlines()[0].startswith("Line,Level,Problems,")


def test_dry_run_over_the_api_writes_nothing(admin_api):
    response = _post(admin_api, dry_run="true")
    assert response.status_code == 200
    assert (response.json()["created"], response.json()["failed"]) == (1, 1)
    assert not Contact.objects.exists()


def test_explicit_mapping_is_checked(admin_api):
    response = _post(admin_api, mapping=json.dumps({"0": "email", "1": "shoe_size"}))
    assert response.status_code == 422
    assert "shoe_size" in response.json()["detail"]


def test_an_import_is_not_visible_to_another_sales_user(sales_api, other_sales_api):
    job = _post(sales_api).json()
    assert other_sales_api.get(f"/api/v1/imports/{job['id']}").status_code == 404


def test_revert_over_the_api_removes_created_contacts(admin_api):
    job = _post(admin_api).json()
    response = admin_api.post(f"/api/v1/imports/{job['id']}/revert")
    assert response.json()["status"] == "reverted"
    assert not Contact.objects.exists()


def test_export_over_the_api_has_only_the_sales_users_contacts(sales, other_sales, sales_api):
    make_contact(sales, email="mine@example.com")
    make_contact(other_sales, email="theirs@example.com")
    job = sales_api.post("/api/v1/exports", {"format": "csv", "columns": ["email"]}).json()
    assert job["status"] == "done"
    response = sales_api.get(job["download_url"])
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert text.splitlines() == ["email", "mine@example.com"]


def test_export_file_of_another_user_is_not_found(sales_api, other_sales_api):
    job = sales_api.post("/api/v1/exports", {"format": "xlsx"}).json()
    assert other_sales_api.get(job["download_url"]).status_code == 404


PHONES = b"email,phone\nana@example.com,600 100 200\nbea@example.com,abc\n"


def test_post_import_takes_the_phone_region_and_lists_warnings_apart(admin_api):
    response = _post(admin_api, PHONES, phone_region="PL")
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["phone_region"] == "PL" and body["strict"] is False
    job = admin_api.get(f"/api/v1/imports/{body['id']}").json()
    assert (job["created_count"], job["failed_count"], job["warned_count"]) == (2, 0, 1)
    assert Contact.objects.get(email="ana@example.com").phone == "+48600100200"
    warnings = admin_api.get(f"/api/v1/imports/{body['id']}/errors?level=warning").json()
    assert [(w["row"], w["level"], w["value"]) for w in warnings] == [(3, "warning", "abc")]
    assert warnings[0]["cells"] == ["bea@example.com", "abc"]
    assert admin_api.get(f"/api/v1/imports/{body['id']}/errors?level=error").json() == []


def test_post_import_strict_rejects_the_row_with_a_bad_phone(admin_api):
    body = _post(admin_api, PHONES, phone_region="PL", strict="true").json()
    job = admin_api.get(f"/api/v1/imports/{body['id']}").json()
    assert (job["created_count"], job["failed_count"], job["warned_count"]) == (1, 1, 0)


def test_post_import_refuses_an_unknown_phone_region(admin_api):
    response = _post(admin_api, PHONES, phone_region="Atlantis")
    assert response.status_code == 422
    assert "phone_region" in response.content.decode()


@pytest.mark.parametrize("data", [b"\x00", b"email,na\x00me\nana@example.com,Ana\n"])
def test_a_header_row_holding_a_nul_character_is_refused_naming_the_file(admin_api, data):
    from kartoteka.transfer.models import Import

    response = _post(admin_api, data)
    assert response.status_code == 422
    assert "NUL" in response.content.decode()
    assert not Import.objects.exists()


@pytest.mark.parametrize("language", LANGUAGES)
def test_post_import_past_the_limit_names_the_limit_and_keeps_nothing(
    admin_api, tmp_path, language
):
    upload = SimpleUploadedFile("people.csv", CSV, content_type="text/csv")
    with override_settings(KARTOTEKA_MAX_UPLOAD_BYTES=LIMIT, DATA_DIR=tmp_path):
        response = admin_api.client.post(
            "/api/v1/imports", {"file": upload}, headers={"Accept-Language": language}
        )
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"] == [{"field": "file", "message": PAST_THE_LIMIT[language]}]
    assert not Import.objects.exists() and not Contact.objects.exists()
    assert stored_files(tmp_path) == []
