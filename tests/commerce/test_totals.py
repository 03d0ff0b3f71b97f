"""eCommerce totals kept on ingest: refunds and cancellations count against them, other
currencies convert at the admin's rates, and the kept totals equal a fold of the raw events."""

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kartoteka.commerce import queries, services, totals
from kartoteka.commerce.models import ExternalEvent, Totals
from kartoteka.core.scope import SYSTEM
from tests.commerce.conftest import purchase
from tests.factories import make_contact

pytestmark = pytest.mark.django_db


def _send(events):
    return services.record_events(SYSTEM, events)


def test_purchases_add_up_with_their_average_and_dates():
    contact = make_contact()
    _send(
        [
            purchase(contact, value="10.00", when="2026-01-02T10:00:00+00:00"),
            purchase(contact, value="30.50", when="2026-01-01T10:00:00+00:00"),
        ]
    )
    found = queries.ecommerce(SYSTEM, contact.pk)
    assert found.total_value == Decimal("40.50")
    assert found.transactions == 2
    assert found.average_cart == Decimal("20.25")
    assert found.first_purchase_at.day == 1 and found.last_purchase_at.day == 2


def test_refund_and_cancellation_count_against_the_totals():
    contact = make_contact()
    _send(
        [
            purchase(contact, value="100.00"),
            purchase(contact, value="50.00"),
            purchase(contact, value="20.00", type="refund"),
            purchase(contact, value="50.00", type="cancellation"),
        ]
    )
    found = queries.ecommerce(SYSTEM, contact.pk)
    assert found.total_value == Decimal("80.00")
    assert found.transactions == 1
    assert (found.refunds, found.cancellations) == (1, 1)


def test_paid_payment_counts_and_failed_does_not():
    contact = make_contact()
    _send(
        [
            purchase(contact, value="15.00", type="payment", method="card", order="A-1"),
            purchase(contact, value="99.00", type="payment", status="failed"),
        ]
    )
    found = queries.ecommerce(SYSTEM, contact.pk)
    assert (found.total_value, found.transactions) == (Decimal("15.00"), 1)
    assert [p.payment_method for p in queries.payments_of(SYSTEM, contact.pk)] == ["", "card"]


def test_other_currency_converts_at_the_admins_rate_and_is_marked_converted(admin):
    services.set_rate(admin, currency="USD", rate="0.5")
    contact = make_contact()
    _send([purchase(contact, value="10.00", currency="USD")])
    found = queries.ecommerce(SYSTEM, contact.pk)
    assert found.total_value == Decimal("5.00")
    assert found.converted == 1
    event = ExternalEvent.objects.get()
    assert (event.value, event.currency, event.amount) == (Decimal("10.00"), "USD", 500)


def test_currency_without_a_rate_is_rejected_with_the_reason():
    contact = make_contact()
    outcome = _send([purchase(contact, value="10.00", currency="PLN")])
    assert outcome.accepted == 0
    assert "PLN" in outcome.rejected[0]["errors"]["currency"]


def test_out_of_order_events_give_the_same_totals():
    contact = make_contact()
    _send([purchase(contact, value="5.00", when="2026-03-01T10:00:00+00:00")])
    _send([purchase(contact, value="7.00", when="2025-03-01T10:00:00+00:00")])
    kept = Totals.objects.get(contact=contact)
    assert kept.first_purchase_at.year == 2025 and kept.last_purchase_at.year == 2026
    assert kept.total == 1200


_event = st.tuples(
    st.sampled_from(["purchase", "refund", "cancellation", "payment", "cart", "download"]),
    st.integers(min_value=0, max_value=100000),
    st.sampled_from(["paid", "failed", "refunded"]),
    st.integers(min_value=1, max_value=28),
    st.integers(min_value=0, max_value=2),
)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.lists(_event, max_size=8), min_size=1, max_size=4))
def test_kept_totals_equal_totals_folded_from_the_raw_events(batches):
    people = [make_contact() for _ in range(3)]
    for batch in batches:
        events = []
        for type_name, cents, status, day, who in batch:
            extra = {"status": status} if type_name == "payment" else {}
            events.append(
                purchase(
                    people[who],
                    value=f"{cents / 100:.2f}",
                    when=f"2026-02-{day:02d}T10:00:00+00:00",
                    type=type_name,
                    **extra,
                )
            )
        _send(events)
    rows = ExternalEvent.objects.filter(contact__in=people).values_list(
        "contact_id", "type", "amount", "payment_status", "occurred_at", "rate"
    )
    folded = totals.from_events(rows)
    for person in people:
        kept = Totals.objects.filter(contact=person).first()
        expected = folded.get(person.pk)
        if expected is None:
            assert kept is None
            continue
        assert (kept.total, kept.transactions, kept.average_cart) == (
            expected.total,
            expected.transactions,
            expected.average_cart,
        )
        assert (kept.refunds, kept.cancellations) == (expected.refunds, expected.cancellations)
        assert kept.first_purchase_at == expected.first_purchase_at
        assert kept.last_purchase_at == expected.last_purchase_at
