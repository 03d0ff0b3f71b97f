"""The card's custom details in a real browser, edited like the header's values: the value is
the button, a refused value keeps its form with the error in the reader's language, and the
focus comes back to the value after Save or Cancel."""

import pytest
from playwright.sync_api import expect

from kartoteka.contacts import services as contact_services
from kartoteka.contacts.models import Contact
from kartoteka.core.scope import SYSTEM
from tests.e2e.conftest import PHONE, choose_language, login, open_card, screenshot
from tests.e2e.test_accessibility import AXE, RUN_AXE
from tests.factories import make_contact

SAVE = {"en": "Save", "es": "Guardar", "pl": "Zapisz"}
ADD_BUDGET = {"en": "Add Budget", "es": "Añadir Budget", "pl": "Dodaj: Budget"}
EDIT_BUDGET = {"en": "Edit Budget", "es": "Editar Budget", "pl": "Edytuj: Budget"}
EXPECTS = {
    "en": "expects a whole number",
    "es": "espera un número entero",
    "pl": "oczekuje liczby całkowitej",
}


@pytest.fixture
def budget(admin):
    contact_services.define_property(admin, key="budget", label="Budget", type="number")
    contact_services.define_property(admin, key="region", label="Region", type="text")


@pytest.mark.parametrize("language", ["en", "es", "pl"])
def test_a_custom_detail_is_edited_by_clicking_its_value(page, sales, budget, language):
    contact = make_contact(owners=[sales])
    login(page, sales)
    choose_language(page, language)
    open_card(page, contact)
    section = page.locator(f"#details-{contact.pk}")
    section.get_by_role("button", name=ADD_BUDGET[language]).click()
    field = page.locator("#detail-input-budget")
    expect(field).to_be_focused()
    field.fill("lots")
    section.get_by_role("button", name=SAVE[language]).click()
    expect(page.locator("#detail-error-budget")).to_contain_text(EXPECTS[language])
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_be_focused()  # the error is read out as the field's description
    assert Contact.objects.get(pk=contact.pk).properties.get("budget") is None
    screenshot(page, f"card-details-error-{language}", full_page=False)
    page.locator("#detail-input-budget").fill("1200")
    section.get_by_role("button", name=SAVE[language]).click()
    value = section.get_by_role("button", name=EDIT_BUDGET[language])
    expect(value).to_contain_text("200")
    expect(value).to_be_focused()  # the keyboard goes on from the value it edited
    assert Contact.objects.get(pk=contact.pk).properties["budget"] == 1200
    page.set_viewport_size(PHONE)
    open_card(page, contact)
    page.locator(f"#details-{contact.pk}").scroll_into_view_if_needed()
    screenshot(page, f"card-details-{language}-390", full_page=False)


def test_cancel_returns_to_the_detail_with_the_focus_on_its_value(page, sales, budget):
    contact = make_contact(owners=[sales])
    contact_services.update_contact(SYSTEM, contact, data={"properties": {"budget": 7}})
    login(page, sales)
    open_card(page, contact)
    value = page.locator("#detail-value-budget")
    pencil = "el => getComputedStyle(el, '::after').opacity"
    assert value.evaluate(pencil) == "0"
    value.click()
    expect(page.locator("#detail-input-budget")).to_have_value("7")
    page.locator("#detail-budget").get_by_role("button", name="Cancel").click()
    expect(page.locator("#detail-input-budget")).to_have_count(0)
    expect(value).to_be_focused()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    assert value.evaluate(pencil) == "1"  # the pencil shows on keyboard focus


def test_custom_details_pass_axe_with_a_value_an_empty_one_and_a_refused_form(page, sales, budget):
    contact = make_contact(owners=[sales])
    contact_services.update_contact(SYSTEM, contact, data={"properties": {"budget": 7}})
    login(page, sales)
    open_card(page, contact)
    page.locator("#detail-value-budget").click()
    page.locator("#detail-input-budget").fill("lots")
    page.locator("#detail-budget").get_by_role("button", name="Save").click()
    expect(page.locator("#detail-error-budget")).to_be_visible()
    page.evaluate(AXE)
    found = [
        f"{v['rule']} {target}"
        for v in page.evaluate(RUN_AXE)
        for target in v["targets"]
        if "detail" in target
    ]
    assert found == []
