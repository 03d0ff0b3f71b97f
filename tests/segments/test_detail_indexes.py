"""Defining a custom detail gives it an index without an admin running a command (on
PostgreSQL, on a generated column that keeps the detail's value on the contact row)."""

import pytest
from django.db import connection

from kartoteka.contacts import services as contact_services
from kartoteka.segments.queries import count_contacts, filter_contacts
from tests.factories import make_contact
from tests.segments.helpers import build_detail_indexes


def _index_names() -> set[str]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "contacts_contact")
    return {name for name, info in constraints.items() if info.get("index")}


@pytest.mark.django_db
def test_defining_a_detail_creates_its_index(admin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        contact_services.define_property(admin, key="plan", label="Plan", type="text")
    assert "segments_detail_plan" in _index_names()


@pytest.mark.django_db
def test_deleting_a_detail_drops_its_index_and_column(admin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        definition = contact_services.define_property(
            admin, key="seats", label="Seats", type="number"
        )
    with django_capture_on_commit_callbacks(execute=True):
        contact_services.delete_property(admin, definition)
    assert "segments_detail_seats" not in _index_names()
    assert "detail_seats" not in _detail_columns()


def _detail_columns() -> set[str]:
    with connection.cursor() as cursor:
        columns = connection.introspection.get_table_description(cursor, "contacts_contact")
    return {column.name for column in columns if column.name.startswith("detail_")}


@pytest.mark.django_db
def test_detail_values_are_counted_from_their_column_once_it_is_built(
    admin, django_capture_on_commit_callbacks
):
    """Contacts that had values before the detail's index was built are found through it, and
    a contact without the detail is "not equal" (its column is NULL, like the JSON value)."""
    with django_capture_on_commit_callbacks(execute=True):  # built by the task at once
        contact_services.define_property(admin, key="plan", label="Plan", type="text")
    contact_services.define_property(admin, key="seats", label="Seats", type="number")
    for n, seats in enumerate([3, 12, 40, None]):
        make_contact(
            admin,
            email=f"s{n}@example.com",
            properties={} if seats is None else {"seats": seats},
        )
    document = {"field": "properties.seats", "op": "between", "value": [10, 50]}
    not_twelve = {"field": "properties.seats", "op": "ne", "value": 12}
    before = (count_contacts(admin, document), count_contacts(admin, not_twelve))
    assert "detail_seats" not in _detail_columns()  # read from the JSON meanwhile
    build_detail_indexes()
    assert before == (2, 3)
    assert (count_contacts(admin, document), count_contacts(admin, not_twelve)) == before
    sql = str(filter_contacts(admin, document).query)
    if connection.vendor == "postgresql":
        assert {"detail_seats", "detail_plan"} <= _detail_columns()
        assert "detail_seats" in sql and "->>" not in sql
    else:
        assert _detail_columns() == set()
        assert "json_extract" in sql
    # A contact written afterwards gets its column value from the database itself.
    make_contact(admin, email="late@example.com", properties={"seats": 15})
    assert count_contacts(admin, document) == 3


@pytest.mark.django_db
def test_a_yes_or_no_detail_is_counted_through_its_index(admin):
    """ "Newsletter opt-in = yes" read every contact's JSON before booleans had an index."""
    contact_services.define_property(admin, key="optin", label="Opt-in", type="boolean")
    for n, value in enumerate([True, True, False, None]):
        make_contact(
            admin,
            email=f"o{n}@example.com",
            properties={} if value is None else {"optin": value},
        )
    build_detail_indexes()
    yes = {"field": "properties.optin", "op": "eq", "value": True}
    no = {"field": "properties.optin", "op": "eq", "value": False}
    not_yes = {"not": yes}
    assert [count_contacts(admin, d) for d in (yes, no, not_yes)] == [2, 1, 2]
    matching = filter_contacts(admin, yes).order_by().values("id")
    sql, params = matching.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            assert "detail_optin" in sql
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            assert "segments_detail_optin" in str(cursor.fetchall())
