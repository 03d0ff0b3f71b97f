"""The deal page's comments, tasks and files, the Settings page of deal fields with the deal
form's typed inputs, and the board card's "Move to…" menu, in Spanish, Polish and English, at
laptop size and 390 px wide."""

import pytest
from playwright.sync_api import expect

from kartoteka.activity.models import Comment, Task
from kartoteka.deals import services
from kartoteka.deals.models import Deal, DealField
from tests.e2e.conftest import DESKTOP, PHONE, login, screenshot
from tests.factories import make_contact, make_deal, sales_pipeline

pytestmark = pytest.mark.e2e

WORDS = {
    # the Comments heading, the deal fields page title, the "Move to…" menu
    "es": ("Comentarios", "Campos de los tratos"),
    "pl": ("Komentarze", "Pola transakcji"),
    "en": ("Comments", "Deal fields"),
}


def _stage(key):
    return sales_pipeline().stages.get(key=key)


@pytest.mark.parametrize("language", ["es", "pl", "en"])
@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_deal_page_work_and_deal_fields_read_in_each_language_and_fit(
    browser, live_server, admin, sales, language, size
):
    services.add_deal_field(admin, key="plan", label="Plan", type="dictionary", choices=["Pro"])
    contact = make_contact(first_name="Marta", last_name="Nowak")
    deal = make_deal(admin, contacts=[contact], name="Fleet renewal", amount="12500")
    viewport = PHONE if size == "phone" else DESKTOP
    context = browser.new_context(viewport=viewport, locale=language)
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.base_url = live_server.url
    comments_word, fields_word = WORDS[language]
    try:
        login(page, admin)
        page.goto(f"{live_server.url}/deals/{deal.pk}/")
        expect(page.locator("main")).to_contain_text(comments_word)
        expect(page.locator("select[name=p_plan]")).to_be_visible()
        page.locator("#c-body").fill(f"Ready to sign, @{sales.username}")
        page.locator("#c-body").locator("xpath=..").locator("button[type=submit]").click()
        expect(page.locator("#work")).to_contain_text("Ready to sign")
        page.locator("#t-title").fill("Send the contract")
        page.locator("#t-title").locator("xpath=..").locator("button[type=submit]").click()
        expect(page.locator("main")).to_contain_text("Send the contract")
        screenshot(page, f"deal-page-{language}-{size}")
        if size == "phone":
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], width
        page.goto(f"{live_server.url}/deals/fields/")
        expect(page.locator("main")).to_contain_text(fields_word)
        page.locator("main input[name=label]").last.fill("Seats")
        page.locator("main input[name=key]").last.fill("seats")
        page.locator("main select[name=type]").last.select_option("number")
        page.locator("main form:has(input[name=key]) button[type=submit]").last.click()
        expect(page.locator("main table")).to_contain_text("seats")
        screenshot(page, f"deal-fields-{language}-{size}")
        if size == "phone":
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], width
    finally:
        context.close()
    assert Comment.objects.filter(body__contains="Ready to sign").exists()
    assert Task.objects.filter(title="Send the contract").exists()
    assert DealField.objects.filter(key="seats", type="number").exists()


def test_move_to_menu_on_a_board_card_moves_it_without_script(page, admin):
    deal = make_deal(admin, name="Menu move", stage=_stage("new").pk)
    login(page, admin)
    page.goto(f"{page.base_url}/deals/")
    card = page.locator(f".deal-card[data-deal='{deal.pk}']")
    card.locator("summary").click()
    card.get_by_role("button", name=_stage("negotiation").label).click()
    page.wait_for_load_state("networkidle")
    negotiation = page.locator(f".column-cards[data-stage='{_stage('negotiation').pk}']")
    expect(negotiation.locator(f".deal-card[data-deal='{deal.pk}']")).to_be_visible()
    assert Deal.objects.get(pk=deal.pk).stage.key == "negotiation"
