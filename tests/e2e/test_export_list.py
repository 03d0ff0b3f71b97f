"""Export takes the list the user was looking at, however it was narrowed: the count the export
page shows is the list's count, and the file holds exactly the list's contacts."""

import csv
import io
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from kartoteka.contacts.models import Status
from kartoteka.segments.services import create_saved_filter, create_segment
from tests.e2e.conftest import PHONE, login, screenshot
from tests.factories import make_contact

pytestmark = pytest.mark.e2e

VIP_ES = {
    "all": [
        {"field": "tags", "op": "has_any", "value": ["vip"]},
        {"field": "country", "op": "eq", "value": "ES"},
    ]
}
SPANISH_VIPS = ["ana@example.com", "bea@example.com", "eva@example.com"]


@pytest.fixture
def people(admin):
    rows = [
        ("ana@example.com", "ES", ["vip"], Status.WON),
        ("bea@example.com", "ES", ["vip"], Status.NEW),
        ("carl@example.com", "PL", ["vip"], Status.WON),
        ("dora@example.com", "ES", [], Status.WON),
        ("eva@example.com", "ES", ["vip"], Status.LOST),
        ("finn@example.com", "DE", [], Status.NEW),
    ]
    for email, country, tags, status in rows:
        make_contact(admin, email=email, country=country, tags=tags, status=status)


def _list_count(page) -> int:
    """The count the list shows above the table (loaded by htmx)."""
    counter = page.locator(".page-head > span.muted")
    expect(counter).to_contain_text(re.compile(r"\d+ contacts?"))
    return int(re.search(r"(\d+) contacts?", counter.inner_text())[1])


def _export_from_list(page, name: str) -> tuple[int, list[str]]:
    """Follow the list's Export link; return the count the export page shows and the e-mails
    in the CSV file it gives."""
    page.locator(".toolbar").get_by_role("link", name="Export", exact=True).click()
    return _export_here(page, name)


def _export_here(page, name: str) -> tuple[int, list[str]]:
    page.wait_for_url(re.compile(r"/export/"))
    shown = page.locator("#export-count").inner_text()
    count = int(re.search(r"(\d+) contacts? will be exported", shown)[1])
    screenshot(page, f"export-{name}")
    page.get_by_label("CSV").check()
    for box in page.locator("input[name=columns]").all():
        box.set_checked(box.get_attribute("value") == "email")
    with page.expect_download() as download:
        page.get_by_role("button", name="Export", exact=True).click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["E-mail"]
    return count, sorted(row[0] for row in rows[1:])


def _open_filters(page) -> None:
    """The quick filters and the builder sit in the panel of the list bar's Filters button."""
    page.locator(".filters-menu > summary").click()


def test_export_a_list_narrowed_with_the_filter_builder(page, admin, people):
    login(page, admin)
    page.goto(f"{page.base_url}/contacts/")
    _open_filters(page)
    # Values are picked from what exists, as a person picks them.
    for field, op, label, typed, option in (
        ("tags", "has_any", "Tags", "vi", "^vip"),
        ("country", "eq", "Country", "Spa", "^Spain"),
    ):
        page.get_by_role("button", name=re.compile("Add condition")).click()
        row = page.locator(".builder-row").last
        row.locator(".builder-field").select_option(field)
        row.locator(".builder-op").select_option(op)
        picker = row.get_by_role("combobox", name=label)
        picker.fill(typed)
        row.get_by_role("option", name=re.compile(option)).click()
        picker.press("Escape")
    page.locator("#builder-count").get_by_text("3 contacts match").wait_for()
    page.get_by_role("button", name=re.compile("Apply conditions")).click()
    page.wait_for_url(re.compile(r"f="))
    assert _list_count(page) == 3
    assert _export_from_list(page, "builder") == (3, SPANISH_VIPS)


def test_export_a_list_opened_from_a_segment(page, admin, people):
    create_segment(admin, name="Spanish VIPs", document=VIP_ES)
    login(page, admin)
    page.goto(f"{page.base_url}/segments/")
    page.get_by_role("link", name="Spanish VIPs").click()
    page.wait_for_url(re.compile(r"/contacts/\?f="))
    assert _list_count(page) == 3
    assert _export_from_list(page, "segment") == (3, SPANISH_VIPS)


def test_export_a_list_opened_from_a_saved_filter(page, admin, people):
    create_saved_filter(admin, name="Spanish VIPs", document=VIP_ES)
    login(page, admin)
    page.goto(f"{page.base_url}/contacts/")
    page.locator(".saved-menu > summary").click()
    page.locator(".saved-list").get_by_role("link", name="Spanish VIPs").click()
    page.wait_for_url(re.compile(r"f="))
    assert _list_count(page) == 3
    assert _export_from_list(page, "saved-filter") == (3, SPANISH_VIPS)


def test_export_a_list_narrowed_with_a_typed_query(page, admin, people):
    login(page, admin)
    page.goto(f"{page.base_url}/contacts/")
    page.locator("#f-q").fill("tag:vip country:ES")
    page.locator("#f-q").press("Enter")
    page.wait_for_url(re.compile(r"q=tag"))
    assert _list_count(page) == 3
    assert _export_from_list(page, "typed-query") == (3, SPANISH_VIPS)


def test_export_a_list_narrowed_with_quick_filters(page, admin, people):
    login(page, admin)
    page.goto(f"{page.base_url}/contacts/")
    _open_filters(page)
    page.locator("#f-tag").fill("vip")
    page.locator("#f-status").select_option("won")
    page.get_by_role("button", name="Apply", exact=True).click()
    page.wait_for_url(re.compile(r"status=won"))
    assert _list_count(page) == 2
    assert _export_from_list(page, "quick-filters") == (2, ["ana@example.com", "carl@example.com"])


def test_export_the_ticked_rows(page, admin, people):
    login(page, admin)
    page.goto(f"{page.base_url}/contacts/?q={quote('country:ES')}")
    for email in ("bea@example.com", "dora@example.com"):
        page.locator("#contact-table tr", has_text=email).locator("input[name=ids]").check()
    expect(page.locator("#selected-count")).to_have_text("2")
    page.get_by_role("button", name="Export selection").click()
    expect(page.locator("#export-count")).to_contain_text("(the contacts you selected)")
    assert _export_here(page, "ticked") == (2, ["bea@example.com", "dora@example.com"])


def test_export_the_clients_view_with_its_filter(page, admin, people):
    login(page, admin)
    page.goto(f"{page.base_url}/clients/")
    page.locator("#f-q").fill("country:ES")
    page.locator("#f-q").press("Enter")
    page.wait_for_url(re.compile(r"/clients/\?"))
    assert _list_count(page) == 2
    count, exported = _export_from_list(page, "clients")
    assert (count, exported) == (2, ["ana@example.com", "dora@example.com"])


COUNTED = {"es": "Se exportarán 3 contactos.", "pl": "Zostaną wyeksportowane 3 kontakty."}


@pytest.mark.parametrize("language", ["es", "pl"])
def test_the_export_page_on_a_phone_says_the_count_in_the_users_language(
    browser, live_server, admin, people, language
):
    context = browser.new_context(viewport=PHONE, locale=language)
    page = context.new_page()
    page.base_url = live_server.url
    login(page, admin)
    page.goto(f"{page.base_url}/export/?q={quote('tag:vip country:ES')}")
    expect(page.locator("#export-count")).to_contain_text(COUNTED[language])
    screenshot(page, f"export-phone-{language}")
    width = page.evaluate("document.documentElement.scrollWidth")
    context.close()
    assert width <= PHONE["width"]
