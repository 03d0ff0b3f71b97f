"""contacts.detail_columns: contacts builds and drops the index (and, on PostgreSQL, the generated
column) of each custom detail on its own table."""

import pytest
from django.db import connection

from kartoteka.contacts import detail_columns
from kartoteka.contacts import services as contact_services

pytestmark = pytest.mark.django_db


def _index_names() -> set[str]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "contacts_contact")
    return {name for name, info in constraints.items() if info.get("index")}


def _build_all() -> int:
    if connection.vendor == "postgresql":
        # PostgreSQL alters no table with foreign-key checks still pending in the transaction.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    return detail_columns.index_all_properties()


def test_only_details_of_an_indexed_type_are_indexed(admin):
    contact_services.define_property(admin, key="plan", label="Plan", type="text")
    contact_services.define_property(
        admin, key="langs", label="Languages", type="multi_choice", choices=["es", "pl"]
    )
    assert _build_all() == 1
    assert "segments_detail_plan" in _index_names()
    assert "segments_detail_langs" not in _index_names()


def test_postgresql_keeps_the_value_in_a_generated_column(admin):
    contact_services.define_property(admin, key="seats", label="Seats", type="number")
    _build_all()
    expected = {"detail_seats"} if connection.vendor == "postgresql" else set()
    assert detail_columns.materialised_details() == expected


def test_dropping_a_detail_index_removes_its_column_too(admin):
    contact_services.define_property(admin, key="seats", label="Seats", type="number")
    _build_all()
    detail_columns.drop_property_index("seats")
    assert "segments_detail_seats" not in _index_names()
    assert detail_columns.materialised_details() == set()


def test_a_long_key_gets_a_column_name_postgresql_accepts():
    key = "a" * 64
    assert len(detail_columns.detail_column(key)) <= 63
    assert detail_columns.detail_column(key) != detail_columns.detail_column("a" * 63 + "b")


def test_a_key_outside_the_strict_pattern_is_refused():
    with pytest.raises(ValueError):
        detail_columns.PropertyValue("plan'); DROP TABLE contacts_contact; --")
