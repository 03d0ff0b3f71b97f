"""Validation of filter documents: every mistake gets a message saying what is allowed."""

import pytest

from kartoteka.core.errors import InvalidInput
from kartoteka.segments import schema
from kartoteka.segments.queries import filter_contacts
from tests.factories import make_contact
from tests.segments.helpers import define_details


def error_of(document) -> str:
    with pytest.raises(InvalidInput) as caught:
        schema.validate(document)
    return " ".join(m for ms in caught.value.errors.values() for m in ms)


def test_unknown_field_lists_the_allowed_fields(db):
    message = error_of({"field": "shoe_size", "op": "eq", "value": 42})
    assert "Unknown field 'shoe_size'" in message
    assert "country" in message and "tags" in message


def test_unknown_custom_detail_is_refused(db):
    assert "Unknown field 'properties.nope'" in error_of(
        {"field": "properties.nope", "op": "eq", "value": "x"}
    )


def test_wrong_operator_for_the_type_names_the_allowed_ones(db):
    message = error_of({"field": "score", "op": "contains", "value": "1"})
    assert "does not fit score (number)" in message
    assert "between" in message


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"field": "score", "op": "gt", "value": "many"}, "Expected a number"),
        ({"field": "score", "op": "between", "value": [5]}, "between takes a list of two"),
        ({"field": "score", "op": "between", "value": [9, 1]}, "from not after to"),
        ({"field": "created_at", "op": "before", "value": "yesterday"}, "YYYY-MM-DD"),
        ({"field": "created_at", "op": "in_last_days", "value": -1}, "whole number of days"),
        ({"field": "status", "op": "eq", "value": "sleeping"}, "Expected one of: new"),
        ({"field": "tags", "op": "has_any", "value": []}, "non-empty list"),
        ({"field": "city", "op": "eq", "value": {"$ne": 1}}, "Expected a text value"),
        ({"field": "city", "op": "is_empty", "value": "x"}, "takes no value"),
        ({"field": "is_monitored", "op": "eq", "value": "yes"}, "Expected true or false"),
        ({"field": "score", "op": "eq", "value": float("nan")}, "finite"),
        ({"field": "city", "op": "eq", "value": "a\x00b"}, "1 to 500 characters"),
        ({"activity": "visit", "min_count": 0, "within_days": 7}, "min_count must be from 1"),
        ({"activity": "visit", "within_days": "7"}, "within_days must be a whole number"),
        ({"all": {"field": "city"}}, '"all" takes a list'),
        ({"all": [], "any": []}, "only the key"),
        ({"field": "city", "op": "eq", "value": "x", "extra": 1}, "Unknown key(s) extra"),
        (["city"], "Expected {"),
    ],
)
def test_bad_documents_say_what_is_allowed(db, condition, expected):
    assert expected in error_of(condition)


def test_deep_nesting_is_refused(db):
    document = {"field": "city", "op": "eq", "value": "x"}
    for _ in range(schema.MAX_DEPTH + 5):
        document = {"not": document}
    assert f"at most {schema.MAX_DEPTH} levels" in error_of(document)


def test_too_many_conditions_are_refused(db):
    document = {"any": [{"field": "score", "op": "eq", "value": i} for i in range(400)]}
    assert "at most 300 conditions" in error_of(document)


def test_huge_in_list_is_refused(db):
    assert "at most 1000 values" in error_of(
        {"field": "city", "op": "in", "value": [str(i) for i in range(1001)]}
    )


def test_a_thousand_values_in_a_list_still_work(admin):
    contact = make_contact(admin, city="999")
    document = {"field": "city", "op": "in", "value": [str(i) for i in range(1000)]}
    assert list(filter_contacts(admin, document)) == [contact]


def test_validate_returns_the_normalised_document(admin):
    define_details(admin)
    document = schema.validate(
        {
            "all": [
                {"field": "country", "op": "in", "value": ["es", "pl"]},
                {"field": "tags", "op": "has_any", "value": ["VIP"]},
                {"field": "properties.plan", "op": "eq", "value": "PRO"},
                {"field": "city", "op": "is_empty"},
            ]
        }
    )
    assert document == {
        "all": [
            {"field": "country", "op": "in", "value": ["ES", "PL"]},
            {"field": "tags", "op": "has_any", "value": ["vip"]},
            {"field": "properties.plan", "op": "eq", "value": "pro"},
            {"field": "city", "op": "is_empty"},
        ]
    }


@pytest.mark.parametrize(
    "value",
    [
        "x' OR '1'='1",
        '"; DROP TABLE contacts_contact; --',
        "%",
        "_",
        "\\",
        "O'Brien",
    ],
)
def test_sql_looking_values_are_plain_values(admin, value):
    define_details(admin)
    make_contact(admin, city="Madrid", properties={"referrer": "x"})
    for condition in (
        {"field": "city", "op": "contains", "value": value},
        {"field": "city", "op": "eq", "value": value},
        {"field": "properties.referrer", "op": "starts_with", "value": value},
        {"field": "text", "op": "contains", "value": value},
        {"field": "tags", "op": "has_any", "value": [value]},
    ):
        assert list(filter_contacts(admin, condition)) == []


def test_empty_document_matches_every_visible_contact(admin):
    contacts = {make_contact(admin).pk, make_contact(admin).pk}
    assert set(filter_contacts(admin, {}).values_list("pk", flat=True)) == contacts
    assert set(filter_contacts(admin, {"all": []}).values_list("pk", flat=True)) == contacts
    assert list(filter_contacts(admin, {"any": []})) == []
    assert list(filter_contacts(admin, {"not": {"all": []}})) == []


def test_has_all_takes_at_most_fifty_values(db):
    assert "has_all takes at most 50" in error_of(
        {"field": "tags", "op": "has_all", "value": [f"t{i}" for i in range(51)]}
    )


def test_a_thousand_values_work_on_custom_details_and_tags(admin):
    define_details(admin)
    contact = make_contact(admin, tags=["t999"], properties={"referrer": "r999"})
    values = [f"r{i}" for i in range(1000)]
    assert list(
        filter_contacts(admin, {"field": "properties.referrer", "op": "in", "value": values})
    ) == [contact]
    tags = [f"t{i}" for i in range(1000)]
    assert list(filter_contacts(admin, {"field": "tags", "op": "has_any", "value": tags})) == [
        contact
    ]
