"""The card's eCommerce section, the External events and coupons tab with its forms, the
Analytics tab, the Products page and the admins' settings: shown in scope, 404 outside it."""

import pytest
from django.test import Client

from kartoteka.commerce import services
from kartoteka.commerce.models import Coupon, CurrencyRate, EventType, ExternalEvent
from kartoteka.core.scope import SYSTEM
from tests.commerce.conftest import purchase
from tests.factories import make_contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(admin):
    client = Client()
    client.force_login(admin)
    return client


@pytest.fixture
def bought():
    contact = make_contact()
    services.record_events(
        SYSTEM,
        [
            purchase(
                contact,
                value="24.00",
                products=[{"sku": "BOOK-7", "name": "Atlas", "price": "12.00", "quantity": 2}],
            ),
            purchase(contact, value="9.00", type="payment", method="card", order="B-9"),
        ],
    )
    return contact


def test_ecommerce_section_shows_totals_and_most_bought(browser, bought):
    page = browser.get(f"/contacts/{bought.pk}/sections/ecommerce/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "€33.00" in text and "Atlas" in text


def test_events_tab_lists_lines_payments_and_filters_by_type(browser, bought):
    page = browser.get(f"/contacts/{bought.pk}/events/").content.decode()
    assert "BOOK-7" in page and "B-9" in page
    only_payments = browser.get(f"/contacts/{bought.pk}/events/", {"type": "payment"})
    assert "BOOK-7" not in only_payments.content.decode().split('id="payments-title"')[0]


def test_timeline_shows_a_purchase_with_its_lines(browser, bought):
    page = browser.get(f"/contacts/{bought.pk}/").content.decode()
    assert "Atlas" in page


def test_offline_event_form_records_a_purchase(browser, bought):
    response = browser.post(
        f"/contacts/{bought.pk}/events/add/",
        {"type": "purchase", "occurred_at": "2026-01-05T10:00", "value": "5,50",
         "products": "PEN; Pen; 2; 2.75"},
    )  # fmt: skip
    assert response.status_code == 302
    event = ExternalEvent.objects.get(source="manual")
    assert str(event.value) == "5.50" and event.lines.get().sku == "PEN"


def test_offline_event_form_shows_the_errors_of_a_bad_event(browser, bought):
    response = browser.post(
        f"/contacts/{bought.pk}/events/add/",
        {"type": "purchase", "occurred_at": "soon", "value": "lots"},
    )
    assert response.status_code == 422
    assert "ISO 8601" in response.content.decode()


def test_coupon_form_adds_a_coupon(browser, bought):
    response = browser.post(f"/contacts/{bought.pk}/coupons/add/", {"code": "CARD10"})
    assert response.status_code == 302
    assert Coupon.objects.get().source == "manual"


def test_analytics_tab_draws_charts_with_a_table_for_screen_readers(browser, bought):
    page = browser.get(f"/contacts/{bought.pk}/analytics/", {"days": "365"}).content.decode()
    assert page.count('<svg class="chart ') == 3
    assert 'class="visually-hidden"' in page


def test_analytics_tab_reads_the_contact_once_and_counts_in_two_queries(
    browser, bought, django_assert_max_num_queries
):
    url = f"/contacts/{bought.pk}/analytics/"
    browser.get(url)
    # The session and its user, the contact in scope, the counts, the kinds of entry.
    with django_assert_max_num_queries(5):
        assert browser.get(url, {"days": "30", "kind": "purchase"}).status_code == 200


def test_products_page_and_buyers(browser, bought):
    assert "BOOK-7" in browser.get("/products/").content.decode()
    assert f"/contacts/{bought.pk}/" in browser.get("/products/BOOK-7/").content.decode()


def test_pages_of_a_contact_outside_scope_are_404(client, sales, other_sales, bought):
    theirs = make_contact(owners=[other_sales])
    client.force_login(sales)
    for path in ("events/", "analytics/"):
        assert client.get(f"/contacts/{theirs.pk}/{path}").status_code == 404
    assert client.post(f"/contacts/{theirs.pk}/coupons/add/", {"code": "X1Y"}).status_code == 404
    assert f"/contacts/{bought.pk}/" not in client.get("/products/BOOK-7/").content.decode()


def test_admin_sets_a_rate_and_registers_a_type(browser):
    assert (
        browser.post("/settings/commerce/rates/", {"currency": "usd", "rate": "0,92"}).status_code
        == 302
    )
    assert str(CurrencyRate.objects.get(currency="USD").rate) == "0.92000000"
    assert (
        browser.post(
            "/settings/commerce/types/", {"name": "webinar", "label": "Webinar"}
        ).status_code
        == 302
    )
    assert EventType.objects.filter(name="webinar").exists()


def test_sales_user_cannot_change_commerce_settings(client, sales):
    client.force_login(sales)
    assert (
        client.post("/settings/commerce/rates/", {"currency": "USD", "rate": "1"}).status_code
        == 403
    )
    assert not CurrencyRate.objects.exists()


def test_segment_analytics_shows_the_best_hours_of_its_contacts(browser, admin, bought):
    from kartoteka.segments import services as segments

    segment = segments.create_segment(
        admin, name="Buyers", document={"field": "ecommerce.transactions", "op": "gte", "value": 1}
    )
    page = browser.get(f"/segments/{segment.pk}/analytics/", {"days": "365"})
    assert page.status_code == 200
    assert page.content.decode().count('<svg class="chart ') == 3
