"""Switching the interface language in the browser: English, Spanish and Polish."""

from playwright.sync_api import expect

from tests.e2e.conftest import login, screenshot
from tests.factories import make_contact


def test_switch_to_spanish_and_polish_and_back(page, sales):
    contact = make_contact(owners=[sales], first_name="Marta", last_name="Nowak", company="Acme")
    login(page, sales)
    page.locator(".langswitch button[value=es]").click()
    expect(page.locator("h1")).to_have_text("Contactos")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    screenshot(page, "list-es")
    page.goto(f"{page.base_url}/contacts/{contact.pk}/")
    expect(page.get_by_role("button", name="Personalizar panel")).to_be_visible()
    screenshot(page, "card-es")

    page.locator(".langswitch button[value=pl]").click()
    expect(page.get_by_role("button", name="Dostosuj pulpit")).to_be_visible()
    expect(page.locator("#section-tags h3")).to_contain_text("Tagi")
    screenshot(page, "card-pl")
    page.goto(f"{page.base_url}/contacts/")
    expect(page.locator("h1")).to_have_text("Kontakty")
    screenshot(page, "list-pl")

    page.locator(".langswitch button[value=en]").click()
    expect(page.locator("h1")).to_have_text("Contacts")
