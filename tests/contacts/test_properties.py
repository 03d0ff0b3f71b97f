"""Coercion of custom detail values, per property type."""

import datetime as dt

import pytest

from kartoteka.contacts.models import PropertyDefinition
from kartoteka.contacts.properties import coerce_value
from kartoteka.core.errors import InvalidInput


def definition(kind: str, choices=None) -> PropertyDefinition:
    return PropertyDefinition(key="detail", label="Detail", type=kind, choices=choices or [])


@pytest.mark.parametrize(
    ("kind", "raw", "stored"),
    [
        ("text", "  hello  ", "hello"),
        ("number", "1 200", 1200),
        ("number", 7.0, 7),
        ("decimal", "12,50", "12.50"),
        ("decimal", 3, "3"),
        ("date", "31.12.2024", "2024-12-31"),
        ("date", dt.date(2024, 1, 2), "2024-01-02"),
        ("boolean", "sí", True),
        ("boolean", "nie", False),
        ("url", "example.com/a", "https://example.com/a"),
        ("dictionary", "pro", "Pro"),
        ("multi_choice", "b, a", ["A", "B"]),
        ("multi_choice", ["A", "a"], ["A"]),
        ("number", "", None),
    ],
)
def test_value_is_stored_in_its_type(kind, raw, stored):
    choices = ["Free", "Pro"] if kind == "dictionary" else ["A", "B"]
    assert coerce_value(definition(kind, choices), raw) == stored


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        ("number", "12.5", "whole number"),
        ("number", True, "whole number"),
        ("decimal", "NaN", "decimal"),
        ("decimal", "1e999999", "decimal"),
        ("date", "31/02/2024", "date"),
        ("boolean", "maybe", "yes or no"),
        ("url", "javascript:alert(1)", "web address"),
        ("dictionary", "Gold", "one of"),
        ("multi_choice", ["A", "Z"], "one of"),
        ("text", {"a": 1}, "text"),
    ],
)
def test_wrong_value_names_the_property_and_expected_type(kind, raw, expected):
    with pytest.raises(InvalidInput) as error:
        coerce_value(definition(kind, ["Free", "Pro"] if kind == "dictionary" else ["A", "B"]), raw)
    message = error.value.errors["properties.detail"][0]
    assert "Detail" in message
    assert expected in message
