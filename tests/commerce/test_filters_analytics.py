"""eCommerce filter fields, behaviour filters over event types, products and the activity
counts behind the Analytics charts."""

import pytest
from django.db import connection
from django.utils import timezone
from freezegun import freeze_time

from kartoteka.commerce import queries, services
from kartoteka.core.scope import SYSTEM
from kartoteka.segments import queries as segments
from tests.commerce.conftest import purchase
from tests.factories import make_contact

pytestmark = pytest.mark.django_db


def _matching(document):
    return set(segments.filter_contacts(SYSTEM, document).values_list("pk", flat=True))


@pytest.fixture
def big_and_small():
    big, small, none = make_contact(), make_contact(), make_contact()
    services.record_events(
        SYSTEM,
        [
            purchase(big, value="600.00", products=[{"sku": "TV-1", "category": "tv"}]),
            purchase(big, value="100.00"),
            purchase(small, value="20.00", when="2020-01-01T10:00:00+00:00",
                     products=[{"sku": "CABLE"}]),
        ],
    )  # fmt: skip
    return big, small, none


def test_total_value_filter_compares_in_the_workspace_currency(big_and_small):
    big, small, none = big_and_small
    assert _matching({"field": "ecommerce.total_value", "op": "gt", "value": 500}) == {big.pk}
    assert _matching({"not": {"field": "ecommerce.total_value", "op": "gt", "value": 500}}) == {
        small.pk,
        none.pk,
    }


def test_transactions_and_average_cart_filters(big_and_small):
    big, small, _none = big_and_small
    assert _matching({"field": "ecommerce.transactions", "op": "gte", "value": 2}) == {big.pk}
    assert _matching({"field": "ecommerce.average_cart", "op": "eq", "value": 350}) == {big.pk}


def test_last_purchase_filter(big_and_small):
    big, small, _none = big_and_small
    older = {"field": "ecommerce.last_purchase_at", "op": "before", "value": "2021-01-01"}
    assert _matching(older) == {small.pk}


def test_purchased_matches_a_sku_or_a_category_and_a_window_of_days(big_and_small):
    big, small, _none = big_and_small
    assert _matching({"field": "purchased", "op": "has_any", "value": ["tv"]}) == {big.pk}
    assert _matching({"field": "purchased", "op": "has_any", "value": ["CABLE"]}) == {small.pk}
    recent = {"field": "purchased.30", "op": "has_any", "value": ["CABLE"]}
    assert _matching(recent) == set()


def test_text_filters_name_the_fields_too(big_and_small):
    big, _small, _none = big_and_small
    document = segments.document_from(q="ecommerce.total_value>500")
    assert _matching(document) == {big.pk}


def test_behaviour_filter_knows_event_types(big_and_small):
    big, _small, _none = big_and_small
    document = segments.document_from(q="did:purchase>=2/36500d")
    assert _matching(document) == {big.pk}


def test_products_count_units_revenue_and_buyers_in_scope(sales, other_sales):
    mine = make_contact(owners=[sales])
    theirs = make_contact(owners=[other_sales])
    line = {"sku": "MUG", "name": "Mug", "price": "4.00", "quantity": 3}
    services.record_events(
        SYSTEM, [purchase(mine, products=[line]), purchase(theirs, products=[line])]
    )
    (row,) = queries.products(sales)
    assert (row["units"], str(row["revenue"]), row["buyers"]) == (3, "12.00", 1)
    assert [b["id"] for b in queries.buyers(sales, "MUG")] == [mine.pk]


# The contact's own "created" entry counts as activity too, at the hour it is made: made at a
# fixed time, it cannot fall in an hour the assertions count (18:00 when run between 18 and 19).
@freeze_time("2026-12-05T03:30:00+00:00")
def test_analytics_counts_by_hour_weekday_and_both(settings):
    settings.TIME_ZONE = "UTC"
    contact = make_contact()
    services.record_events(
        SYSTEM,
        [
            purchase(contact, type="download", when="2026-11-30T09:15:00+00:00"),  # Monday
            purchase(contact, type="download", when="2026-12-01T09:45:00+00:00"),  # Tuesday
            purchase(contact, type="cart", when="2026-12-01T18:00:00+00:00"),
        ],
    )
    found = queries.analytics(SYSTEM, contact.pk, kind="download", days=30)
    assert found.by_hour[9] == 2 and sum(found.by_hour) == 2
    assert found.by_weekday[:2] == [1, 1]
    assert found.heatmap[1][9] == 1
    everything = queries.analytics(SYSTEM, contact.pk, days=30)
    assert everything.by_hour[18] == 1


def test_analytics_api_answers_the_interface_shape(admin_api):
    contact = make_contact()
    body = admin_api.get(f"/api/v1/contacts/{contact.pk}/analytics", days=7).json()
    assert len(body["by_hour"]) == 24 and len(body["by_weekday"]) == 7
    assert len(body["heatmap"]) == 7 and all(len(row) == 24 for row in body["heatmap"])


def test_analytics_refuses_an_unknown_period(admin_api):
    contact = make_contact()
    response = admin_api.get(f"/api/v1/contacts/{contact.pk}/analytics", days=5)
    assert response.status_code == 422


@freeze_time("2026-12-05T03:30:00+00:00")  # the entries stay inside the last 30 days
def test_analytics_places_each_entry_at_the_readers_hour_and_weekday():
    contact = make_contact()
    services.record_events(
        SYSTEM,
        [
            # Monday 23:30 UTC is Tuesday 00:30 in Warsaw (winter, UTC+1).
            purchase(contact, type="download", when="2026-11-30T23:30:00+00:00"),
            # Sunday 22:10 UTC is Sunday 23:10 there.
            purchase(contact, type="download", when="2026-11-29T22:10:00+00:00"),
        ],
    )
    with timezone.override("Europe/Warsaw"):
        found = queries.analytics(SYSTEM, contact.pk, kind="download", days=30)
    assert found.heatmap[1][0] == 1 and found.heatmap[6][23] == 1
    assert found.by_hour[0] == found.by_hour[23] == 1 and found.total == 2


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's plan; PostgreSQL's varies")
def test_total_value_filter_joins_contacts_from_the_totals_index_alone():
    document = {"field": "ecommerce.total_value", "op": "gt", "value": 500}
    compiled = str(segments.filter_contacts(SYSTEM, document).query)
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {compiled}")
        plan = " ".join(row[-1] for row in cursor.fetchall())
    assert "COVERING INDEX totals_total_contact" in plan
