"""The compact text form compiles to the same JSON document."""

import pytest

from kartoteka.core.errors import InvalidInput
from kartoteka.segments.queries import filter_contacts
from kartoteka.segments.text import parse
from tests.factories import make_contact
from tests.segments.helpers import define_details


def test_issue_example_compiles_to_the_json_document(admin):
    define_details(admin)
    assert parse('tag:vip country:ES,PL created:<30d plan:pro score>50 "Ana María"') == {
        "all": [
            {"field": "text", "op": "contains", "value": "ana maría"},
            {"field": "tags", "op": "has_any", "value": ["vip"]},
            {"field": "country", "op": "in", "value": ["ES", "PL"]},
            {"field": "created_at", "op": "in_last_days", "value": 30},
            {"field": "properties.plan", "op": "eq", "value": "pro"},
            {"field": "score", "op": "gt", "value": 50},
        ]
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("-status:lost", {"not": {"field": "status", "op": "eq", "value": "lost"}}),
        ("tag!=spam", {"field": "tags", "op": "has_none", "value": ["spam"]}),
        ("created:>90d", {"field": "created_at", "op": "more_than_days_ago", "value": 90}),
        (
            "created:2024-01-01..2024-03-31",
            {"field": "created_at", "op": "between", "value": ["2024-01-01", "2024-03-31"]},
        ),
        ("birthday<2000-01-01", {"field": "birthday", "op": "before", "value": "2000-01-01"}),
        ("score:10..50", {"field": "score", "op": "between", "value": [10, 50]}),
        ("has:birthday", {"field": "birthday", "op": "is_not_empty"}),
        ("no:company", {"field": "company", "op": "is_empty"}),
        ("did:visit>=3/7d", {"activity": "visit", "min_count": 3, "within_days": 7}),
        ("did:purchase", {"activity": "purchase", "min_count": 1, "within_days": 30}),
        ('city:"San Sebastián"', {"field": "city", "op": "eq", "value": "San Sebastián"}),
        ("ana@example.com", {"field": "text", "op": "contains", "value": "ana@example.com"}),
        ('"tag:vip"', {"field": "text", "op": "contains", "value": "tag:vip"}),
        ("paid:yes", {"field": "properties.paid", "op": "eq", "value": True}),
        ("seats>=2.5", {"field": "properties.seats", "op": "gte", "value": 2.5}),
    ],
)
def test_terms_compile_to_conditions(admin, text, expected):
    define_details(admin)
    assert parse(text) == {"all": [expected]}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("shoe:42", "Unknown field 'shoe'"),
        ('"open quote', "quote is not closed"),
        ("score>many", "'many' in 'score>many' is not a number"),
        ("tag:vip seats:2..lots", "'lots' in 'seats:2..lots' is not a number"),
        ("status:sleeping", "Expected one of"),
        ("city>5", "takes key:value"),
        ("did:visit>=x", "did:visit>=3/7d"),
        ("created:soon", "YYYY-MM-DD"),
        ("x" * 2001, "at most 2000 characters"),
    ],
)
def test_mistakes_in_the_text_form_are_explained(admin, text, message):
    define_details(admin)
    with pytest.raises(InvalidInput) as caught:
        parse(text)
    assert message in caught.value.errors["q"][0]


def test_quotes_and_sql_in_the_text_form_are_searched_as_text(admin):
    contact = make_contact(admin, first_name="O'Brien")
    make_contact(admin, first_name="Someone")
    assert list(filter_contacts(admin, parse("o'brien"))) == [contact]
    assert list(filter_contacts(admin, parse('"\'; DROP TABLE x; --"'))) == []


def test_empty_text_matches_everything(admin):
    assert parse("   ") == {"all": []}
