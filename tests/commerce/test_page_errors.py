"""Every field of the commerce pages: a wrong value gets its own translated message at the field,
the status says why (422, 409 for a taken code or name, 403 for a sales user), and nothing is
written."""

import pytest
from django.test import Client

from kartoteka.commerce import services
from kartoteka.commerce.models import Coupon, CurrencyRate, EventType, ExternalEvent
from kartoteka.core.scope import SYSTEM
from tests.factories import make_contact
from tests.page_errors import all_errors, field_errors

pytestmark = pytest.mark.django_db

EVENT = {"type": "purchase", "occurred_at": "2026-01-05T10:00", "value": "5"}


@pytest.fixture
def contact():
    return make_contact()


def _client(user, language="en"):
    client = Client(headers={"Accept-Language": language})
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("type", "teleport", "Unknown event type"),
        ("occurred_at", "soon", "Give the time as ISO 8601"),
        ("occurred_at", "2999-01-01T10:00", "The time is in the future."),
        ("value", "lots", "Must be a number."),
        ("currency", "EURO", "At most 3 characters."),
        ("currency", "XYZ", "XYZ is not an ISO 4217 currency code"),
        ("currency", "USD", "No conversion rate from USD"),
        ("location", "x" * 256, "At most 255 characters."),
        ("order", "x" * 101, "At most 100 characters."),
        ("products", "PEN; Pen; many", "Line 1: Must be a whole number from 1 to 100,000."),
        ("products", "PEN; Pen; 1; 2\nINK; Ink; 1; cheap", "Line 2: Must be a number."),
    ],
)
def test_event_form_puts_each_wrong_value_on_its_field(admin, contact, field, value, message):
    response = _client(admin).post(f"/contacts/{contact.pk}/events/add/", {**EVENT, field: value})
    assert response.status_code == 422
    nth = 1 if field == "type" else 0  # the list's filter by type comes first
    shown = field_errors(response.text, field, nth=nth)
    assert any(message in m for m in shown), all_errors(response.text)
    assert not ExternalEvent.objects.exists()


def test_a_payment_status_is_judged_on_its_field(admin, contact):
    response = _client(admin).post(
        f"/contacts/{contact.pk}/events/add/", {**EVENT, "type": "payment", "status": "lost"}
    )
    assert response.status_code == 422
    assert field_errors(response.text, "status") == [
        "A payment's status is paid, failed or refunded."
    ]
    assert not ExternalEvent.objects.exists()


def test_event_errors_are_translated(admin, contact):
    page = _client(admin, "es").post(
        f"/contacts/{contact.pk}/events/add/", {**EVENT, "products": "PEN; Pen; 0"}
    )
    assert page.status_code == 422
    assert field_errors(page.text, "products") == [
        "Línea 1: Debe ser un número entero de 1 a 100.000."
    ]
    page = _client(admin, "pl").post(
        f"/contacts/{contact.pk}/events/add/", {**EVENT, "value": "dużo"}
    )
    assert field_errors(page.text, "value") == ["Musi to być liczba."]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("code", "x", "A code is 3 to 64 letters, digits, - or _."),
        ("code", "NO SPACES", "A code is 3 to 64 letters, digits, - or _."),
        ("description", "d" * 256, "At most 255 characters."),
        ("valid_from", "someday", "Give the time as ISO 8601"),
        ("valid_until", "2026-02-30", "Give the time as ISO 8601"),
        ("valid_until", "2020-01-01", "Must not be before the start."),
    ],
)
def test_coupon_form_puts_each_wrong_value_on_its_field(admin, contact, field, value, message):
    post = {"code": "SPRING10", "valid_from": "2021-01-01", field: value}
    response = _client(admin).post(f"/contacts/{contact.pk}/coupons/add/", post)
    assert response.status_code == 422
    shown = field_errors(response.text, field, nth=0)
    assert any(message in m for m in shown), all_errors(response.text)
    assert not Coupon.objects.exists()


def test_a_taken_coupon_code_is_a_conflict_at_the_code(admin, contact):
    services.add_coupon(SYSTEM, make_contact(), data={"code": "SPRING10"})
    response = _client(admin).post(f"/contacts/{contact.pk}/coupons/add/", {"code": "spring10"})
    assert response.status_code == 409
    assert field_errors(response.text, "code") == ["This code is taken."]
    assert Coupon.objects.filter(contact=contact).count() == 0


@pytest.mark.parametrize(
    ("post", "field", "message"),
    [
        ({"currency": "", "rate": "1"}, "currency", "Give an ISO 4217 code."),
        ({"currency": "DOLLAR", "rate": "1"}, "currency", "At most 3 characters."),
        ({"currency": "XYZ", "rate": "1"}, "currency", "XYZ is not an ISO 4217 currency code"),
        ({"currency": "EUR", "rate": "1"}, "currency", "This is the workspace currency."),
        ({"currency": "USD", "rate": "cheap"}, "rate", "A rate is a positive number."),
        ({"currency": "USD", "rate": "-1"}, "rate", "A rate is a positive number."),
        ({"currency": "USD", "rate": "NaN"}, "rate", "A rate is a positive number."),
    ],
)
def test_rate_form_puts_each_wrong_value_on_its_field(admin, post, field, message):
    response = _client(admin).post("/settings/commerce/rates/", post)
    assert response.status_code == 422
    assert any(message in m for m in field_errors(response.text, field)), all_errors(response.text)
    assert not CurrencyRate.objects.exists()


@pytest.mark.parametrize(
    ("post", "field", "status", "message"),
    [
        ({"name": "X", "label": "Ok"}, "name", 422, "A type name is 2 to 40 lower-case"),
        ({"name": "webinar", "label": ""}, "label", 422, "Give a label of 1 to 100 characters."),
        ({"name": "webinar", "label": "l" * 101}, "label", 422, "Give a label of 1 to 100"),
        ({"name": "purchase", "label": "Buy"}, "name", 409, "This name is taken by another"),
    ],
)
def test_event_type_form_puts_each_wrong_value_on_its_field(admin, post, field, status, message):
    response = _client(admin).post("/settings/commerce/types/", post)
    assert response.status_code == status
    assert any(message in m for m in field_errors(response.text, field)), all_errors(response.text)
    assert not EventType.objects.exists()


def test_sales_users_are_refused_the_settings_forms(sales):
    client = _client(sales)
    assert (
        client.post("/settings/commerce/types/", {"name": "webinar", "label": "W"}).status_code
        == 403
    )
    assert (
        client.post("/settings/commerce/rates/", {"currency": "USD", "rate": "1"}).status_code
        == 403
    )
    assert not EventType.objects.exists() and not CurrencyRate.objects.exists()


def test_an_unreadable_cursor_starts_at_the_first_page(admin, contact):
    response = _client(admin).get(f"/contacts/{contact.pk}/events/", {"cursor": "garbage"})
    assert response.status_code == 200
