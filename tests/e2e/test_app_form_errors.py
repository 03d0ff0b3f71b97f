"""Errors of the consents, mailing and commerce forms in a browser, in Spanish and Polish: each
message at the field it is about, what was typed kept, and the page at phone width too."""

import pytest
from playwright.sync_api import expect

from kartoteka.core.scope import SYSTEM
from kartoteka.mailing import services as mailing
from tests.e2e.conftest import PHONE, login, screenshot
from tests.factories import make_contact

pytestmark = pytest.mark.django_db(transaction=True)

TEXT_ERROR = {
    "es": "Escribe el texto que se muestra a las personas",
    "pl": "Wpisz tekst pokazywany ludziom",
}
LINE_ERROR = {"es": "Línea 2:", "pl": "Wiersz 2:"}
NAME_ERROR = {"es": "Ponle un nombre.", "pl": "Nadaj nazwę."}


def _language(page, language: str) -> None:
    page.locator(f".langswitch button[value={language}]").first.click()
    expect(page.locator("html")).to_have_attribute("lang", language)


@pytest.fixture(params=["es", "pl"])
def language(request):
    return request.param


def test_a_legal_text_left_blank_is_named_under_its_purpose(page, admin, language):
    login(page, admin)
    _language(page, language)
    page.goto(f"{page.base_url}/settings/consents/")
    page.locator("#body-marketing").fill("   ")
    page.locator("#body-marketing").locator("xpath=..").locator("button").click()
    error = page.locator("#body-marketing").locator("xpath=..").locator(".field-errors")
    expect(error).to_contain_text(TEXT_ERROR[language])
    screenshot(page, f"form-errors-consents-purposes-{language}")


def test_a_wrong_product_line_is_named_by_its_number(page, admin, language):
    contact = make_contact(first_name="Marta", last_name="Nowak")
    login(page, admin)
    _language(page, language)
    page.goto(f"{page.base_url}/contacts/{contact.pk}/events/")
    form = page.locator("form[action$='/events/add/']")
    form.locator("xpath=ancestor::details").locator("summary").click()
    form.locator("#event-products").fill("BOOT-42; Trail boots; 1; 39.90\nSOCK-3; Socks; 2; cheap")
    form.locator("button[type=submit]").click()
    products = page.locator("#event-products").locator("xpath=..")
    expect(products.locator(".field-errors")).to_contain_text(LINE_ERROR[language])
    expect(page.locator("#event-products")).to_have_value(
        "BOOT-42; Trail boots; 1; 39.90\nSOCK-3; Socks; 2; cheap"
    )
    screenshot(page, f"form-errors-commerce-event-{language}")


def test_a_list_edit_keeps_what_was_typed_and_names_the_field(
    browser, live_server, admin, language
):
    newsletter = mailing.create_list(
        SYSTEM, data={"key": "newsletter", "name": "Newsletter", "language": "en"}
    )
    context = browser.new_context(viewport=PHONE, locale="en-GB")
    page = context.new_page()
    page.base_url = live_server.url
    try:
        login(page, admin)
        _language(page, language)
        page.goto(f"{page.base_url}/lists/{newsletter.pk}/")
        edit = page.locator("form[action$='/edit/']")
        edit.locator("xpath=ancestor::details").locator("summary").click()
        edit.locator("#list-name").fill("")
        edit.locator("#list-key").fill("boletin")
        edit.locator("button[type=submit]").click()
        expect(page.locator("#list-name").locator("xpath=..")).to_contain_text(NAME_ERROR[language])
        expect(page.locator("#list-key")).to_have_value("boletin")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"] + 1, width
        page.locator("#list-name").scroll_into_view_if_needed()
        screenshot(page, f"form-errors-mailing-edit-phone-{language}", full_page=False)
    finally:
        context.close()
