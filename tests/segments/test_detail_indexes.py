"""Defining a custom detail gives it an expression index without an admin running a command."""

import pytest
from django.db import connection

from kartoteka.contacts import services as contact_services


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
def test_deleting_a_detail_drops_its_index(admin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        definition = contact_services.define_property(
            admin, key="seats", label="Seats", type="number"
        )
    with django_capture_on_commit_callbacks(execute=True):
        contact_services.delete_property(admin, definition)
    assert "segments_detail_seats" not in _index_names()
