"""Browser tests of the members' area — sign-in, the member's own page, a wrong password — in
English, Spanish and Polish at phone width, and of the card's Membership section."""

import contextlib

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from kartoteka.contacts.models import Contact
from kartoteka.members import services
from tests.e2e.conftest import DESKTOP, PHONE, login, open_card, screenshot
from tests.members.conftest import PASSWORD, make_member

HELLO = {"en": "Hello, Ana", "es": "Hola, Ana", "pl": "Witaj, Ana"}
WRONG = {
    "en": "The e-mail or the password is wrong.",
    "es": "El correo o la contraseña no son correctos.",
    "pl": "E-mail lub hasło są nieprawidłowe.",
}
SAVED = {
    "en": "Your details are saved.",
    "es": "Tus datos se han guardado.",
    "pl": "Twoje dane zostały zapisane.",
}


@contextlib.contextmanager
def _phone(browser, live_server, language: str):
    context = browser.new_context(viewport=PHONE, locale=language)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.base_url = live_server.url
    try:
        yield page
    finally:
        with contextlib.suppress(PlaywrightError):
            page.wait_for_load_state("networkidle", timeout=5_000)
        context.close()


@pytest.mark.parametrize("language", ["en", "es", "pl"])
def test_a_member_signs_in_and_edits_their_details_on_a_phone(browser, live_server, language):
    member = make_member(f"ana.{language}@example.com", first_name="Ana", last_name="García")
    with _phone(browser, live_server, language) as page:
        page.goto(f"{page.base_url}/members/")
        expect(page.locator("html")).to_have_attribute("lang", language)
        page.locator("#member-email").fill(member.contact.email)
        page.locator("#member-password").fill("not the password")
        page.locator("main form button[type=submit]").click()
        expect(page.locator(".form-errors")).to_have_text(WRONG[language])
        screenshot(page, f"members-sign-in-{language}-phone")
        page.locator("#member-password").fill(PASSWORD)
        page.locator("main form button[type=submit]").click()
        expect(page.locator("h1")).to_have_text(HELLO[language])
        page.locator("#m-city").fill("Kraków")
        page.locator("#details-title + form button[type=submit]").click()
        expect(page.locator(".flash-success")).to_have_text(SAVED[language])
        assert Contact.objects.get(pk=member.contact.pk).city == "Kraków"
        screenshot(page, f"members-area-{language}-phone")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"]


def test_the_card_makes_a_contact_a_member(page, admin):
    services.create_group(admin, name="Course A")
    member = make_member("bea@example.com", first_name="Bea")
    services.set_membership(admin, member.contact, enabled=False)
    login(page, admin)
    page.set_viewport_size(DESKTOP)
    open_card(page, member.contact)
    section = page.locator(".members-section")
    expect(section).to_contain_text("Not a member.")
    section.get_by_role("button", name="Make a member").click()
    section.get_by_label("Member (may sign in to the members' area)").check()
    section.get_by_label("Course A").check()
    section.get_by_role("button", name="Save membership").click()
    expect(page.locator(".members-section")).to_contain_text("Member since")
    expect(page.locator(".members-section .members-facts")).to_contain_text("Course A")
    screenshot(page, "members-card-section")
