"""Each operator on each value type, including missing and empty values."""

import datetime as dt

import pytest
from django.utils import timezone

from kartoteka.activity.models import Activity
from kartoteka.contacts import services as contact_services
from kartoteka.segments.queries import filter_contacts
from tests.factories import make_contact
from tests.segments.helpers import define_details


@pytest.fixture
def people(admin):
    define_details(admin)
    full = make_contact(
        admin,
        first_name="Ana María",
        last_name="López",
        email="ana@example.com",
        city="Madrid",
        country="ES",
        postal_code="28001",
        company="Acme",
        score=70,
        status="won",
        source="form",
        birthday="1990-05-17",
        tags=["VIP", "newsletter"],
        owners=["alba"],
        messengers=[{"network": "telegram", "handle": "@ana"}],
        properties={
            "plan": "pro",
            "seats": 12,
            "price": "19.90",
            "renewal": "2030-01-15",
            "paid": True,
            "langs": ["es", "pl"],
            "referrer": "Partner Shop",
            "site": "https://ana.example.com",
        },
    )
    bare = make_contact(admin, first_name="Jan", last_name="Nowak", email="jan@example.pl")
    return {"full": full, "bare": bare}


def ids(admin, document) -> set[int]:
    return set(filter_contacts(admin, document).values_list("pk", flat=True))


def match(people, admin, field, op, value=None) -> set[str]:
    condition = {"field": field, "op": op}
    if value is not None:
        condition["value"] = value
    found = ids(admin, condition)
    return {name for name, contact in people.items() if contact.pk in found}


CASES = [
    # text columns
    ("city", "eq", "madrid", {"full"}),
    ("city", "ne", "Madrid", {"bare"}),
    ("city", "in", ["Sevilla", "MADRID"], {"full"}),
    ("city", "not_in", ["Madrid"], {"bare"}),
    ("city", "contains", "adri", {"full"}),
    ("city", "starts_with", "ma", {"full"}),
    ("city", "is_empty", None, {"bare"}),
    ("city", "is_not_empty", None, {"full"}),
    ("country", "eq", "es", {"full"}),
    ("country", "in", ["ES", "PL"], {"full"}),
    ("postal_code", "starts_with", "28", {"full"}),
    ("email", "eq", "ANA@example.com", {"full"}),
    ("company", "eq", "acme", {"full"}),
    ("company", "is_empty", None, {"bare"}),
    ("company", "not_in", ["Acme"], {"bare"}),
    # numbers
    ("score", "eq", 70, {"full"}),
    ("score", "ne", 70, {"bare"}),
    ("score", "gt", 69, {"full"}),
    ("score", "gte", 70, {"full"}),
    ("score", "lt", 70, {"bare"}),
    ("score", "lte", 0, {"bare"}),
    ("score", "between", [60, 80], {"full"}),
    ("score", "in", [0, 5], {"bare"}),
    ("score", "not_in", [0], {"full"}),
    # choices
    ("status", "eq", "won", {"full"}),
    ("status", "ne", "won", {"bare"}),
    ("status", "in", ["won", "lost"], {"full"}),
    ("status", "not_in", ["new"], {"full"}),
    ("source", "eq", "form", {"full"}),
    ("status", "is_empty", None, set()),
    # dates
    ("created_at", "in_last_days", 1, {"full", "bare"}),
    ("created_at", "more_than_days_ago", 1, set()),
    ("created_at", "before", "2000-01-01", set()),
    ("created_at", "after", "2000-01-01", {"full", "bare"}),
    ("birthday", "eq", "1990-05-17", {"full"}),
    ("birthday", "before", "1990-05-18", {"full"}),
    ("birthday", "after", "1990-05-17", set()),
    ("birthday", "between", ["1990-01-01", "1990-12-31"], {"full"}),
    ("birthday", "is_empty", None, {"bare"}),
    ("birthday", "is_not_empty", None, {"full"}),
    ("birthday", "more_than_days_ago", 365, {"full"}),
    # relations
    ("tags", "has_any", ["vip", "other"], {"full"}),
    ("tags", "has_all", ["vip", "newsletter"], {"full"}),
    ("tags", "has_all", ["vip", "other"], set()),
    ("tags", "has_none", ["vip"], {"bare"}),
    ("tags", "is_empty", None, {"bare"}),
    ("tags", "is_not_empty", None, {"full"}),
    ("owner", "has_any", ["alba"], {"full"}),
    ("owner", "has_none", ["alba"], {"bare"}),
    ("owner", "is_empty", None, {"bare"}),
    ("messenger", "has_any", ["telegram"], {"full"}),
    ("messenger", "is_empty", None, {"bare"}),
    ("text", "contains", "ana maría", {"full"}),
    ("text", "contains", "NOWAK jan", {"bare"}),
    ("is_monitored", "eq", True, {"full", "bare"}),
    # custom details
    ("properties.plan", "eq", "PRO", {"full"}),
    ("properties.plan", "ne", "pro", {"bare"}),
    ("properties.plan", "in", ["pro", "free"], {"full"}),
    ("properties.plan", "not_in", ["pro"], {"bare"}),
    ("properties.plan", "is_empty", None, {"bare"}),
    ("properties.plan", "is_not_empty", None, {"full"}),
    ("properties.seats", "eq", 12, {"full"}),
    ("properties.seats", "ne", 12, {"bare"}),
    ("properties.seats", "gt", 11.5, {"full"}),
    ("properties.seats", "lt", 12, set()),
    ("properties.seats", "between", [12, 12], {"full"}),
    ("properties.seats", "in", [1, 12], {"full"}),
    ("properties.price", "gte", 19.9, {"full"}),
    ("properties.price", "lt", 19.9, set()),
    ("properties.price", "not_in", [19.9], {"bare"}),
    ("properties.renewal", "after", "2030-01-14", {"full"}),
    ("properties.renewal", "before", "2030-01-15", set()),
    ("properties.renewal", "eq", "2030-01-15", {"full"}),
    ("properties.renewal", "between", ["2030-01-01", "2030-02-01"], {"full"}),
    ("properties.renewal", "in_last_days", 30, set()),
    ("properties.renewal", "is_empty", None, {"bare"}),
    ("properties.paid", "eq", True, {"full"}),
    ("properties.paid", "eq", False, set()),
    ("properties.paid", "is_empty", None, {"bare"}),
    ("properties.langs", "has_any", ["pl"], {"full"}),
    ("properties.langs", "has_all", ["es", "en"], set()),
    ("properties.langs", "has_none", ["es"], {"bare"}),
    ("properties.langs", "is_not_empty", None, {"full"}),
    ("properties.referrer", "contains", "shop", {"full"}),
    ("properties.referrer", "starts_with", "partner", {"full"}),
    ("properties.referrer", "eq", "partner shop", {"full"}),
    ("properties.referrer", "ne", "partner shop", {"bare"}),
    ("properties.site", "contains", "ana.example", {"full"}),
]


@pytest.mark.parametrize(("field", "op", "value", "expected"), CASES)
def test_operator_matches_the_right_contacts(people, admin, field, op, value, expected):
    assert match(people, admin, field, op, value) == expected


def test_behaviour_counts_timeline_entries_within_the_window(people, admin):
    now = timezone.now()
    for days in (1, 2, 3, 20):
        Activity.objects.create(
            contact=people["full"], kind="visit", occurred_at=now - dt.timedelta(days=days)
        )
    Activity.objects.create(contact=people["bare"], kind="visit", occurred_at=now)
    three_in_week = {"activity": "visit", "min_count": 3, "within_days": 7}
    assert ids(admin, three_in_week) == {people["full"].pk}
    assert ids(admin, {"activity": "visit", "min_count": 1, "within_days": 7}) == {
        people["full"].pk,
        people["bare"].pk,
    }
    assert ids(admin, {"not": three_in_week}) == {people["bare"].pk}


def test_dates_compare_against_the_contact_row(admin):
    old = contact_services.create_contact(
        admin,
        data={"email": "old@example.com"},
        created_at=timezone.now() - dt.timedelta(days=40),
    )
    new = make_contact(admin)
    assert ids(admin, {"field": "last_activity_at", "op": "more_than_days_ago", "value": 30}) == {
        old.pk
    }
    assert ids(admin, {"field": "created_at", "op": "in_last_days", "value": 30}) == {new.pk}
    assert ids(
        admin, {"field": "created_at", "op": "eq", "value": timezone.localdate().isoformat()}
    ) == {new.pk}


def test_text_search_follows_edits_and_deletions(admin):
    contact = make_contact(admin, first_name="Zacarías", last_name="Quintero")
    search = {"field": "text", "op": "contains", "value": "quintero"}
    assert ids(admin, search) == {contact.pk}
    contact_services.update_contact(admin, contact, data={"last_name": "Olmedo"})
    assert ids(admin, search) == set()
    assert ids(admin, {"field": "text", "op": "contains", "value": "olmedo zaca"}) == {contact.pk}
    contact_services.delete_contact(admin, contact)
    assert ids(admin, {"field": "text", "op": "contains", "value": "olmedo"}) == set()


def test_a_day_as_upper_bound_includes_the_whole_day(admin):
    contact = make_contact(admin)
    today = timezone.localdate().isoformat()
    assert ids(admin, {"field": "created_at", "op": "between", "value": [today, today]}) == {
        contact.pk
    }
    assert ids(admin, {"field": "created_at", "op": "after", "value": today}) == set()
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    assert ids(admin, {"field": "created_at", "op": "after", "value": yesterday}) == {contact.pk}
