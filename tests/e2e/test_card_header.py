"""The card header in a real browser: the Actions menu by keyboard alone, values edited by
clicking them (the error in the reader's language, the focus back on the value), Add note, and
the header at phone width in English, Spanish and Polish."""

import pytest
from playwright.sync_api import expect

from kartoteka.commerce import services as commerce_services
from kartoteka.consents import services as consent_services
from kartoteka.contacts.models import Contact
from kartoteka.core.scope import SYSTEM
from tests.e2e.conftest import DESKTOP, PHONE, choose_language, login, open_card, screenshot
from tests.factories import make_contact, make_deal

SAVE = {"en": "Save", "es": "Guardar", "pl": "Zapisz"}
ADD_FAX = {"en": "Add fax", "es": "Añadir fax", "pl": "Dodaj faks"}
NOT_A_PHONE = {
    "en": "Not a phone number",
    "es": "No es un número de teléfono",
    "pl": "To nie jest numer telefonu",
}
LIFETIME = {"en": "Lifetime value", "es": "Valor del cliente", "pl": "Wartość klienta"}
ACTIONS = {"en": "Actions", "es": "Acciones", "pl": "Akcje"}


def _focused_text(page) -> str:
    return page.evaluate("document.activeElement.textContent.trim()")


@pytest.fixture
def busy(sales):
    contact = make_contact(
        owners=[sales], first_name="Maximiliana", last_name="Wiśniewska-Castellanos"
    )
    commerce_services.record_events(
        SYSTEM,
        [
            {
                "id": f"purchase-{n}",
                "contact": {"id": contact.pk},
                "type": "purchase",
                "value": value,
                "occurred_at": f"2026-0{n + 1}-10T12:00:00+00:00",
            }
            for n, value in enumerate(["1250.00", "89.90"])
        ],
    )
    make_deal(contacts=[contact], amount="12500.00")
    for channel, status in (("email", "granted"), ("sms", "withdrawn")):
        consent_services.record_consent(
            SYSTEM, contact, channel=channel, purpose="marketing", status=status, source="form"
        )
    consent_services.block_contact(SYSTEM, contact, blocked=True, reason="Disputed invoices")
    return Contact.objects.get(pk=contact.pk)


def test_actions_menu_opens_and_runs_an_action_by_keyboard_alone(page, sales):
    contact = make_contact(owners=[sales])
    login(page, sales)
    open_card(page, contact)
    button = page.get_by_role("button", name="Actions")
    menu = page.locator("#card-actions-menu")
    button.focus()
    page.keyboard.press("Enter")
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(menu.get_by_role("menuitem").first).to_be_focused()
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    expect(button).to_be_focused()
    expect(button).to_have_attribute("aria-expanded", "false")

    page.keyboard.press("ArrowUp")  # opens on the last entry
    expect(menu.get_by_role("menuitem").last).to_be_focused()
    for _ in range(menu.get_by_role("menuitem").count()):
        if _focused_text(page) == "Stop monitoring":
            break
        page.keyboard.press("ArrowDown")
    assert _focused_text(page) == "Stop monitoring"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("#card-header .state-badge.state-off")).to_have_text("Not monitored")
    assert Contact.objects.get(pk=contact.pk).is_monitored is False


def test_a_post_action_from_the_menu_asks_its_question_first(page, sales):
    contact = make_contact(owners=[sales])
    login(page, sales)
    open_card(page, contact)
    questions = []
    page.on("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="Actions").click()
    page.get_by_role("menuitem", name="Delete").click()
    expect(page.locator("#card-actions-menu")).to_be_hidden()
    expect(page.get_by_role("button", name="Actions")).to_be_focused()
    assert questions == ["Delete this contact and everything on its card?"]
    assert Contact.objects.filter(pk=contact.pk).exists()


@pytest.mark.parametrize("language", ["en", "es"])
def test_clicking_a_value_opens_its_form_and_save_updates_the_header(page, sales, language):
    contact = make_contact(owners=[sales])
    login(page, sales)
    choose_language(page, language)
    open_card(page, contact)
    page.get_by_role("button", name=ADD_FAX[language]).click()
    fax = page.locator("#edit-fax")
    expect(fax).to_be_focused()
    fax.fill("call me")
    page.locator("#fact-fax").get_by_role("button", name=SAVE[language]).click()
    expect(page.locator("#edit-fax-error")).to_contain_text(NOT_A_PHONE[language])
    page.locator("#edit-fax").fill("+34 911 222 333")
    page.locator("#fact-fax").get_by_role("button", name=SAVE[language]).click()
    value = page.locator("#fact-fax .inplace-value")
    expect(value).to_have_text("+34911222333")
    expect(value).to_be_focused()  # the keyboard goes on from the value it edited
    assert Contact.objects.get(pk=contact.pk).fax == "+34911222333"


def test_cancel_returns_to_the_header_with_the_focus_on_the_value(page, sales):
    contact = make_contact(owners=[sales], company="Acme")
    login(page, sales)
    open_card(page, contact)
    page.locator("#fact-company .inplace-value").click()
    expect(page.locator("#edit-company")).to_be_visible()
    page.locator("#fact-company").get_by_role("button", name="Cancel").click()
    expect(page.locator("#edit-company")).to_have_count(0)
    expect(page.locator("#fact-company .inplace-value")).to_be_focused()


def test_the_pencil_shows_on_keyboard_focus(page, sales):
    contact = make_contact(owners=[sales])
    login(page, sales)
    open_card(page, contact)
    name = page.locator("#fact-name .inplace-value")
    pencil = "el => getComputedStyle(el, '::after').opacity"
    assert name.evaluate(pencil) == "0"
    name.focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    expect(name).to_be_focused()
    assert name.evaluate(pencil) == "1"


def test_add_note_puts_the_focus_in_the_notes_form(page, sales):
    contact = make_contact(owners=[sales])
    login(page, sales)
    open_card(page, contact)
    page.get_by_role("link", name="Add note").click()
    expect(page.locator(f"#work-notes-{contact.pk}-body")).to_be_focused()


@pytest.mark.parametrize("language", ["en", "es", "pl"])
def test_header_fits_a_phone_and_a_laptop(page, admin, busy, language):
    login(page, admin)
    choose_language(page, language)
    for size, name in ((DESKTOP | {"width": 1440}, "1440"), (PHONE, "390")):
        page.set_viewport_size(size)
        open_card(page, busy)
        summary = page.locator(".card-summary")
        expect(summary).to_contain_text(LIFETIME[language])
        expect(summary.locator(".summary-item")).to_have_count(6)
        assert page.evaluate("document.documentElement.scrollWidth") <= size["width"]
        assert summary.evaluate("el => el.scrollWidth <= el.clientWidth")
        screenshot(page, f"card-header-{language}-{name}", full_page=False)
        page.get_by_role("button", name=ACTIONS[language], exact=True).click()
        box = page.locator("#card-actions-menu").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= size["width"], box
        screenshot(page, f"card-header-menu-{language}-{name}", full_page=False)
