"""An admin brings in a messy Polish spreadsheet saved by Excel in Windows-1250, checks how it
was read, runs a dry run and the import, reads which row failed and why, takes the list back out
as CSV, and finally reverts the import."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from kartoteka.contacts.models import Contact
from tests.e2e.conftest import go_by_nav, login, screenshot
from tests.factories import UserFactory

pytestmark = pytest.mark.e2e

SHEET = (
    "Adres e-mail;Imię;Nazwisko;Telefon;Miasto\n"
    "zofia@example.pl;Zofia;Wójcik;+48 601 234 567;Łódź\n"
    "brak-maila;Jan;Kowalski;+48 602 345 678;Kraków\n"
    "piotr@example.pl;Piotr;Wiśniewski;;Gdańsk\n"
)


def test_import_a_spreadsheet_export_it_and_revert(page, transactional_db, tmp_path):
    admin = UserFactory(username="alba", role="admin")
    sheet = tmp_path / "klienci.csv"
    sheet.write_bytes(SHEET.encode("windows-1250"))
    login(page, admin)

    go_by_nav(page, "Import")
    page.locator("#import-file").set_input_files(str(sheet))
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.locator("#encoding")).to_have_value("windows-1250")
    expect(page.locator("#delimiter")).to_have_value(";")
    expect(page.get_by_role("cell", name="Łódź")).to_be_visible()
    expect(page.locator("#map-0")).to_have_value("email")
    expect(page.locator("#map-2")).to_have_value("last_name")

    page.get_by_role("button", name="Dry run").click()
    expect(page.locator("#dry-run")).to_contain_text("2 created")
    assert not Contact.objects.exists()
    screenshot(page, "transfer-dry-run")

    page.get_by_role("button", name="Start import").click()
    expect(page.get_by_text("2 created")).to_be_visible()
    expect(page.get_by_role("cell", name="brak-maila")).to_be_visible()
    with page.expect_download() as report:
        page.get_by_role("link", name="Download error report (CSV)").click()
    lines = Path(report.value.path()).read_text(encoding="utf-8").splitlines()
    assert lines[1].startswith("3,error,Adres e-mail: ")
    assert ",brak-maila,Jan,Kowalski," in lines[1] and lines[1].endswith(",Kraków")
    screenshot(page, "transfer-result")
    assert Contact.objects.get(email="zofia@example.pl").city == "Łódź"

    page.goto(f"{page.base_url}/contacts/")
    page.get_by_role("link", name="Export").last.click()
    page.get_by_label("CSV").check()
    with page.expect_download() as exported:
        page.get_by_role("button", name="Export").click()
    text = Path(exported.value.path()).read_text(encoding="utf-8-sig")
    assert "zofia@example.pl" in text and "Wójcik" in text

    page.go_back()
    page.goto(f"{page.base_url}/imports/")
    page.get_by_role("link", name=re.compile(r"^\d+$")).first.click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Revert this import").click()
    expect(page.get_by_text("Import reverted.")).to_be_visible()
    assert not Contact.objects.exists()
