"""A batch of events is a bulk write: the SQL statements it sends do not grow with its size."""

import pytest
from django.db import connection

from kartoteka.activity.models import Activity
from kartoteka.commerce import services
from kartoteka.commerce.models import Coupon, CouponStatus, EventLine, ExternalEvent, Totals
from kartoteka.contacts.models import Contact
from kartoteka.core.scope import SYSTEM
from tests.commerce.conftest import purchase
from tests.factories import UserFactory, make_contact

pytestmark = pytest.mark.django_db


def _memory_map_statements() -> int:
    """On SQLite a batch reads without the memory map: its size read, set to 0, restored."""
    return 3 if connection.vendor == "sqlite" else 0


def _batch(contacts, size: int, tag: str) -> list[dict]:
    """Purchases with lines and coupons, carts and downloads, naming contacts by id, e-mail and
    the shop's id (learnt in the same batch)."""
    events = []
    for n in range(size):
        contact = contacts[n % len(contacts)]
        if n % 3 == 0:
            named = {"id": contact.pk, "external_id": f"{tag}-shop-{contact.pk}"}
        elif n % 3 == 1:
            named = {"email": contact.email}
        else:
            named = {"id": contact.pk}
        event = {
            "id": f"{tag}-{n}",
            "contact": named,
            "occurred_at": f"2026-0{1 + n % 9}-1{n % 10}T1{n % 10}:00:00+00:00",
        }
        if n % 5 == 0:
            event.update(
                type="purchase",
                value="12.50",
                coupon=f"CODE{contact.pk}" if n < len(contacts) else "",
                products=[
                    {"sku": f"SKU-{n % 7}", "name": "Thing", "price": "5.00", "quantity": 2},
                    {"sku": f"SKU-{n % 11}", "name": "Other", "price": "2.50"},
                ],
            )
        else:
            event["type"] = "cart" if n % 2 else "download"
        events.append(event)
    return events


def _statements(events: list[dict], actor=SYSTEM) -> int:
    count = 0

    def counted(execute, sql, params, many, context):
        nonlocal count
        count += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counted):
        outcome = services.record_events(actor, events)
    assert outcome.accepted == len(events), outcome.rejected
    return count


def test_a_batch_sends_the_same_statements_whatever_its_size():
    contacts = [make_contact() for _ in range(12)]
    for contact in contacts:
        services.add_coupon(SYSTEM, contact, data={"code": f"CODE{contact.pk}"})
    small = _statements(_batch(contacts, 12, "small"))
    large = _statements(_batch(contacts, 600, "large"))
    assert small == large
    # Types, rates, ids stored, shop ids, contacts by id, by e-mail, events, lines, products,
    # timeline, last activity, totals, coupons used, shop ids learnt (two); the savepoint.
    assert large <= 16 + _memory_map_statements()
    assert ExternalEvent.objects.count() == 612
    assert EventLine.objects.count() == 2 * (3 + 120)
    assert Coupon.objects.filter(status=CouponStatus.USED).count() == 3
    assert sum(Totals.objects.values_list("transactions", flat=True)) == 3 + 120


def test_a_retried_batch_is_one_query_of_its_ids():
    contacts = [make_contact() for _ in range(3)]
    events = _batch(contacts, 300, "again")
    services.record_events(SYSTEM, events)
    count = 0

    def counted(execute, sql, params, many, context):
        nonlocal count
        count += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counted):
        outcome = services.record_events(SYSTEM, events)
    assert outcome.duplicates == 300
    # Savepoint, event types, rates, the ids already stored, release.
    assert count <= 5 + _memory_map_statements()


@pytest.mark.parametrize("role", ["admin", "sales"])
def test_new_addresses_are_created_together_whatever_their_number(role):
    """Unknown e-mails become contacts through contacts' bulk service: the statements a batch
    sends do not grow with the number of new people in it. (Counted as Django sends them; on
    SQLite core.bulkwrite splits a multi-row INSERT of many contacts into statements of a few
    thousand parameters, sent to the driver directly.)"""
    actor = UserFactory(role=role)
    _statements([purchase("first@example.com")], actor)  # what a process reads once
    few = _statements([purchase(f"few{n}@example.com") for n in range(3)], actor)
    many = _statements([purchase(f"many{n}@example.com") for n in range(300)], actor)
    assert few == many
    created = Contact.objects.filter(email__startswith="many")
    assert created.count() == 300
    assert set(created.values_list("source", flat=True)) == {"api"}
    assert Activity.objects.filter(kind="created", contact__in=created).count() == 300
    if role == "sales":
        assert set(created.values_list("owners", flat=True)) == {actor.pk}
