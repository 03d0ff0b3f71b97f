"""Shared set-up for the segments tests: custom details of every type."""

from kartoteka.contacts import services as contact_services


def define_details(admin) -> None:
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
