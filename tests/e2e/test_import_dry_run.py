"""The dry run of an import answers at the top of the page, where the user is looking after
pressing the button, with rejected rows and warnings apart; the country of numbers without a
prefix is pre-selected from the file."""

import pytest
from playwright.sync_api import expect

from kartoteka.contacts.models import Contact
from tests.e2e.conftest import PHONE, login, screenshot
from tests.factories import UserFactory

pytestmark = pytest.mark.e2e

SHEET = (
    "Adres e-mail;Imię;Telefon;Data urodzenia\n"
    "zofia@example.pl;Zofia;601 234 567;1985-04-12\n"
    "jan@example.pl;Jan;abc;1990-01-01\n"
    "brak-maila;Ewa;602 345 678;\n"
)


def _upload(page, tmp_path) -> None:
    sheet = tmp_path / "klienci.csv"
    sheet.write_bytes(SHEET.encode("windows-1250"))
    page.goto(f"{page.base_url}/imports/")
    page.locator("#import-file").set_input_files(str(sheet))
    page.locator("#import-file").locator("xpath=ancestor::form").locator(
        "button[type=submit]"
    ).click()
    expect(page.locator("#phone_region")).to_have_value("PL")


def test_the_dry_run_result_shows_at_the_top_of_the_page(page, transactional_db, tmp_path):
    login(page, UserFactory(username="alba", role="admin"))
    _upload(page, tmp_path)
    page.get_by_role("button", name="Dry run").click()
    result = page.locator("#dry-run")
    expect(result).to_contain_text("2 created")
    expect(result).to_be_in_viewport()
    # Above the settings, not below them.
    assert (
        result.bounding_box()["y"] < page.locator("form[action$='/configure/']").bounding_box()["y"]
    )
    expect(result.locator("table.problems-errors")).to_contain_text("brak-maila")
    expect(result.locator("table.problems-warnings")).to_contain_text("abc")
    assert not Contact.objects.exists()
    screenshot(page, "import-dry-run-top", full_page=False)


@pytest.mark.parametrize("language", ["es", "pl"])
def test_the_dry_run_result_at_the_top_in_spanish_and_polish_on_a_phone(
    page, transactional_db, tmp_path, language
):
    login(page, UserFactory(username="alba", role="admin"))
    page.locator(f".langswitch button[value={language}]").click()
    expect(page.locator("html")).to_have_attribute("lang", language)
    page.set_viewport_size(PHONE)
    _upload(page, tmp_path)
    page.locator("button[value=dry-run]").click()
    expect(page.locator("#dry-run")).to_be_in_viewport()
    expect(page.locator("#dry-run h2")).not_to_have_text("Dry run: what would happen")
    screenshot(page, f"import-dry-run-{language}-phone", full_page=False)
    page.locator("#phone_region").scroll_into_view_if_needed()
    expect(page.locator("#phone_region")).to_have_value("PL")
    screenshot(page, f"import-options-{language}-phone", full_page=False)
