"""contacts.search: the search box finds contacts by every word, through contacts' search index."""

import pytest
from django.db import connection

from kartoteka.contacts.queries import search_contacts
from kartoteka.contacts.search import SQLITE_SEARCH_TABLE
from tests.factories import make_contact

pytestmark = pytest.mark.django_db


def _found(admin, text: str) -> set[str]:
    return set(search_contacts(admin, text).values_list("email", flat=True))


def test_every_word_must_appear(admin):
    make_contact(admin, email="ana@example.com", first_name="Ana", last_name="Nowak")
    make_contact(admin, email="eva@example.com", first_name="Eva", last_name="Nowak")
    assert _found(admin, "nowak ana") == {"ana@example.com"}


def test_a_phone_typed_with_dashes_is_found_by_its_digits(admin):
    make_contact(admin, email="phone@example.com", phone="+48 600 100 200")
    make_contact(admin, email="other@example.com")
    assert _found(admin, "600-100-200") == {"phone@example.com"}


def test_a_renamed_contact_is_found_by_its_new_name_only(admin):
    from kartoteka.contacts import services

    contact = make_contact(admin, email="rename@example.com", last_name="Kowalski")
    services.update_contact(admin, contact, data={"last_name": "Wiśniewski"})
    assert _found(admin, "kowalski") == set()
    assert _found(admin, "wisniewski") == {"rename@example.com"}


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the FTS5 table is SQLite's")
def test_the_sqlite_search_table_follows_deleted_contacts(admin):
    from kartoteka.contacts import services

    contact = make_contact(admin, email="gone@example.com", last_name="Zielinski")
    services.delete_contact(admin, contact)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM {SQLITE_SEARCH_TABLE} WHERE search_text LIKE %s",
            ["%zielinski%"],
        )
        assert cursor.fetchone() == (0,)
