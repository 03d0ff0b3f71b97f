"""The bulk path's fast cleaning gives what the general cleaners give, value for value."""

import datetime as dt

import pytest

from kartoteka.contacts.bulk import clean_row
from kartoteka.contacts.services import validate_contact_data
from kartoteka.core.errors import InvalidInput

TODAY = dt.date(2026, 6, 1)
VALUES = {
    "first_name": ["Ana", "Józef", "Ana María", " Ana", "Ana  María", "Cafe\u0301", "A\u200bna"],
    "city": ["Kraków", "Łódź", "New\u00a0York", "x" * 256, ""],
    "company": ["Acme S.L.", "Firma Łódź", "Acme\tInc", "y" * 256],
    "birthday": ["1990-05-17", "2024-02-30", "1899-12-31", "2027-01-01", "17/05/1990", ""],
    "score": ["0", "007", "-5", "1e3", "\u0663", "1234567890", " 12"],
    "status": ["lead", "won", "Lead", "gone"],
    "country": ["ES", "es", "Polska", "Hiszpania", "XX", "Atlantis"],
}


def _general(field: str, value: str):
    try:
        return validate_contact_data({field: value}, partial=True).get(field, "—")
    except InvalidInput as exc:
        return ("error", exc.errors)


def _bulk(field: str, value: str):
    try:
        return clean_row({"email": "a@example.com", field: value}, {}, today=TODAY).get(field, "—")
    except InvalidInput as exc:
        return ("error", exc.errors)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value"), [(field, value) for field, values in VALUES.items() for value in values]
)
def test_bulk_cleaning_matches_the_general_cleaners(field, value, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: TODAY)
    assert _bulk(field, value) == _general(field, value)


@pytest.mark.parametrize(
    "tags",
    [["vip"], ["vip", "VIP"], ["feria 2025", "targi"], [" vip"], ["x" * 101], ["Cafe\u0301"]],
)
def test_bulk_tags_match_the_general_cleaner(tags):
    def general():
        try:
            return validate_contact_data({"tags": tags}, partial=True)["tags"]
        except InvalidInput as exc:
            return ("error", exc.errors)

    try:
        bulk = clean_row({"email": "a@example.com", "tags": tags}, {}, today=TODAY)["tags"]
    except InvalidInput as exc:
        bulk = ("error", exc.errors)
    assert bulk == general()
