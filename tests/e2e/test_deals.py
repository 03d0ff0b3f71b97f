"""Deals in the browser: dragging a card to another column of the board saves the move, the
arrow keys do the same, the card's Deals section moves a deal, and the board, the card and the
reports read well in Spanish, Polish and English, at laptop size and 390 px wide."""

import re

import pytest
from playwright.sync_api import expect

from kartoteka.deals.models import Deal
from tests.e2e.conftest import DESKTOP, PHONE, login, open_card, screenshot
from tests.factories import make_contact, make_deal, sales_pipeline

pytestmark = pytest.mark.e2e


def _stage(key):
    return sales_pipeline().stages.get(key=key)


@pytest.fixture
def deal(sales):
    contact = make_contact(owners=[sales], first_name="Marta", last_name="Nowak")
    return make_deal(
        owner=sales,
        contacts=[contact],
        name="Fleet renewal",
        amount="12500",
        stage=_stage("new").pk,
    )


def test_drag_a_card_to_another_column_saves_the_move(page, sales, deal):
    login(page, sales)
    page.goto(f"{page.base_url}/deals/")
    card = page.locator(f".deal-card[data-deal='{deal.pk}'] .deal-amount")
    target = page.locator(f".column-cards[data-stage='{_stage('proposal').pk}']")
    start, end = card.bounding_box(), target.bounding_box()
    with page.expect_response(lambda r: f"/deals/{deal.pk}/move/" in r.url) as moved:
        page.mouse.move(start["x"] + 5, start["y"] + 5)
        page.mouse.down()
        page.mouse.move(start["x"] + 15, start["y"] + 10, steps=5)
        page.mouse.move(end["x"] + 40, end["y"] + 30, steps=30)
        page.wait_for_timeout(300)
        page.mouse.up()
    assert moved.value.status == 200
    proposal = page.locator(f".board-column[data-stage='{_stage('proposal').pk}']")
    expect(proposal.locator(".column-count")).to_have_text("1")
    screenshot(page, "deals-board-dragged")
    page.reload()
    expect(proposal.locator(f".deal-card[data-deal='{deal.pk}']")).to_be_visible()
    assert Deal.objects.get(pk=deal.pk).stage.key == "proposal"


def test_arrow_key_moves_a_focused_card_one_stage(page, sales, deal):
    login(page, sales)
    page.goto(f"{page.base_url}/deals/")
    page.locator(f".deal-card[data-deal='{deal.pk}']").focus()
    with page.expect_response(lambda r: f"/deals/{deal.pk}/move/" in r.url):
        page.keyboard.press("ArrowRight")
    assert Deal.objects.get(pk=deal.pk).stage.key == "qualified"


def test_card_deals_section_lists_and_moves_the_deal(page, sales, deal):
    login(page, sales)
    contact = deal.contact_links.get().contact
    open_card(page, contact)
    section = page.locator("#deals-" + str(contact.pk))
    expect(section).to_contain_text("Fleet renewal")
    expect(section).to_contain_text("12,500.00")
    section.locator("select[name=stage]").select_option(str(_stage("negotiation").pk))
    section.get_by_role("button", name="Move").click()
    page.wait_for_url(re.compile(rf"/contacts/{contact.pk}/"))
    assert Deal.objects.get(pk=deal.pk).stage.key == "negotiation"
    screenshot(page, "deals-card-section")


WORDS = {
    "es": ("Tratos", "Informes de ventas", "Enviar propuesta"),
    "pl": ("Transakcje", "Raporty sprzedaży", "Wysłanie oferty"),
    "en": ("Deals", "Sales reports", "Send proposal"),
}


@pytest.mark.parametrize("language", ["es", "pl", "en"])
@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_board_card_and_reports_read_in_each_language_and_fit(
    browser, live_server, admin, sales, deal, language, size
):
    won = make_deal(owner=sales, name="Won earlier", amount="800")
    from kartoteka.deals import services

    services.move_deal(admin, won, stage=_stage("won").pk)
    viewport = PHONE if size == "phone" else DESKTOP
    context = browser.new_context(viewport=viewport, locale=language)
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.base_url = live_server.url
    deals_word, reports_word, proposal_word = WORDS[language]
    try:
        login(page, admin)
        contact = deal.contact_links.get().contact
        for name, path, word in (
            ("board", "/deals/", proposal_word),
            ("reports", "/deals/reports/", reports_word),
            ("list", "/deals/list/", deals_word),
        ):
            page.goto(f"{live_server.url}{path}")
            page.wait_for_load_state("networkidle")
            expect(page.locator("main")).to_contain_text(word)
            screenshot(page, f"deals-{name}-{language}-{size}")
            if size == "phone":
                width = page.evaluate("document.documentElement.scrollWidth")
                assert width <= PHONE["width"], (path, width)
        open_card(page, contact)
        expect(page.locator(f"#deals-{contact.pk}")).to_contain_text("Fleet renewal")
        screenshot(page, f"deals-card-{language}-{size}")
    finally:
        context.close()
