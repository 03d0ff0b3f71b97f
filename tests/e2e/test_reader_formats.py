"""Dates and money on the card read as the reader's language writes them: the timeline's day
headings, the eCommerce section's totals and the Deals section's amount, in Spanish and Polish."""

import pytest
from playwright.sync_api import expect

from kartoteka.commerce import services as commerce
from kartoteka.core.scope import SYSTEM
from tests.e2e.conftest import login, open_card, screenshot
from tests.factories import make_contact, make_deal, sales_pipeline

pytestmark = pytest.mark.django_db(transaction=True)

SHOWN = {
    # the purchase's day, its total and the deal's amount
    "es": ("10/11/2026", "1.234,50 €", "12.500,00 €"),
    "pl": ("10.11.2026", "1 234,50 €", "12 500,00 €"),
}


@pytest.mark.parametrize("language", ["es", "pl"])
def test_card_shows_dates_and_money_in_the_readers_language(page, sales, language):
    contact = make_contact(owners=[sales], first_name="Marta", last_name="Nowak")
    commerce.record_events(
        SYSTEM,
        [
            {
                "id": "formats-1",
                "contact": {"id": contact.pk},
                "type": "purchase",
                "occurred_at": "2026-11-10T08:30:00+01:00",
                "value": "1234.50",
                "currency": "EUR",
            }
        ],
    )
    make_deal(
        owner=sales,
        contacts=[contact],
        name="Fleet renewal",
        amount="12500",
        currency="EUR",
        stage=sales_pipeline().stages.get(key="new").pk,
    )
    day, total, amount = SHOWN[language]
    login(page, sales)
    page.locator(f".langswitch button[value={language}]").click()
    open_card(page, contact)
    expect(page.locator("#section-timeline .timeline-day").filter(has_text=day)).to_have_count(1)
    ecommerce = page.locator("#section-ecommerce")
    expect(ecommerce).to_contain_text(total)
    expect(ecommerce).to_contain_text(day)
    expect(page.locator(f"#deals-{contact.pk}")).to_contain_text(amount)
    screenshot(page, f"reader-formats-card-{language}")
