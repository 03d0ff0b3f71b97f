"""Browser tests of mailing lists: the list page, the public form and the preferences page, in
English, Spanish and Polish and at phone width."""

import re

import pytest
from playwright.sync_api import expect

from kartoteka.consents import services as consent_services
from kartoteka.core.scope import SYSTEM
from kartoteka.mailing import queries, services, tokens
from kartoteka.mailing.models import Subscription
from tests.e2e.conftest import PHONE, login, screenshot
from tests.factories import make_contact

THANKS = {
    "en": "Thank you!",
    "es": "¡Gracias!",
    "pl": "Dziękujemy!",
}
SAVE_PREFERENCES = {
    "en": "Save preferences",
    "es": "Guardar preferencias",
    "pl": "Zapisz preferencje",
}
SUBSCRIBERS = {"en": "Subscribers", "es": "Suscriptores", "pl": "Subskrybenci"}


def _granted(contact) -> None:
    consent_services.record_consent(
        SYSTEM,
        contact,
        channel="email",
        purpose="marketing",
        status="granted",
        source="staff",
        proof={"where": "a signed form"},
    )


def test_admin_creates_a_list_and_reads_its_page_in_three_languages(page, admin):
    contact = make_contact(first_name="Marta", last_name="Nowak")
    _granted(contact)
    login(page, admin)
    page.goto(f"{page.base_url}/lists/")
    page.locator("details.new-list summary").click()
    page.locator("#list-name").fill("Newsletter")
    page.locator("#list-key").fill("newsletter")
    page.get_by_role("button", name="Create list").click()
    expect(page.locator("h1")).to_have_text("Newsletter")
    mailing_list = queries.get_list_by_key("newsletter")
    services.subscribe_contacts(SYSTEM, mailing_list, contact_ids=[contact.pk])
    page.reload()
    expect(page.locator(".status-count-subscribed .count-number")).to_have_text("1")
    expect(page.locator("svg.bars rect")).to_have_count(30)
    for language in ("en", "es", "pl"):
        page.locator(f".langswitch button[value={language}]").click()
        expect(page.locator("h2").nth(1)).to_have_text(SUBSCRIBERS[language])
        screenshot(page, f"mailing-list-{language}")
    page.set_viewport_size(PHONE)
    screenshot(page, "mailing-list-phone")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]


@pytest.mark.parametrize("language", ["en", "es", "pl"])
def test_the_public_form_subscribes_in_the_lists_language(page, language):
    services.create_list(
        SYSTEM,
        data={"key": f"list-{language}", "name": "Kartoteka News", "language": language},
    )
    page.set_viewport_size(PHONE)
    page.goto(f"{page.base_url}/subscribe/list-{language}")
    expect(page.locator("html")).to_have_attribute("lang", language)
    page.locator("#sub-email").fill("ana@example.com")
    page.locator("#sub-first-name").fill("Ana")
    page.locator("input[name=consent]").check()
    screenshot(page, f"mailing-form-{language}-phone")
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".public-message")).to_contain_text(THANKS[language])
    screenshot(page, f"mailing-form-done-{language}-phone")
    assert Subscription.objects.get().status == "pending"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


@pytest.mark.parametrize("language", ["en", "es", "pl"])
def test_the_preferences_page_changes_lists_in_three_languages(browser, live_server, language):
    contact = make_contact()
    _granted(contact)
    mailing_list = services.create_list(SYSTEM, data={"key": "news", "name": "News"})
    services.subscribe_contacts(SYSTEM, mailing_list, contact_ids=[contact.pk])
    context = browser.new_context(viewport=PHONE, locale=language)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/preferences/{tokens.preferences_token(contact.pk)}")
        save = page.get_by_role("button", name=SAVE_PREFERENCES[language])
        expect(save).to_be_visible()
        screenshot(page, f"mailing-preferences-{language}-phone")
        page.locator(f"input[name=list_{mailing_list.pk}]").uncheck()
        save.click()
        expect(page.locator(".flash-success")).to_be_visible()
        assert Subscription.objects.get().status == "unsubscribed"
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        context.close()


def test_the_unsubscribe_link_asks_then_unsubscribes(page):
    contact = make_contact()
    _granted(contact)
    mailing_list = services.create_list(SYSTEM, data={"key": "news", "name": "News"})
    services.subscribe_contacts(SYSTEM, mailing_list, contact_ids=[contact.pk])
    page.goto(
        f"{page.base_url}/unsubscribe/{tokens.unsubscribe_token(contact.pk, mailing_list.pk)}"
    )
    page.get_by_role("button", name=re.compile("Unsubscribe")).click()
    expect(page.locator(".public-message")).to_contain_text("unsubscribed")
    assert Subscription.objects.get().status == "unsubscribed"


def test_subscribing_from_the_cards_lists_section(page, admin):
    from tests.e2e.conftest import open_card

    contact = make_contact(first_name="Marta", last_name="Nowak")
    _granted(contact)
    services.create_list(SYSTEM, data={"key": "news", "name": "News"})
    login(page, admin)
    open_card(page, contact)
    section = page.locator(f"#lists-{contact.pk}")
    section.get_by_role("button", name="Subscribe to a list").click()  # the empty section's action
    section.get_by_role("button", name="Subscribe", exact=True).click()
    expect(page.locator(f"#lists-{contact.pk} .state-badge")).to_have_text("Subscribed")
    screenshot(page, "mailing-card-section")
    assert Subscription.objects.get().source == "card"
