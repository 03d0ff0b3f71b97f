"""Counts of a filter that another app's table answers alone (eCommerce totals, open deals,
consents in force, mailing-list subscriptions) are read from that table without the contact
rows: for someone who sees every contact its ids alone, for a sales user through their
ownership rows; its negation as the contacts in scope less those. They must equal the plain
query's count in every scope, merged and forgotten contacts left out as there."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kartoteka.commerce import services as commerce
from kartoteka.consents import queries as consent_queries
from kartoteka.consents import services as consents
from kartoteka.core.scope import SYSTEM
from kartoteka.deals.models import Stage, StageKind
from kartoteka.duplicates.services import merge_contacts
from kartoteka.mailing.models import MailingList, Subscription
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
    kept = make_contact(**mine, tags=["vip"])
    small = make_contact(**mine)
    theirs = make_contact(country="PL", tags=["vip"])
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
    newsletter = MailingList.objects.create(key="newsletter", name="Newsletter")
    now = dt.datetime.now(dt.UTC)
    on_list = {kept: "subscribed", small: "unsubscribed", theirs: "subscribed"}
    on_list |= {merged: "subscribed", forgotten: "pending"}
    Subscription.objects.bulk_create(
        Subscription(
            mailing_list=newsletter,
            contact=person,
            status=status,
            source="import",
            status_at=now,
            created_at=now,
        )
        for person, status in on_list.items()
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


def _negations():
    """Conditions whose complement a side table answers: counted as the contacts in scope
    less the side table's."""
    email = {"field": "consent", "op": "has_any", "value": ["email"]}
    return [
        {"not": email},
        {"field": "consent", "op": "has_none", "value": ["email"]},
        {"field": "consent.email", "op": "eq", "value": "none"},
        {"field": "consent.email", "op": "is_empty"},
        {"field": "consent.email", "op": "ne", "value": "granted"},
        {"not": {"field": "consent.email", "op": "eq", "value": "withdrawn"}},
        text.parse("-list:newsletter"),
        {"field": "list.newsletter", "op": "ne", "value": "subscribed"},
        {"field": "list.newsletter", "op": "not_in", "value": ["subscribed", "pending"]},
        {"field": "list.newsletter", "op": "is_empty"},
        text.parse("-tag:vip"),
        {"field": "tags", "op": "has_none", "value": ["vip"]},
        {"not": OVER_500},
    ]


# Positive conditions a side table answers, and ones it does not (read from the contacts).
SUBSCRIPTIONS_AND_STATES = [
    {"field": "consent.email", "op": "ne", "value": "none"},
    {"field": "consent.email", "op": "is_not_empty"},
    {"field": "consent.email", "op": "not_in", "value": ["granted", "withdrawn"]},
    {"field": "consent.email", "op": "in", "value": ["granted", "none"]},
    {"field": "list", "op": "has_any", "value": ["newsletter"]},
    {"field": "list.newsletter", "op": "eq", "value": "unsubscribed"},
    {"field": "list.newsletter", "op": "in", "value": ["subscribed", "pending"]},
    {"field": "list.newsletter", "op": "is_not_empty"},
    {"all": [{"field": "list", "op": "has_any", "value": ["newsletter"]}, {"not": OVER_500}]},
]


def test_negations_and_states_equal_the_plain_query_in_every_scope(people, admin, sales):
    for actor in (SYSTEM, admin, sales):
        for document in [*_negations(), *SUBSCRIPTIONS_AND_STATES]:
            plain = queries.filter_contacts(actor, document)
            expected = plain.count()
            assert queries.count_contacts(actor, document) == expected, (actor, document)
            count, items, _after = queries.search(actor, document, limit=50)
            assert count == expected, (actor, document)
            assert [c.pk for c in items] == list(plain.order_by("-pk").values_list("pk", flat=True))


def test_negations_leave_out_merged_and_forgotten_contacts(people, admin, sales):
    gone = {people["merged"], people["forgotten"]}
    for actor in (admin, sales):
        for document in _negations():
            found = set(queries.filter_contacts(actor, document).values_list("pk", flat=True))
            assert not found & gone, (actor, document)
            assert queries.count_contacts(actor, document) == len(found), (actor, document)


def test_a_negation_is_counted_without_an_anti_join(people, admin, sales):
    for actor in (admin, sales):
        for document in _negations()[:-1]:  # the last one is answered by the contact table
            count, sql = _count_sql(actor, document)
            assert count == queries.filter_contacts(actor, document).count()
            assert "NOT" not in sql.upper().replace("IS NOT NULL", ""), (document, sql)


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


NEGATED_SIDE_TABLES = [
    ("-list:newsletter", "list:newsletter"),
    ("-tag:vip", "tag:vip"),
    ("-consent:email", "consent:email"),
]


@pytest.mark.parametrize(("negated", "positive"), NEGATED_SIDE_TABLES)
def test_a_negated_side_table_matches_every_other_contact_in_scope(
    people, admin, sales, negated, positive
):
    for actor in (admin, sales):
        everyone = set(queries.filter_contacts(actor, {"all": []}).values_list("pk", flat=True))
        having = set(
            queries.filter_contacts(actor, text.parse(positive)).values_list("pk", flat=True)
        )
        found = queries.filter_contacts(actor, text.parse(negated))
        assert set(found.values_list("pk", flat=True)) == everyone - having, (actor, negated)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plan")
@pytest.mark.parametrize(("negated", "positive"), NEGATED_SIDE_TABLES)
def test_postgresql_walks_a_negated_side_table_as_an_anti_join(people, admin, negated, positive):
    # NOT IN (subquery) is a hashed subplan of every id of the side table, read before the
    # first row of the page.
    sql = str(queries.filter_contacts(admin, text.parse(negated)).query).upper()
    assert "NOT EXISTS" in sql.replace("NOT (EXISTS", "NOT EXISTS") and " NOT IN " not in sql
