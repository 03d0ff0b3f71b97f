"""The card's Consents section in a browser: the consent in force and its history, staff
recording a consent (where it was given is required), the Blocked badge, in English, Spanish
and Polish, on a laptop and on a 390 px phone."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kartoteka.consents import queries, services
from kartoteka.core.scope import SYSTEM
from tests.e2e.conftest import ARTIFACTS, PHONE, login, open_card, screenshot
from tests.factories import make_contact

pytestmark = pytest.mark.e2e

TITLES = {"en": "Consents", "es": "Consentimientos", "pl": "Zgody"}
RECORD = {"en": "Record", "es": "Registrar", "pl": "Zapisz"}
WHERE_ERROR = {
    "en": "Say where the contact gave this consent",
    "es": "Indica dónde dio el contacto este consentimiento",
    "pl": "Podaj, gdzie kontakt udzielił tej zgody",
}
BADGE = {"en": "Blocked", "es": "Bloqueado", "pl": "Zablokowany"}
OPEN_FORM = {"en": "Record a consent", "es": "Registrar un consentimiento", "pl": "Zapisz zgodę"}


@pytest.fixture
def person(sales):
    contact = make_contact(
        owners=[sales],
        first_name="Małgorzata",
        last_name="Fernández-Wiśniewska",
        email="malgorzata.fernandez-wisniewska@przedsiebiorstwo.example",
    )
    now = timezone.now()
    services.record_consent(
        SYSTEM,
        contact,
        channel="email",
        purpose="marketing",
        status="granted",
        source="form",
        proof={
            "page_url": "https://www.przedsiebiorstwo.example/newsletter/zapisz-sie?utm_source=x",
            "ip": "203.0.113.77",
        },
        given_at=now - timedelta(days=30),
    )
    services.record_consent(
        SYSTEM,
        contact,
        channel="email",
        purpose="marketing",
        status="withdrawn",
        source="unsubscribe",
        given_at=now - timedelta(days=2),
    )
    services.block_contact(SYSTEM, contact, blocked=True, reason="Asked not to be called")
    return contact


def _language(page, language: str) -> None:
    if language != "en":
        page.locator(f".langswitch button[value={language}]").first.click()
        expect(page.locator("html")).to_have_attribute("lang", language)


def _section_shot(page, section, name: str) -> None:
    """The section alone, all of it (its body scrolls inside the card)."""
    page.evaluate(
        "document.getElementById('section-body-consents').style.maxHeight = 'none';"
        "document.querySelector('.topbar').style.position = 'static'"
    )
    ARTIFACTS.mkdir(exist_ok=True)
    section.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def _no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1, width


@pytest.mark.parametrize("language", ["en", "es", "pl"])
def test_section_in_force_history_and_staff_grant(page, sales, person, language):
    login(page, sales)
    _language(page, language)
    open_card(page, person)
    section = page.locator("#section-consents")
    expect(section.locator("h3")).to_contain_text(TITLES[language])
    expect(section.locator(".consent-withdrawn").first).to_be_visible()
    expect(page.locator(".state-badge.state-danger")).to_have_text(BADGE[language])

    section.get_by_text(OPEN_FORM[language]).click()
    form = section.locator("form.consents-form")
    form.locator("select[name=channel]").select_option("sms")
    form.get_by_role("button", name=RECORD[language]).click()
    expect(section.locator(".field-errors")).to_contain_text(WHERE_ERROR[language])
    form = section.locator("form.consents-form")
    form.locator("input[name=where]").fill("Stoisko na targach w Madrycie")
    form.get_by_role("button", name=RECORD[language]).click()
    expect(section.locator(".consents-history")).to_contain_text("Stoisko na targach w Madrycie")
    assert queries.consent_status(person, channel="sms", purpose="marketing") == "granted"
    _section_shot(page, section, f"consents-section-{language}")
    screenshot(page, f"consents-card-{language}")


@pytest.mark.parametrize("language", ["en", "es", "pl"])
def test_section_fits_a_phone(browser, live_server, sales, person, language):
    context = browser.new_context(viewport=PHONE, locale="en-GB")
    page = context.new_page()
    page.base_url = live_server.url
    try:
        login(page, sales)
        _language(page, language)
        open_card(page, person)
        section = page.locator("#section-consents")
        expect(section.locator("h3")).to_contain_text(TITLES[language])
        _no_sideways_scroll(page)
        _section_shot(page, section, f"consents-section-phone-{language}")
        page.goto(f"{page.base_url}/contacts/{person.pk}/block/")
        expect(page.locator("h1")).to_contain_text(re.compile("Małgorzata"))
        expect(page.locator(".consents-blocked")).to_contain_text("Asked not to be called")
        _no_sideways_scroll(page)
        screenshot(page, f"consents-block-phone-{language}")
        page.wait_for_load_state("networkidle")
    finally:
        context.close()


def test_admin_publishes_a_legal_text_version(page, admin):
    login(page, admin)
    page.goto(f"{page.base_url}/settings/consents/")
    page.locator("input[name=name]").fill("Perfilado")
    page.locator("input[name=key]").fill("profiling")
    page.get_by_role("button", name="Add purpose").click()
    page.locator("#body-profiling").fill("Usaremos tus compras para recomendarte productos.")
    page.locator("#body-profiling").locator("xpath=..").get_by_role(
        "button", name="Publish new version"
    ).click()
    expect(page.locator(".legal-text").first).to_be_visible()
    expect(page.get_by_text("Text in force: version 1")).to_be_visible()
    screenshot(page, "consents-purposes")
