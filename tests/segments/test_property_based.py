"""Random nested filters agree with a brute-force evaluation in Python over random contacts."""

import datetime as dt
import random

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kartoteka.activity import services as timeline
from kartoteka.contacts import services as contact_services
from kartoteka.segments.queries import count_contacts, filter_contacts
from tests.segments.helpers import define_details

COUNTRIES = ["ES", "PL", "DE", ""]
CITIES = ["Madrid", "madrid", "Warszawa", "Berlin", ""]
STATUSES = ["new", "lead", "won", "lost"]
TAGS = ["vip", "newsletter", "churned", "b2b"]
PLANS = ["free", "pro", "enterprise"]


@pytest.fixture
def population(admin):
    """A few hundred contacts with random values (and gaps), plus their Python snapshot."""
    define_details(admin)
    rng = random.Random(5)
    now = timezone.now()
    snapshot = {}
    for n in range(240):
        properties = {}
        if rng.random() < 0.7:
            properties["plan"] = rng.choice(PLANS)
        if rng.random() < 0.6:
            properties["seats"] = rng.randint(0, 20)
        if rng.random() < 0.5:
            properties["price"] = f"{rng.randint(0, 4000) / 100:.2f}"
        if rng.random() < 0.5:
            properties["paid"] = rng.random() < 0.5
        created = now - dt.timedelta(days=rng.randint(0, 200), hours=12)
        contact = contact_services.create_contact(
            admin,
            data={
                "email": f"p{n}@example.com",
                "country": rng.choice(COUNTRIES),
                "city": rng.choice(CITIES),
                "score": rng.randint(0, 100),
                "status": rng.choice(STATUSES),
                "tags": rng.sample(TAGS, rng.randint(0, 3)),
                "properties": properties,
            },
            created_at=created,
        )
        # Visits at half days, so no entry sits on a window's edge while the test runs.
        visits = [rng.randint(0, 20) + 0.5 for _ in range(rng.choice([0, 1, 3, 6, 12]))]
        timeline.record_many(
            [
                timeline.activity_entry(contact, "visit", occurred_at=now - dt.timedelta(days=d))
                for d in visits
            ]
        )
        snapshot[contact.pk] = {
            "country": contact.country,
            "city": contact.city,
            "score": contact.score,
            "status": contact.status,
            "tags": {t.name_folded for t in contact.tags.all()},
            "properties": contact.properties,
            "created_at": created,
            "visits": visits,
        }
    return snapshot


leaf = st.one_of(
    st.sampled_from(COUNTRIES[:3]).map(lambda v: {"field": "country", "op": "eq", "value": v}),
    st.lists(st.sampled_from(COUNTRIES[:3]), min_size=1, max_size=2).map(
        lambda v: {"field": "country", "op": "not_in", "value": v}
    ),
    st.sampled_from(["madrid", "Berlin"]).map(lambda v: {"field": "city", "op": "eq", "value": v}),
    st.sampled_from(["city", "country"]).map(lambda f: {"field": f, "op": "is_empty"}),
    st.tuples(st.sampled_from(["gt", "lte", "ne"]), st.integers(0, 100)).map(
        lambda t: {"field": "score", "op": t[0], "value": t[1]}
    ),
    st.lists(st.sampled_from(STATUSES), min_size=1, max_size=3).map(
        lambda v: {"field": "status", "op": "in", "value": v}
    ),
    st.tuples(
        st.sampled_from(["has_any", "has_all", "has_none"]),
        st.lists(st.sampled_from(TAGS), min_size=1, max_size=3),
    ).map(lambda t: {"field": "tags", "op": t[0], "value": t[1]}),
    st.sampled_from(["is_empty", "is_not_empty"]).map(lambda op: {"field": "tags", "op": op}),
    st.sampled_from(PLANS).map(lambda v: {"field": "properties.plan", "op": "ne", "value": v}),
    st.sampled_from(PLANS).map(lambda v: {"field": "properties.plan", "op": "eq", "value": v}),
    st.sampled_from(["plan", "seats", "paid"]).map(
        lambda k: {"field": f"properties.{k}", "op": "is_empty"}
    ),
    st.tuples(st.sampled_from(["gte", "lt", "eq"]), st.integers(0, 20)).map(
        lambda t: {"field": "properties.seats", "op": t[0], "value": t[1]}
    ),
    st.tuples(st.integers(0, 40), st.integers(0, 40)).map(
        lambda t: {"field": "properties.price", "op": "between", "value": sorted(t)}
    ),
    st.booleans().map(lambda v: {"field": "properties.paid", "op": "eq", "value": v}),
    st.sampled_from([10, 50, 100]).map(
        lambda d: {"field": "created_at", "op": "in_last_days", "value": d}
    ),
    # Up to 12 times: past the recency ladder's 10 ranks, the timeline is counted instead.
    st.tuples(st.integers(1, 12), st.sampled_from([3, 7, 14, 30])).map(
        lambda t: {"activity": "visit", "min_count": t[0], "within_days": t[1]}
    ),
)
documents = st.recursive(
    leaf,
    lambda children: st.one_of(
        st.lists(children, max_size=3).map(lambda c: {"all": c}),
        st.lists(children, max_size=3).map(lambda c: {"any": c}),
        children.map(lambda c: {"not": c}),
    ),
    max_leaves=8,
)


def holds(document, c) -> bool:
    """The meaning of a document, written the slow obvious way."""
    if "all" in document:
        return all(holds(d, c) for d in document["all"])
    if "any" in document:
        return any(holds(d, c) for d in document["any"])
    if "not" in document:
        return not holds(document["not"], c)
    if "activity" in document:
        recent = [d for d in c["visits"] if d <= document["within_days"]]
        return len(recent) >= document["min_count"]
    field, op, value = document["field"], document["op"], document.get("value")
    if field == "tags":
        tags = c["tags"]
        return {
            "has_any": lambda: bool(tags & set(value)),
            "has_all": lambda: set(value) <= tags,
            "has_none": lambda: not tags & set(value),
            "is_empty": lambda: not tags,
            "is_not_empty": lambda: bool(tags),
        }[op]()
    if field == "created_at":
        return c["created_at"] >= timezone.now() - dt.timedelta(days=value)
    if field.startswith("properties."):
        key = field.split(".", 1)[1]
        present = key in c["properties"]
        actual = c["properties"].get(key)
        if op == "is_empty":
            return not present
        if op == "ne":
            return not (present and actual == value)
        if not present:
            return False
        if key == "price":
            return value[0] <= float(actual) <= value[1]
        return {
            "eq": lambda: actual == value,
            "gte": lambda: actual >= value,
            "lt": lambda: actual < value,
        }[op]()
    actual = c[field]
    if op == "is_empty":
        return actual == ""
    if field == "city":
        return actual.casefold() == value.casefold()
    return {
        "eq": lambda: actual == value,
        "ne": lambda: actual != value,
        "in": lambda: actual in value,
        "not_in": lambda: actual not in value,
        "gt": lambda: actual > value,
        "lte": lambda: actual <= value,
    }[op]()


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(document=documents)
def test_random_filters_match_brute_force(admin, population, document):
    expected = {pk for pk, c in population.items() if holds(document, c)}
    found = set(filter_contacts(admin, document).values_list("pk", flat=True))
    assert found == expected
    # Counted the same way the list and segments count (from a side table where one answers).
    assert count_contacts(admin, document) == len(expected)
