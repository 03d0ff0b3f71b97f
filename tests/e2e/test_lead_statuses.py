"""Settings → Lead statuses in the browser: drag a status by its handle, move one with the
keyboard (the arrow buttons keep the focus), in English, Spanish and Polish, and at 390 px;
the card's status change takes a reason that lands on the timeline."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, login, open_card, screenshot
from tests.factories import make_contact

pytestmark = pytest.mark.e2e


def _keys(page) -> list[str]:
    return page.locator("#status-list li").evaluate_all("els => els.map(e => e.dataset.key)")


def _drag(page, source: str, target: str) -> None:
    start = page.locator(f"#status-{source} .drag-handle").bounding_box()
    end = page.locator(f"#status-{target} .drag-handle").bounding_box()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(start["x"] + 4, start["y"] + start["height"] / 2 - 4, steps=5)
    page.mouse.move(end["x"] + 4, end["y"] + 2, steps=25)
    page.wait_for_timeout(300)
    page.mouse.up()


def test_drag_and_keyboard_reorder_in_three_languages(page, admin):
    login(page, admin)
    page.goto(f"{page.base_url}/settings/statuses/")
    expect(page.locator("h2").first).to_have_text("Lead statuses")
    assert _keys(page)[:3] == ["new", "lead", "qualified"]

    # Drag "Lost" above "Lead": the page posts the new order and comes back with it.
    with page.expect_navigation():
        _drag(page, "lost", "lead")
    expect(page.locator(".flash-success")).to_be_visible()
    keys = _keys(page)
    assert keys.index("lost") < keys.index("lead")
    screenshot(page, "lead-statuses-en")

    # The keyboard: focus "Move Lost down", press Enter twice; the focus stays on the button.
    down = page.get_by_role("button", name="Move Lost down")
    down.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Move Lost down")).to_be_focused()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    keys = _keys(page)
    assert keys[:4] == ["new", "lead", "qualified", "lost"], keys
    page.reload()
    assert _keys(page) == keys

    page.locator(".langswitch button[value=es]").click()
    expect(page.locator("#status-won .status")).to_have_text("Cliente")
    expect(page.get_by_role("button", name="Subir Perdido")).to_be_visible()
    screenshot(page, "lead-statuses-es")
    page.locator(".langswitch button[value=pl]").click()
    expect(page.locator("#status-won .status")).to_have_text("Klient")
    page.locator("form.form-grid input[name=name]").fill("Wyślij ofertę")
    page.get_by_role("button", name="Dodaj status").click()
    expect(page.locator("#status-wyslij_oferte .status")).to_have_text("Wyślij ofertę")
    screenshot(page, "lead-statuses-pl")


def test_the_settings_page_fits_a_phone(page, admin):
    page.set_viewport_size(PHONE)
    login(page, admin)
    page.goto(f"{page.base_url}/settings/statuses/")
    expect(page.locator("#status-list li")).to_have_count(7)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width
    screenshot(page, "lead-statuses-390")
    page.locator("#status-lead").evaluate("element => element.scrollIntoView()")
    with page.expect_navigation():
        _drag(page, "lost", "lead")
    keys = _keys(page)  # dropped on Lead, at the top edge: it lands beside it
    assert abs(keys.index("lost") - keys.index("lead")) == 1, keys
    page.reload()
    assert _keys(page) == keys


def test_the_card_asks_for_a_reason(page, admin):
    contact = make_contact(admin, status="discarded")
    login(page, admin)
    open_card(page, contact)
    page.locator("#card-status").select_option("lead")
    page.get_by_placeholder("Reason (optional)").fill("Discarded by mistake")
    page.get_by_role("button", name="Change status").click()
    expect(page.locator("#card-status")).to_have_value("lead")
    expect(page.get_by_text("Discarded by mistake")).to_be_visible()
    screenshot(page, "card-status-reason")
