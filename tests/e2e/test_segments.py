"""The filter builder, chips, saved filters and the Segments page, driven like a person."""

import json
import re
from urllib.parse import quote

from kartoteka.contacts.models import Status
from tests.e2e.conftest import login, screenshot
from tests.factories import make_contact


def test_build_a_filter_see_the_count_apply_and_save_it(page, sales):
    for n in range(3):
        make_contact(sales, first_name=f"Won{n}", tags=["vip"], status=Status.WON, country="ES")
    make_contact(sales, first_name="Lead", tags=["vip"], status=Status.LEAD, country="PL")
    make_contact(sales, first_name="Plain", country="ES")
    login(page, sales)
    page.goto(f"{page.base_url}/contacts/?q={quote('tag:vip country:ES,PL')}")
    chips = page.locator(".listbar .bar-chip")
    assert chips.count() == 2
    page.locator(".filters-menu > summary").click()
    assert page.locator(".builder-row").count() == 2  # the filter opens as rows to edit
    page.get_by_role("button", name=re.compile("Add condition")).click()
    row = page.locator(".builder-row").last
    row.locator(".builder-field").select_option("status")
    row.locator(".builder-op").select_option("eq")
    row.get_by_role("combobox", name="Status").click()
    row.get_by_role("option", name=re.compile("^Client")).click()
    page.locator("#builder-count").get_by_text("3 contacts match").wait_for()
    screenshot(page, "segments-builder")
    page.get_by_role("button", name=re.compile("Apply conditions")).click()
    page.wait_for_url(re.compile(r"f="))
    assert page.locator(".listbar .bar-chip").count() == 3
    assert page.locator("#contact-table tbody tr").count() == 3
    page.locator(".filters-menu > summary").click()
    page.locator(".save-filter summary").click()
    page.locator("#save-name").fill("Spanish and Polish VIP clients")
    page.locator(".save-filter").get_by_role("button", name="Save as segment").click()
    page.get_by_text("Segment saved.").wait_for()
    page.goto(f"{page.base_url}/segments/")
    row = page.locator("tbody tr").first
    assert "Spanish and Polish VIP clients" in row.inner_text()
    assert re.search(r"\b3\b", row.locator("td.count").inner_text())
    screenshot(page, "segments-page")


def test_removing_a_chip_drops_its_condition(page, sales):
    make_contact(sales, first_name="Keep", tags=["vip"], country="PL")
    login(page, sales)
    document = {
        "all": [
            {"field": "tags", "op": "has_any", "value": ["vip"]},
            {"field": "country", "op": "eq", "value": "ES"},
        ]
    }
    page.goto(f"{page.base_url}/contacts/?f={quote(json.dumps(document))}")
    assert page.locator("#contact-table tbody tr td.empty").count() == 1
    page.get_by_role("link", name="Remove Country is Spain").click()
    page.wait_for_load_state()
    assert page.locator(".listbar .bar-chip").count() == 1
    assert "Keep" in page.locator("#contact-table tbody").inner_text()


def test_a_wrong_text_filter_is_explained(page, sales):
    login(page, sales)
    page.goto(f"{page.base_url}/contacts/?q={quote('score>lots')}")
    assert "is not a number" in page.locator(".form-errors").inner_text()
    screenshot(page, "segments-error")


def test_a_condition_waits_for_its_value_before_counting(page, sales):
    make_contact(sales, first_name="Ana", city="Madrid")
    make_contact(sales, first_name="Jan", city="Kraków")
    login(page, sales)
    page.goto(f"{page.base_url}/contacts/")
    page.locator(".filters-menu > summary").click()
    page.get_by_role("button", name=re.compile("Add condition")).click()
    page.locator(".builder-field").select_option("city")
    page.locator(".builder-op").select_option("eq")
    counter = page.locator("#builder-count")
    counter.get_by_text("Fill in each condition to see the count.").wait_for()
    assert counter.locator(".error-text").count() == 0
    page.locator(".builder-value input").fill("Madrid")
    counter.get_by_text("1 contact matches").wait_for()
    page.locator(".builder-value input").fill("")
    counter.get_by_text("Fill in each condition to see the count.").wait_for()
