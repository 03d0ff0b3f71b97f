"""Counts of a filter that another app's table answers alone (eCommerce totals, open deals,
consents in force) are read from that table without the contact rows: for someone who sees
every contact its ids alone, for a sales user through their ownership rows. They must equal
the plain query's count in every scope, merged and forgotten contacts left out as there."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kartoteka.commerce import services as commerce
from kartoteka.consents import queries as consent_queries
from kartoteka.consents import services as consents
from kartoteka.core.scope import SYSTEM
from kartoteka.deals.models import Stage, StageKind
from kartoteka.duplicates.services import merge_contacts
from kartoteka.privacy.services import forget_contact
from kartoteka.segments import queries, text
from tests.commerce.conftest import purchase
from tests.factories import make_contact, make_deal, sales_pipeline

pytestmark = pytest.mark.django_db

OVER_500 = {"field": "ecommerce.total_value", "op": "gt", "value": 500}
SIDE_TABLE_FILTERS = [
    OVER_500,
    {"field": "ecommerce.total_value", "op": "between", "value": [10, 700]},
    {"field": "ecommerce.transactions", "op": "gte", "value": 1},
    {"field": "consent", "op": "has_any", "value": ["email"]},
    {"field": "consent.email", "op": "eq", "value": "granted"},
]
# Answered from the contact table: a contact without totals meets them.
CONTACT_ROW_FILTERS = [
    {"not": OVER_500},
    {"field": "ecommerce.total_value", "op": "is_empty"},
    {"field": "ecommerce.total_value", "op": "ne", "value": 600},
    {"any": [OVER_500, {"field": "country", "op": "eq", "value": "PL"}]},
]


@pytest.fixture
def people(admin, sales):
    """Buyers, deal contacts and consenting contacts, some owned by `sales`, one merged into
    another and one forgotten."""
    mine = {"owners": [sales]}
    kept = make_contact(**mine)
    small = make_contact(**mine)
    theirs = make_contact(country="PL")
    make_contact(**mine)  # owned, nothing bought
    merged = make_contact(**mine)
    forgotten = make_contact(**mine)
    commerce.record_events(
        SYSTEM,
        [
            purchase(kept, value="600.00"),
            purchase(small, value="20.00"),
            purchase(theirs, value="900.00"),
            purchase(merged, value="800.00"),
            purchase(forgotten, value="1000.00"),
        ],
    )
    pipeline = sales_pipeline()
    open_stage = Stage.objects.filter(pipeline=pipeline, kind=StageKind.OPEN).first()
    won = Stage.objects.filter(pipeline=pipeline, kind=StageKind.WON).first()
    for person in (kept, theirs, merged, forgotten):
        make_deal(contacts=[person], pipeline=pipeline.pk, stage=open_stage.pk)
    make_deal(contacts=[small], pipeline=pipeline.pk, stage=won.pk)
    consents.publish_legal_text(
        admin, consent_queries.get_purpose("marketing"), body="News by e-mail"
    )
    given = {kept: "granted", small: "withdrawn", theirs: "granted", merged: "granted"}
    given[forgotten] = "granted"
    consents.record_consents(
        SYSTEM,
        [
            consents.ConsentItem(
                person.pk, "email", "marketing", status, "import", {"text_version": 1, "ip": "::1"}
            )
            for person, status in given.items()
        ],
    )
    merge_contacts(admin, survivor_id=small.pk, merged_ids=[merged.pk])
    forget_contact(admin, forgotten)
    return {"pipeline": pipeline, "merged": merged.pk, "forgotten": forgotten.pk}


def _documents(pipeline):
    deals = [
        {"field": "deals.open_in_pipeline", "op": "has_any", "value": [str(pipeline.pk)]},
        {"field": "deals.open_in_pipeline", "op": "is_not_empty"},
        text.parse(f"deal-pipeline:{pipeline.pk}"),
    ]
    return [*SIDE_TABLE_FILTERS, *deals]


def _count_sql(actor, document) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        count = queries.count_contacts(actor, document)
    return count, " ".join(q["sql"] for q in captured.captured_queries)


def test_side_table_counts_equal_the_plain_query_in_every_scope(people, admin, sales):
    for actor in (SYSTEM, admin, sales):
        for document in [*_documents(people["pipeline"]), *CONTACT_ROW_FILTERS]:
            plain = queries.filter_contacts(actor, document)
            expected = plain.count()
            assert queries.count_contacts(actor, document) == expected, (actor, document)
            count, items, _after = queries.search(actor, document, limit=50)
            assert count == expected, (actor, document)
            assert [c.pk for c in items] == list(plain.order_by("-pk").values_list("pk", flat=True))


def test_the_counts_leave_out_merged_and_forgotten_contacts(people, admin, sales):
    gone = {people["merged"], people["forgotten"]}
    for actor in (admin, sales):
        for document in _documents(people["pipeline"]):
            found = set(queries.filter_contacts(actor, document).values_list("pk", flat=True))
            assert found and not found & gone, (actor, document)
            assert queries.count_contacts(actor, document) == len(found)
    assert queries.count_contacts(admin, OVER_500) == 2  # kept and theirs
    assert queries.count_contacts(sales, OVER_500) == 1  # kept


def test_an_admin_counts_a_side_table_without_the_contact_table(people, admin):
    for document in _documents(people["pipeline"]):
        count, sql = _count_sql(admin, document)
        assert count == queries.filter_contacts(admin, document).count()
        assert '"contacts_contact"' not in sql, (document, sql)


def test_a_sales_user_counts_a_side_table_through_their_ownership_rows(people, sales):
    for document in _documents(people["pipeline"]):
        count, sql = _count_sql(sales, document)
        assert count == queries.filter_contacts(sales, document).count()
        assert '"contacts_contactowner"' in sql and '"contacts_contact"' not in sql, sql


def test_conditions_a_contact_without_the_row_can_meet_read_the_contact_table(people, admin):
    for document in CONTACT_ROW_FILTERS:
        _count, sql = _count_sql(admin, document)
        assert '"contacts_contact"' in sql, document
