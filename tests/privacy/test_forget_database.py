"""What a forget does to the database's own files on SQLite: deleted rows are overwritten, and
the write-ahead log is emptied once the forget has committed (or soon after, by a task, while a
reader keeps it)."""

import sqlite3
from pathlib import Path

import pytest
from django.db import connection

from kartoteka.core import database, tasks
from kartoteka.privacy.services import forget_contact
from tests.factories import make_contact

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif("connection.vendor != 'sqlite'", reason="SQLite's files"),
]


def _log() -> Path:
    return Path(f"{connection.settings_dict['NAME']}-wal")


def test_sqlite_connections_overwrite_what_they_delete():
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA secure_delete")
        assert cursor.fetchone()[0] == 1


def test_forget_leaves_the_write_ahead_log_empty(admin):
    person = make_contact(admin, email="log.person@example.org")
    assert _log().stat().st_size > 0
    forget_contact(admin, person)
    assert _log().stat().st_size == 0


def test_a_reader_holding_the_log_leaves_the_checkpoint_to_a_task(admin, monkeypatch):
    person = make_contact(admin, email="held.person@example.org")
    queued = []
    monkeypatch.setattr(database, "PURGE_WAIT_MS", 50)
    monkeypatch.setattr(
        tasks, "purge_deleted_rows_task", type("Queued", (), {"enqueue": queued.append})
    )
    reader = sqlite3.connect(connection.settings_dict["NAME"])
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM contacts_contact").fetchone()
        forget_contact(admin, person)
        assert _log().stat().st_size > 0
        assert len(queued) == 1 and "contacts_contact" in queued[0]
    finally:
        reader.close()
    database.finish_purge(queued[0])
    assert _log().stat().st_size == 0
