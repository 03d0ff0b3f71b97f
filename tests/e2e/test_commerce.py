"""The eCommerce section, the External events and coupons tab and the Analytics charts in a
browser, in English, Spanish and Polish, at laptop and phone width."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kartoteka.commerce import services
from kartoteka.core.scope import SYSTEM
from tests.e2e.conftest import PHONE, login, open_card, screenshot
from tests.factories import make_contact

pytestmark = pytest.mark.django_db(transaction=True)

HEADINGS = {
    "en": ("€199.60", "Total value", "External events and coupons", "By hour of day"),
    "es": ("199,60\xa0€", "Valor total", "Eventos externos y cupones", "Por hora del día"),
    "pl": ("199,60\xa0€", "Łączna wartość", "Zdarzenia zewnętrzne i kupony", "Według godziny"),
}


def _shopper(sales):
    """A contact with twelve events, one at each hour from 08:00 to 19:00 (workspace time) on
    the twelve days before the last three weeks, so they stay inside a 90-day chart whenever
    the test runs."""
    contact = make_contact(owners=[sales], first_name="Marta", last_name="Nowak")
    first_day = timezone.localdate() - dt.timedelta(days=40)
    events = []
    for n in range(12):
        moment = dt.datetime.combine(first_day + dt.timedelta(days=n), dt.time(8 + n, 30))
        events.append(
            {
                "id": f"e2e-{n}",
                "contact": {"id": contact.pk},
                "type": "purchase" if n % 3 == 0 else "download",
                "occurred_at": timezone.make_aware(moment).isoformat(),
                "value": "49.90" if n % 3 == 0 else None,
                "products": [
                    {"sku": "BOOT-42", "name": "Trail boots", "price": "39.90", "quantity": 1},
                    {"sku": "SOCK-3", "name": "Wool socks", "price": "5.00", "quantity": 2},
                ]
                if n % 3 == 0
                else None,
                "coupon": "AUTUMN" if n == 0 else None,
            }
        )
    services.record_events(SYSTEM, events)
    services.add_coupon(SYSTEM, contact, data={"code": "WINTER15", "description": "15% off"})
    return contact


@pytest.mark.parametrize("language", ["en", "es", "pl"])
def test_section_tab_and_charts_in_each_language(page, sales, language):
    contact = _shopper(sales)
    login(page, sales)
    if language != "en":
        page.locator(f".langswitch button[value={language}]").click()
    money, total, tab, chart = HEADINGS[language]
    open_card(page, contact)
    ecommerce = page.locator("#section-ecommerce")
    expect(ecommerce).to_contain_text(total)
    expect(ecommerce).to_contain_text(money)
    expect(ecommerce).to_contain_text("Trail boots")
    screenshot(page, f"commerce-card-{language}")

    page.goto(f"{page.base_url}/contacts/{contact.pk}/events/")
    expect(page.locator("h1")).to_contain_text(tab)
    expect(page.locator(".commerce-events")).to_contain_text("BOOT-42")
    expect(page.locator("#coupons-title")).to_be_visible()
    expect(page.get_by_text("WINTER15")).to_be_visible()
    screenshot(page, f"commerce-events-{language}")

    page.goto(f"{page.base_url}/contacts/{contact.pk}/analytics/?days=90")
    expect(page.get_by_role("heading", name=chart)).to_be_visible()
    expect(page.locator("svg.chart")).to_have_count(3)
    # The coupon added just now counts in the current hour: check an event hour other than it.
    hour = next(h for h in range(8, 20) if h != timezone.localtime().hour)
    title = page.locator("svg.chart-bars .chart-mark title").nth(hour)
    expect(title).to_have_text(re.compile(rf"^{hour:02d}\S*: 1 "))
    screenshot(page, f"commerce-analytics-{language}")


def test_phone_width_keeps_the_charts_and_tab_inside_the_screen(page, sales):
    contact = _shopper(sales)
    page.set_viewport_size(PHONE)
    login(page, sales)
    for path, name in (("events/", "events"), ("analytics/?days=90", "analytics")):
        page.goto(f"{page.base_url}/contacts/{contact.pk}/{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"] + 1, f"{name} is {width}px wide"
        screenshot(page, f"commerce-{name}-390")
    open_card(page, contact)
    screenshot(page, "commerce-card-390")


def test_record_an_offline_purchase_from_the_tab(page, sales):
    contact = _shopper(sales)
    login(page, sales)
    page.goto(f"{page.base_url}/contacts/{contact.pk}/events/")
    page.locator("summary#record-title").click()
    page.locator("#event-value").fill("12.00")
    page.locator("#event-products").fill("MAP-1; City map; 1; 12.00")
    page.get_by_role("button", name="Record event").click()
    expect(page.locator(".commerce-events")).to_contain_text("MAP-1")


SEGMENT_LINK = {
    "en": ("Best hours", "Best hours to reach Shoppers"),
    "es": ("Mejores horas", "Mejores horas para contactar con Shoppers"),
    "pl": ("Najlepsze godziny", "Najlepsze godziny"),
}


@pytest.mark.parametrize("language", ["en", "es", "pl"])
def test_the_segments_page_links_each_segment_to_its_best_hours(page, sales, language):
    from kartoteka.segments import services as segments

    _shopper(sales)
    segments.create_segment(
        sales, name="Shoppers", document={"field": "ecommerce.transactions", "op": "gt", "value": 0}
    )
    login(page, sales)
    if language != "en":
        page.locator(f".langswitch button[value={language}]").click()
    link, heading = SEGMENT_LINK[language]
    page.goto(f"{page.base_url}/segments/")
    row = page.locator("tr", has_text="Shoppers")
    screenshot(page, f"segments-list-{language}")
    row.get_by_role("link", name=link).click()
    expect(page.locator("h1")).to_contain_text(heading)
    expect(page.locator("h1")).to_contain_text("Shoppers")
    expect(page.locator("svg.chart")).to_have_count(3)
    screenshot(page, f"commerce-segment-hours-{language}")
