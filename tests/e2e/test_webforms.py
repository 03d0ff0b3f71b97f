"""Browser tests of forms: the hosted page filled in at phone width in Spanish and Polish, and
Settings → Forms."""

import pytest
from playwright.sync_api import expect

from kartoteka.core.scope import SYSTEM
from kartoteka.webforms import services
from kartoteka.webforms.models import Submission
from tests.e2e.conftest import PHONE, login, screenshot

THANKS = {"es": "¡Gracias!", "pl": "Dziękujemy!"}
SEND = {"es": "Enviar", "pl": "Wyślij"}
FORMS = {"en": "Forms", "es": "Formularios", "pl": "Formularze"}


def _form():
    return services.create_form(
        SYSTEM,
        data={
            "name": "Demo",
            "fields": [
                {"key": "first_name", "label": "Nombre / Imię", "maps_to": "first_name"},
                {
                    "key": "company",
                    "label": "Empresa / Firma",
                    "required": True,
                    "maps_to": "company",
                },
                {"key": "message", "label": "Mensaje / Wiadomość", "type": "textarea"},
            ],
            "consent_text": "Acepto / Zgadzam się",
        },
    )


@pytest.mark.parametrize("language", ["es", "pl"])
def test_the_hosted_form_is_filled_in_at_phone_width(browser, live_server, settings, language):
    settings.KARTOTEKA_FORM_MIN_SECONDS = 1
    form = _form()
    context = browser.new_context(viewport=PHONE, locale=language)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/f/{form.key}")
        expect(page.locator("html")).to_have_attribute("lang", language)
        page.wait_for_timeout(1100)
        page.locator("main form button[type=submit]").click()
        expect(page.locator("#wf-company ~ .field-error")).to_be_visible()
        screenshot(page, f"webform-errors-{language}-phone")
        page.locator("#wf-email").fill("ana@example.com")
        page.locator("#wf-first_name").fill("Ana")
        page.locator("#wf-company").fill("Acme")
        page.locator("input[name=consent]").check()
        screenshot(page, f"webform-{language}-phone")
        page.wait_for_timeout(1100)
        page.get_by_role("button", name=SEND[language]).click()
        expect(page.locator("[role=status]")).to_contain_text(THANKS[language])
        screenshot(page, f"webform-done-{language}-phone")
        assert Submission.objects.get().values["company"] == "Acme"
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        context.close()


def test_admin_reads_form_settings_in_three_languages(page, admin):
    form = _form()
    login(page, admin)
    page.goto(f"{page.base_url}/settings/forms/{form.pk}/")
    for language in ("en", "es", "pl"):
        page.locator(f".langswitch button[value={language}]").click()
        expect(page.locator(".settings-nav [aria-current=page]")).to_have_text(FORMS[language])
        screenshot(page, f"webform-settings-{language}")
    page.set_viewport_size(PHONE)
    screenshot(page, "webform-settings-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_the_card_tab_shows_what_the_contact_sent(page, admin):
    form = _form()
    submission = services.submit_form(
        form,
        values={
            "email": "ana@example.com",
            "company": "Acme",
            "message": "Llamadme",
            "consent": "on",
        },
        proof={"page_url": "https://shop.example.com/?utm_source=google", "ip": "203.0.113.5"},
    )
    login(page, admin)
    page.set_viewport_size(PHONE)
    page.goto(f"{page.base_url}/contacts/{submission.contact_id}/submissions/")
    for language in ("es", "pl"):
        page.locator(f".langswitch button[value={language}]").click()
        expect(page.locator("main h2").first).to_contain_text("Demo")
        expect(page.locator("main")).to_contain_text("Llamadme")
        screenshot(page, f"webform-card-tab-{language}-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
