"""Search folds accents both ways ("García" finds "Garcia" and "garcia" finds "García") in the
search box, the filter's text field and the API's search, through the trigram index."""

from importlib import import_module

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client

from kartoteka.contacts.models import Contact
from kartoteka.contacts.queries import search_contacts
from kartoteka.core.normalise import fold_search
from kartoteka.segments.queries import filter_contacts
from tests.factories import make_contact
from tests.transfer.helpers import run, write

pytestmark = pytest.mark.django_db


@pytest.fixture
def garcias(admin):
    make_contact(admin, email="accented@example.com", first_name="Ana", last_name="García")
    make_contact(admin, email="plain@example.com", first_name="Luis", last_name="Garcia")
    make_contact(admin, email="lodz@example.com", first_name="Łukasz", last_name="Żółć")
    make_contact(admin, email="other@example.com", first_name="Eva", last_name="Gómez")


def _text(admin, words: str) -> set[str]:
    document = {"field": "text", "op": "contains", "value": words}
    return set(filter_contacts(admin, document).values_list("email", flat=True))


GARCIAS = {"accented@example.com", "plain@example.com"}


@pytest.mark.parametrize("typed", ["García", "garcia", "GARCÍA", "Garcia", "garcía"])
def test_the_text_filter_finds_a_name_typed_with_or_without_accents(admin, garcias, typed):
    assert _text(admin, typed) == GARCIAS


def test_letters_without_a_decomposition_fold_too(admin, garcias):
    assert _text(admin, "lukasz zolc") == {"lodz@example.com"}
    assert _text(admin, "Łukasz") == {"lodz@example.com"}


def test_the_list_search_box_folds_accents(admin, garcias):
    client = Client()
    client.force_login(admin)
    for typed in ("García", "garcia"):
        page = client.get("/contacts/", {"q": typed}).content.decode()
        assert "accented@example.com" in page and "plain@example.com" in page
        assert "other@example.com" not in page


def test_the_api_search_folds_accents(admin_api, garcias):
    for typed in ("García", "garcia"):
        items = admin_api.get("/api/v1/contacts", search=typed).json()["items"]
        assert {item["email"] for item in items} == GARCIAS
        found = admin_api.post("/api/v1/contacts/search", {"q": typed}).json()
        assert found["count"] == 2


def test_imported_contacts_are_found_without_accents(admin, tmp_path):
    run(admin, write(tmp_path, "people.csv", "email,last_name\nimp@example.com,Muñoz\n"))
    assert _text(admin, "munoz") == _text(admin, "Muñoz") == {"imp@example.com"}


def test_fold_search_takes_off_case_and_accents():
    assert fold_search("García ŁÓDŹ Ærø") == "garcia lodz aero"
    assert fold_search("ana+tag@example.com +34 600") == "ana+tag@example.com +34 600"


def test_migration_folds_the_search_text_of_existing_contacts(admin, garcias):
    Contact.objects.filter(email="accented@example.com").update(search_text="ana garcía")
    migration = import_module("kartoteka.contacts.migrations.0004_search_text_without_accents")
    migration.fold_search_text(apps, None)
    assert Contact.objects.get(email="accented@example.com").search_text == "ana garcia"
    assert _text(admin, "garcía") == GARCIAS  # the SQLite index followed the column


@pytest.mark.parametrize("door", ["text filter", "quick search"])
def test_an_accented_search_still_reads_the_trigram_index(admin, garcias, door):
    if door == "text filter":
        document = {"field": "text", "op": "contains", "value": "García"}
        matching = filter_contacts(admin, document)
    else:
        matching = search_contacts(admin, "García")
    sql, params = matching.order_by().values("id").query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
            assert "segments_contact_search_trgm" in str(cursor.fetchall())
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            assert "segments_contact_search" in str(cursor.fetchall())
    assert "%garcia%" in params
