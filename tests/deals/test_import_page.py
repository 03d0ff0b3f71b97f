"""Deals → Import: upload a file, check the guessed mapping, try it, import it; a bad file
gets a translated error, never a 500."""

import os
import re
import time
from urllib.parse import urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from kartoteka.deals import imports
from kartoteka.deals.models import Deal, DealImport
from tests.factories import make_contact, sales_pipeline

pytestmark = pytest.mark.django_db

URL = "/deals/import/"
CSV = (
    "Nazwa;Kwota;Etap;Kontakt\n"
    "Flota;1200;Nowy;ana@example.com\n"
    ";100;Nowy;ana@example.com\n"
    "Odnowienie;300;Nowy;jan@example.com\n"
)


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path


@pytest.fixture
def people(db, admin):
    sales_pipeline()
    return make_contact(email="ana@example.com"), make_contact(email="jan@example.com")


@pytest.fixture
def admin_client(admin):
    client = Client()
    client.force_login(admin)
    return client


def _upload(client, text=CSV, name="deals.csv"):
    return client.post(URL, {"file": SimpleUploadedFile(name, text.encode())})


def _step(answer) -> dict:
    """The mapping step's form as the page would post it."""
    page = answer.content.decode()
    posted = dict(re.findall(r'type="hidden" name="(token|file_name)" value="([^"]*)"', page))
    for index, select in re.findall(r'name="column_(\d+)">(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', select)
        posted[f"column_{index}"] = chosen.group(1) if chosen else ""
    return posted


def test_upload_guesses_the_mapping_from_polish_headers(admin_client, people):
    posted = _step(_upload(admin_client))
    assert [posted[f"column_{i}"] for i in range(4)] == ["name", "amount", "stage", "contacts"]


def test_dry_run_lists_the_bad_row_and_writes_nothing(admin_client, people):
    posted = _step(_upload(admin_client))
    answer = admin_client.post(URL, {**posted, "action": "dry-run"})
    page = answer.content.decode()
    assert answer.status_code == 200
    assert "Dry run: what would happen" in page
    assert re.search(r"<td>3</td><td>Name</td>", page)
    assert not Deal.objects.exists() and not DealImport.objects.exists()


def test_import_creates_the_good_rows_and_reports_the_bad_one(admin_client, people):
    posted = _step(_upload(admin_client))
    answer = admin_client.post(URL, {**posted, "action": "import"})
    page = answer.content.decode()
    assert sorted(Deal.objects.values_list("name", flat=True)) == ["Flota", "Odnowienie"]
    assert "<strong>2</strong> created" in page and "<strong>1</strong> rejected" in page
    assert 'name="token"' not in page  # the file is gone with the import


def test_a_mapping_without_the_name_is_refused(admin_client, people):
    posted = {**_step(_upload(admin_client)), "column_0": ""}
    answer = admin_client.post(URL, {**posted, "action": "dry-run"})
    assert answer.status_code == 422
    assert "Map a column to the deal" in answer.content.decode()


@pytest.mark.parametrize(
    "name, content",
    [
        ("deals.png", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00"),
        ("deals.csv", ""),
        ("deals.csv", "\n\n"),
        ("deals.xlsx", "PK\x03\x04 not a workbook"),
    ],
)
def test_a_bad_file_gets_a_translated_error(admin, people, name, content):
    client = Client(HTTP_ACCEPT_LANGUAGE="pl")
    client.force_login(admin)
    answer = _upload(client, content, name)
    assert answer.status_code == 422
    assert 'id="import-file-error"' in answer.content.decode()


def test_a_file_gone_between_the_steps_asks_for_it_again(admin_client, people):
    answer = admin_client.post(
        URL, {"token": "0" * 32 + ".csv", "file_name": "deals.csv", "action": "import"}
    )
    assert answer.status_code == 422
    assert "upload it again" in answer.content.decode()
    assert not Deal.objects.exists()


def test_a_token_cannot_name_a_file_outside_the_imports(admin_client, people):
    answer = admin_client.post(
        URL, {"token": "../../settings.py", "file_name": "x.csv", "action": "dry-run"}
    )
    assert answer.status_code == 422


def test_the_page_is_in_polish(admin, people):
    client = Client(HTTP_ACCEPT_LANGUAGE="pl")
    client.force_login(admin)
    assert "Import transakcji" in client.get(URL).content.decode()


def test_a_file_past_the_upload_limit_says_so(admin_client, people, settings):
    settings.KARTOTEKA_MAX_UPLOAD_BYTES = 10
    answer = _upload(admin_client)
    page = answer.content.decode()
    assert answer.status_code == 422
    assert "larger than the limit" in page and "Choose a CSV" not in page


def test_a_file_left_after_a_dry_run_goes_with_the_next_upload_a_day_later(admin_client, people):
    token = _step(_upload(admin_client))["token"]
    left = imports.kept_file(token)
    a_day_ago = time.time() - imports.KEPT_FOR.total_seconds() - 60
    os.utime(left, (a_day_ago, a_day_ago))
    _upload(admin_client)
    assert not left.exists()


def test_the_mapping_step_posted_as_a_plain_form_runs(admin_client, people):
    posted = _step(_upload(admin_client))
    answer = admin_client.post(
        URL,
        urlencode({**posted, "action": "dry-run"}),
        content_type="application/x-www-form-urlencoded",
    )
    assert answer.status_code == 200
    assert "Dry run: what would happen" in answer.content.decode()


def test_a_plain_form_without_a_file_asks_for_one(admin_client, people):
    answer = admin_client.post(URL, "", content_type="application/x-www-form-urlencoded")
    assert answer.status_code == 422
    assert "Choose a CSV or Excel" in answer.content.decode()
