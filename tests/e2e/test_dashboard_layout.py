"""The card's dashboard packs its sections into columns without holes at every width, titles
carry their counts, an empty section offers the action that fills it, and tags wear the colour
chosen in Settings on the card and in the list."""

import re

import pytest
from playwright.sync_api import expect

from kartoteka.activity import services as activity_services
from kartoteka.contacts import services as contact_services
from tests.e2e.conftest import login, open_card, screenshot
from tests.factories import make_contact, make_deal

pytestmark = pytest.mark.e2e

LONG_NOTE = "\n\n".join(f"Paragraph {n} of a long note about the fleet renewal." for n in range(12))

# For every shown section: the largest gap between its top and the bottom of the sections above
# it that share part of its width (None for a section at the top of its column).
GAPS = """() => {
  const gutter = parseFloat(getComputedStyle(document.getElementById("dashboard")).columnGap);
  const boxes = Array.from(document.querySelectorAll("#dashboard > .section:not([hidden])"))
    .map(s => ({key: s.dataset.key, r: s.getBoundingClientRect()}));
  const columns = new Set(boxes.map(b => Math.round(b.r.left))).size;
  const gaps = boxes.map(b => {
    const above = boxes.filter(o => o !== b && o.r.bottom <= b.r.top + 1
      && o.r.left < b.r.right - 1 && o.r.right > b.r.left + 1);
    if (!above.length) return [b.key, null];
    return [b.key, b.r.top - Math.max(...above.map(o => o.r.bottom))];
  });
  return {gutter, columns, gaps};
}"""
SETTLED = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"


def _busy_contact(owner):
    """A contact whose sections differ much in height: a long note, tags, tasks, a deal."""
    contact = make_contact(owners=[owner], company="Acme")
    contact_services.add_tags(owner, contact, names=["vip", "fleet", "trade fair"])
    for body in (LONG_NOTE, "Short note.", "Call back on Monday."):
        activity_services.add_note(owner, contact, body=body)
    for title, status in (("Send the offer", "open"), ("Book a demo", "in_progress")):
        activity_services.create_task(
            owner, data={"title": title, "status": status, "contacts": [contact.pk]}
        )
    activity_services.create_task(
        owner, data={"title": "Intro call", "status": "done", "contacts": [contact.pk]}
    )
    make_deal(owner=owner, contacts=[contact], name="Fleet renewal")
    return contact


@pytest.mark.parametrize(("width", "columns"), [(1440, 2), (1024, 1), (390, 1)])
def test_dashboard_leaves_no_holes(page, sales, width, columns):
    contact = _busy_contact(sales)
    login(page, sales)
    page.set_viewport_size({"width": width, "height": 900})
    open_card(page, contact)
    page.wait_for_load_state("networkidle")
    page.evaluate(SETTLED)
    measured = page.evaluate(GAPS)
    screenshot(page, f"dashboard-packed-{width}")
    assert measured["columns"] >= columns
    holes = [(key, gap) for key, gap in measured["gaps"] if gap is not None]
    assert holes, "every section sits at the top of a column: nothing was measured"
    assert [(k, g) for k, g in holes if g > measured["gutter"] + 2] == []


def test_dashboard_repacks_when_a_section_grows(page, sales):
    contact = _busy_contact(sales)
    login(page, sales)
    page.set_viewport_size({"width": 1440, "height": 900})
    open_card(page, contact)
    page.locator("#section-tasks summary").click()  # the add-task form opens and grows Tasks
    page.evaluate(SETTLED)
    measured = page.evaluate(GAPS)
    too_wide = measured["gutter"] + 2
    assert [(k, g) for k, g in measured["gaps"] if g is not None and g > too_wide] == []
    assert all(g is None or g >= 0 for _k, g in measured["gaps"])  # nothing overlaps


def test_titles_carry_their_counts(page, sales):
    contact = _busy_contact(sales)
    login(page, sales)
    open_card(page, contact)
    expect(page.locator("#section-count-notes")).to_have_text("3")
    expect(page.locator("#section-count-tasks")).to_have_text("2 open")
    expect(page.locator("#section-count-deals")).to_have_text("1")
    expect(page.locator("#section-count-tags")).to_have_text("3")
    expect(page.locator("#section-title-notes")).to_have_text(re.compile(r"Notes\s+3"))


def _empty_section(page, owner, key: str, sentence: str):
    """The section of a new contact's card, saying it is empty."""
    contact = make_contact(owners=[owner])
    login(page, owner)
    open_card(page, contact)
    section = page.locator(f"#section-{key}")
    expect(section).to_contain_text(sentence)
    return contact, section


def test_empty_notes_section_offers_a_note_and_its_count_follows(page, sales):
    _contact, notes = _empty_section(page, sales, "notes", "No notes yet.")
    expect(notes.locator("textarea")).to_be_hidden()
    notes.get_by_role("button", name="Add note").click()
    expect(notes.locator("textarea")).to_be_focused()
    notes.locator("textarea").fill("Met at the trade fair.")
    notes.get_by_role("button", name="Add note").click()
    expect(notes.locator(".work-item")).to_contain_text("Met at the trade fair.")
    expect(page.locator("#section-count-notes")).to_have_text("1")


def test_empty_deals_section_offers_to_create_a_deal(page, sales):
    contact, deals = _empty_section(page, sales, "deals", "No deals yet.")
    deals.get_by_role("link", name="Create deal").click()
    expect(page).to_have_url(re.compile(rf"/deals/new/\?contact={contact.pk}"))


def test_tag_colour_chosen_in_settings_shows_on_the_card_and_the_list(page, admin):
    contact = make_contact(owners=[admin])
    contact_services.add_tags(admin, contact, names=["vip"])
    login(page, admin)
    page.goto(f"{page.base_url}/settings/tags/")
    row = page.get_by_role("row", name=re.compile("vip"))
    row.get_by_label("Colour").select_option(label="Pink")
    row.get_by_role("button", name="Save").click()
    expect(page.locator(".tag-chip", has_text="vip")).to_have_css(
        "background-color", "rgb(190, 24, 93)"
    )
    open_card(page, contact)
    chip = page.locator("#section-tags .tag-chip", has_text="vip")
    expect(chip).to_have_css("background-color", "rgb(190, 24, 93)")
    expect(chip).to_have_css("color", "rgb(255, 255, 255)")
    page.goto(f"{page.base_url}/contacts/")
    expect(page.locator("#contact-table .tag-chip", has_text="vip")).to_have_css(
        "background-color", "rgb(190, 24, 93)"
    )
