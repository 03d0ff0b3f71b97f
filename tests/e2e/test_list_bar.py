"""The contact list is for scanning: one compact bar above the rows, one line per row, a header
that stays in view, and a selection that can take every matching contact."""

import csv
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from kartoteka.contacts.models import Contact
from tests.e2e.conftest import PHONE, login, screenshot
from tests.factories import make_contact

pytestmark = pytest.mark.e2e

LAPTOP = {"width": 1440, "height": 900}
LOCALES = {"en": "en-GB", "es": "es-ES", "pl": "pl-PL"}
LONG_NAME = "Maximiliana Esperanza Concepción de la Santísima Trinidad"


def _open(browser, live_server, user, *, viewport=LAPTOP, language="en"):
    context = browser.new_context(viewport=viewport, locale=LOCALES[language])
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.base_url = live_server.url
    login(page, user)
    return page


def _many(owner, n: int, **data) -> list:
    return [make_contact(owners=[owner], **data) for _ in range(n)]


@pytest.mark.parametrize("language", ["en", "es", "pl"])
def test_the_first_row_sits_near_the_top_of_a_laptop_screen(browser, live_server, admin, language):
    _many(admin, 12, tags=["vip"], company="Acme")
    page = _open(browser, live_server, admin, language=language)
    page.goto(f"{page.base_url}/contacts/?tag=vip")
    expect(page.locator(".list-count")).to_contain_text("12")
    top = page.locator("#contact-table tbody tr").first.bounding_box()["y"]
    screenshot(page, f"list-bar-{language}", full_page=False)
    page.context.close()
    assert top <= 200


@pytest.mark.parametrize("language", ["en", "es", "pl"])
def test_the_bar_fits_a_phone(browser, live_server, admin, language):
    _many(admin, 6, tags=["vip"])
    page = _open(browser, live_server, admin, viewport=PHONE, language=language)
    page.goto(f"{page.base_url}/contacts/?tag=vip")
    page.locator(".filters-menu > summary").click()
    expect(page.locator("#filters-panel")).to_be_visible()
    screenshot(page, f"list-bar-phone-{language}", full_page=False)
    width = page.evaluate("document.documentElement.scrollWidth")
    page.context.close()
    assert width <= PHONE["width"]


def test_a_long_name_stays_on_one_line_with_its_full_text_in_the_title(page, admin):
    make_contact(admin, first_name=LONG_NAME, last_name="Fernández-Villaverde y Ortega")
    login(page, admin)
    link = page.locator("#contact-table a.contact-name").first
    full = f"{LONG_NAME} Fernández-Villaverde y Ortega"
    assert link.get_attribute("title") == full
    line = page.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('#contact-table td')).lineHeight) || 22"
    )
    cell = link.locator("xpath=..")
    assert cell.bounding_box()["height"] < 2 * line
    assert cell.evaluate("c => c.scrollWidth > c.clientWidth")  # cut short on screen


def test_the_header_row_stays_in_view_while_the_rows_scroll(browser, live_server, admin):
    _many(admin, 40)
    page = _open(browser, live_server, admin)
    page.goto(f"{page.base_url}/contacts/")
    rows = page.locator("#contact-table tbody tr")
    first = rows.first.bounding_box()["y"]
    box = page.locator(".table-wrap").bounding_box()
    page.mouse.move(box["x"] + 300, box["y"] + 300)
    page.mouse.wheel(0, 1200)
    expect(rows.nth(30)).to_be_in_viewport()
    header = page.locator("#contact-table thead th").nth(1).bounding_box()
    screenshot(page, "list-scrolled", full_page=False)
    assert rows.first.bounding_box()["y"] < first - 400  # the rows moved up
    assert 0 <= header["y"] <= first  # the header did not leave the screen
    assert page.locator("#contact-table thead th").nth(1).is_visible()
    page.context.close()


def test_compact_rows_are_toggled_and_remembered(page, admin):
    _many(admin, 3)
    login(page, admin)
    row = page.locator("#contact-table tbody tr").first
    comfortable = row.bounding_box()["height"]
    toggle = page.get_by_role("button", name="Compact", exact=True)
    expect(toggle).to_have_attribute("aria-pressed", "false")
    toggle.click()
    expect(page.locator(".list-layout")).to_have_class(re.compile("density-compact"))
    page.goto(f"{page.base_url}/contacts/")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    assert row.bounding_box()["height"] < comfortable
    toggle.click()
    expect(page.locator(".list-layout")).to_have_class(re.compile("density-comfortable"))


def test_the_filters_button_opens_the_builder_and_quick_filters_and_a_chip_clears_its_filter(
    page, admin
):
    make_contact(admin, first_name="Vip", last_name="One", tags=["vip"])
    make_contact(admin, first_name="Plain", last_name="Two")
    login(page, admin)
    panel = page.locator("#filters-panel")
    expect(panel).to_be_hidden()
    page.locator(".filters-menu > summary").click()
    expect(panel.locator("#f-tag")).to_be_visible()
    expect(panel.get_by_role("button", name=re.compile("Add condition"))).to_be_visible()
    panel.locator("#f-tag").fill("vip")
    panel.get_by_role("button", name="Apply", exact=True).click()
    page.wait_for_url(re.compile(r"tag=vip"))
    chip = page.locator(".listbar .bar-chip")
    expect(chip).to_have_text(re.compile("Tag: vip"))
    expect(page.locator("#contact-table tbody tr")).to_have_count(1)
    page.get_by_role("link", name="Remove Tag: vip").click()
    expect(page.locator(".listbar .bar-chip")).to_have_count(0)
    expect(page.locator("#contact-table tbody tr")).to_have_count(2)


def _select_every_match(page, total: int) -> None:
    page.locator("#select-all").check()
    offer = page.get_by_role("button", name=f"Select all {total} matching contacts")
    expect(page.locator("#select-banner")).to_contain_text(
        "All 50 contacts on this page are selected."
    )
    offer.click()
    expect(page.locator("#select-banner")).to_contain_text(
        f"All {total} matching contacts are selected."
    )
    expect(page.locator("#selected-count")).to_have_text(str(total))


def test_select_every_matching_contact_then_export_exports_exactly_those(page, admin):
    matching = _many(admin, 53, tags=["fair"])
    _many(admin, 4)
    login(page, admin)
    page.goto(f"{page.base_url}/contacts/?tag=fair")
    _select_every_match(page, 53)
    page.get_by_role("button", name="Export selection").click()
    page.wait_for_url(re.compile(r"/export/"))
    expect(page.locator("#export-count")).to_contain_text("53 contacts will be exported.")
    page.get_by_label("CSV").check()
    for box in page.locator("input[name=columns]").all():
        box.set_checked(box.get_attribute("value") == "email")
    with page.expect_download() as download:
        page.get_by_role("button", name="Export", exact=True).click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    emails = sorted(row[0] for row in list(csv.reader(io.StringIO(text)))[1:])
    assert emails == sorted(c.email for c in matching)


def test_a_bulk_tag_on_every_matching_contact_reaches_past_the_page(page, admin):
    matching = _many(admin, 52, tags=["fair"])
    others = _many(admin, 3)
    login(page, admin)
    page.goto(f"{page.base_url}/contacts/?tag=fair")
    _select_every_match(page, 52)
    page.locator("#bulk-action").select_option("add_tag")
    page.locator("#bulk-value").fill("followed-up")
    page.get_by_role("button", name="Apply to selection").click()
    expect(page.get_by_text("52 contacts updated.")).to_be_visible()
    tagged = Contact.objects.filter(tags__name="followed-up")
    assert sorted(tagged.values_list("pk", flat=True)) == sorted(c.pk for c in matching)
    assert not any(c.tags.filter(name="followed-up").exists() for c in others)


def test_a_sales_users_select_all_never_touches_others_contacts(page, sales, other_sales):
    mine = _many(sales, 51, tags=["fair"])
    theirs = _many(other_sales, 4, tags=["fair"])
    login(page, sales)
    page.goto(f"{page.base_url}/contacts/?tag=fair")
    _select_every_match(page, 51)
    page.locator("#bulk-action").select_option("add_tag")
    page.locator("#bulk-value").fill("mine")
    page.get_by_role("button", name="Apply to selection").click()
    expect(page.get_by_text("51 contacts updated.")).to_be_visible()
    tagged = Contact.objects.filter(tags__name="mine")
    assert sorted(tagged.values_list("pk", flat=True)) == sorted(c.pk for c in mine)
    assert not Contact.objects.filter(pk__in=[c.pk for c in theirs], tags__name="mine").exists()
