"""Shared set-up for the segments tests: custom details of every type."""

from django.db import connection

from kartoteka.contacts import services as contact_services
from kartoteka.contacts.detail_columns import index_all_properties


def define_details(admin, *, indexed: bool = True) -> None:
    """Define the details; with `indexed`, also build their indexes (and, on PostgreSQL, the
    columns that keep their values) as the worker does once the definitions are committed, so
    filters run the way they do in production. Without, filters read the JSON values."""
    for key, label, kind, choices in (
        ("plan", "Plan", "dictionary", ["free", "pro", "enterprise"]),
        ("seats", "Seats", "number", None),
        ("price", "Price", "decimal", None),
        ("renewal", "Renewal", "date", None),
        ("paid", "Paid", "boolean", None),
        ("langs", "Languages", "multi_choice", ["es", "pl", "en"]),
        ("referrer", "Referrer", "text", None),
        ("site", "Site", "url", None),
    ):
        contact_services.define_property(admin, key=key, label=label, type=kind, choices=choices)
    if indexed:
        build_detail_indexes()


def build_detail_indexes() -> None:
    """What the worker does after a definition commits, inside the test's transaction."""
    if connection.vendor == "postgresql":
        # PostgreSQL alters no table with foreign-key checks still pending in the transaction.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    index_all_properties()
