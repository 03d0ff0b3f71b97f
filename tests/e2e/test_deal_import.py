"""Deals → Import in a browser: upload a file, check the mapping guessed from its headers, a dry
run that lists the bad row and writes nothing, the import and its report; the page in Polish;
a file that is not a table gets a translated error."""

import pytest
from playwright.sync_api import expect

from kartoteka.deals.models import Deal
from tests.e2e.conftest import PHONE, login, screenshot
from tests.factories import make_contact, sales_pipeline

pytestmark = pytest.mark.django_db(transaction=True)

SHEET = (
    "Deal;Amount;Stage;E-mail\n"
    "Fleet;1200;New;ana@example.com\n"
    ";100;New;ana@example.com\n"
    "Renewal;300;New;jan@example.com\n"
)


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path


@pytest.fixture
def people(admin):
    sales_pipeline()
    return make_contact(email="ana@example.com"), make_contact(email="jan@example.com")


def _upload(page, tmp_path, text=SHEET, name="deals.csv") -> None:
    sheet = tmp_path / name
    sheet.write_bytes(text.encode())
    page.goto(f"{page.base_url}/deals/list/")
    page.locator(".toolbar a[href='/deals/import/']").click()
    page.locator("#import-file").set_input_files(str(sheet))
    page.locator("#import-file").locator("xpath=ancestor::form").locator(
        "button[type=submit]"
    ).click()


def test_upload_map_dry_run_and_import_with_the_report(page, admin, people, tmp_path):
    login(page, admin)
    _upload(page, tmp_path)
    expect(page.locator("#column-0")).to_have_value("name")
    expect(page.locator("#column-3")).to_have_value("contacts")
    page.locator("#column-1").select_option("")  # the amount is left out
    page.get_by_role("button", name="Dry run").click()
    result = page.locator("#import-result")
    expect(result).to_contain_text("Dry run: what would happen")
    expect(result.locator("table.problems-errors")).to_contain_text("3")
    expect(page.locator("#column-1")).to_have_value("")  # the mapping as it was chosen
    screenshot(page, "deal-import-dry-run")
    assert not Deal.objects.exists()
    page.get_by_role("button", name="Start import").click()
    expect(page.locator("#import-result")).to_contain_text("Result")
    expect(page.locator("#import-result table.problems-errors")).to_contain_text("3")
    assert sorted(Deal.objects.values_list("name", flat=True)) == ["Fleet", "Renewal"]
    assert not Deal.objects.exclude(amount=0).exists()


def test_the_page_in_polish_on_a_phone_and_a_bad_file(page, admin, people, tmp_path):
    login(page, admin)
    page.locator(".langswitch button[value=pl]").first.click()
    expect(page.locator("html")).to_have_attribute("lang", "pl")
    page.set_viewport_size(PHONE)
    _upload(page, tmp_path, "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "deals.png")
    expect(page.locator("h1")).to_have_text("Import transakcji")
    expect(page.locator("#import-file-error")).to_be_visible()
    screenshot(page, "deal-import-bad-file-pl-phone")
    _upload(page, tmp_path)
    expect(page.locator("label[for=column-0]")).to_have_text("Pole dla Deal")
    page.locator("button[value=dry-run]").click()
    expect(page.locator("#import-result")).to_contain_text("odrzucone")
    screenshot(page, "deal-import-dry-run-pl-phone")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width
