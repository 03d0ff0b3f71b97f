"""The filter builder's pickers, driven like a person: values picked from what exists with
their counts, dates, behaviour as a sentence, the live count, a segment opened in the builder."""

import datetime as dt
import json
import re
from urllib.parse import quote

from django.utils import timezone
from playwright.sync_api import expect

from kartoteka.activity import services as timeline
from kartoteka.contacts.models import Contact
from kartoteka.segments import services as segment_services
from tests.e2e.conftest import PHONE, login, screenshot
from tests.factories import make_contact


def open_filters(page):
    """On the contact list the builder sits in the closed Filters panel; open it."""
    summary = page.locator(".filters-menu > summary")
    if summary.count() and not page.locator("#builder-add").is_visible():
        summary.click()
    expect(page.locator("#builder-add")).to_be_visible()


def add_row(page):
    open_filters(page)
    page.locator("#builder-add").click()
    return page.locator(".builder-row").last


def count(page):
    return page.locator("#builder-count")


def test_a_country_picked_by_its_polish_name_by_keyboard_counts_its_contacts(page, sales):
    for _n in range(2):
        make_contact(sales, country="ES")
    make_contact(sales, country="PL")
    login(page, sales)
    page.locator(".langswitch button[value=pl]").click()
    expect(page.locator("html")).to_have_attribute("lang", "pl")
    open_filters(page)
    page.locator("#builder-add").focus()
    page.keyboard.press("Enter")
    field = page.locator(".builder-row .builder-field")
    expect(field).to_be_focused()
    field.select_option("country")
    page.keyboard.press("Tab")  # the operator: "jest"
    page.keyboard.press("Tab")  # the picker's search box
    picker = page.get_by_role("combobox", name="Kraj")
    expect(picker).to_be_focused()
    page.keyboard.type("Hiszp")
    expect(page.locator(".picker-option", has_text="Hiszpania")).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator(".picker-token")).to_have_text(re.compile("Hiszpania"))
    expect(count(page)).to_have_text("2 kontakty pasują")
    screenshot(page, "builder-country-pl")
    page.keyboard.press("Control+Enter")
    page.wait_for_url(re.compile(r"f="))
    applied = json.loads(page.evaluate("new URL(location.href).searchParams.get('f')"))
    assert applied == {"all": [{"field": "country", "op": "eq", "value": "ES"}]}
    assert page.locator("#contact-table tbody tr").count() == 2


def test_a_tag_is_picked_from_the_list_with_its_count(page, sales, other_sales):
    for _n in range(3):
        make_contact(sales, tags=["vip"])
    make_contact(sales, tags=["cold"])
    make_contact(other_sales, tags=["vip"])  # not theirs: neither listed nor counted
    login(page, sales)
    row = add_row(page)
    row.locator(".builder-field").select_option("tags")
    row.get_by_role("combobox", name="Tags").click()
    vip = row.get_by_role("option", name=re.compile("^vip"))
    expect(vip.locator(".picker-count")).to_have_text("3")
    expect(
        page.get_by_role("option", name=re.compile("^cold")).locator(".picker-count")
    ).to_have_text("1")
    vip.click()
    expect(count(page)).to_have_text("3 contacts match")


def test_a_list_closed_with_escape_stays_closed_when_a_slow_answer_arrives(page, sales):
    make_contact(sales, tags=["vip"])
    login(page, sales)
    row = add_row(page)
    row.locator(".builder-field").select_option("tags")
    picker = row.get_by_role("combobox", name="Tags")
    picker.click()
    row.get_by_role("option", name=re.compile("^vip")).wait_for()
    # Picking one of several values asks for the rest; that answer is held back until after
    # the person has closed the list.
    held = []
    page.route(re.compile(r"/segments/options/"), lambda route: held.append(route))
    row.get_by_role("option", name=re.compile("^vip")).click()
    for _attempt in range(100):
        if held:
            break
        page.wait_for_timeout(20)
    assert held, "picking a value asks for the other values"
    picker.press("Escape")
    for route in held:
        route.continue_()
    page.wait_for_timeout(300)
    expect(row.get_by_role("listbox")).to_be_hidden()
    page.locator("#builder-add").click()  # nothing covers the next button
    expect(page.locator(".builder-row")).to_have_count(2)


def test_a_date_in_the_last_7_days(page, sales):
    make_contact(sales, first_name="New")
    old = make_contact(sales, first_name="Old")
    Contact.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=30))
    login(page, sales)
    row = add_row(page)
    row.locator(".builder-field").select_option("created_at")
    row.locator(".builder-op").select_option("in_last_days")
    days = row.get_by_role("spinbutton", name="Number of days")
    days.fill("7")
    expect(count(page)).to_have_text("1 contact matches")
    days.fill("60")
    expect(count(page)).to_have_text("2 contacts match")


def test_a_behaviour_sentence_with_its_numbers_edited(page, sales):
    busy, once = make_contact(sales), make_contact(sales)
    now = timezone.now()
    for days in (1, 2, 3, 10):
        timeline.record(busy, "visit", occurred_at=now - dt.timedelta(days=days))
    timeline.record(once, "visit", occurred_at=now - dt.timedelta(days=1))
    login(page, sales)
    row = add_row(page)
    row.locator(".builder-field").select_option("activity:visit")
    expect(row.locator(".builder-sentence")).to_have_text(
        re.compile(r"at least\s*times in the last\s*days")
    )
    expect(count(page)).to_have_text("1 contact matches")  # 3 times in 7 days: the busy one
    row.get_by_role("spinbutton", name="How many times").fill("1")
    expect(count(page)).to_have_text("2 contacts match")
    row.get_by_role("spinbutton", name="How many times").fill("4")
    row.get_by_role("spinbutton", name="Number of days").fill("30")
    expect(count(page)).to_have_text("1 contact matches")
    page.get_by_role("button", name="Apply conditions").click()
    page.wait_for_url(re.compile(r"f="))
    applied = json.loads(page.evaluate("new URL(location.href).searchParams.get('f')"))
    assert applied == {"all": [{"activity": "visit", "min_count": 4, "within_days": 30}]}


def test_an_opened_segment_shows_its_conditions_in_pickers(page, sales):
    make_contact(sales, country="ES", tags=["vip"], score=60)
    make_contact(sales, country="ES", tags=["vip"], score=5)
    document = {
        "all": [
            {"field": "country", "op": "in", "value": ["ES", "PL"]},
            {"field": "tags", "op": "has_any", "value": ["vip"]},
            {"field": "score", "op": "gte", "value": 50},
            {
                "any": [
                    {"field": "first_name", "op": "eq", "value": "x"},
                    {"field": "score", "op": "gt", "value": 1},
                ]
            },
        ]
    }
    segment_services.create_segment(sales, name="Spanish VIPs", document=document, shared=False)
    login(page, sales)
    page.goto(f"{page.base_url}/segments/")
    page.get_by_role("link", name="Show contacts").click()
    open_filters(page)
    rows = page.locator(".builder-row")
    expect(rows).to_have_count(4)
    expect(rows.nth(0).locator(".picker-token")).to_have_text(
        [re.compile("Spain"), re.compile("Poland")]
    )
    expect(rows.nth(1).locator(".picker-token")).to_have_text([re.compile("vip")])
    expect(rows.nth(2).locator(".builder-op")).to_have_value("gte")
    expect(rows.nth(2).locator(".builder-value input")).to_have_value("50")
    expect(rows.nth(3)).to_contain_text("Score")
    expect(count(page)).to_have_text("1 contact matches")
    expect(page.get_by_role("button", name="Apply conditions")).to_be_hidden()
    rows.nth(2).get_by_role("button", name="Remove condition").click()
    expect(count(page)).to_have_text("2 contacts match")
    screenshot(page, "builder-segment-opened")


def test_the_builder_fits_a_phone_in_spanish(page, sales):
    make_contact(sales, country="ES", tags=["vip"])
    page.set_viewport_size(PHONE)
    login(page, sales)
    page.locator(".langswitch button[value=es]").click()
    document = {"all": [{"field": "country", "op": "eq", "value": "ES"}]}
    page.goto(f"{page.base_url}/contacts/?f={quote(json.dumps(document))}")
    open_filters(page)
    expect(page.locator(".picker-token")).to_have_text(re.compile("España"))
    expect(count(page)).to_have_text("1 contacto coincide")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
    screenshot(page, "builder-phone-es")
