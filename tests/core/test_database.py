"""The planner gets statistics: after an import, after the demo, periodically, and on
PostgreSQL while an import makes the tables outgrow them."""

import pytest
from django.db import connection

from kartoteka.core import bulkload, database, schedule, tasks
from kartoteka.transfer import services as transfer_services
from tests.factories import make_contact
from tests.transfer.helpers import run, write

pytestmark = pytest.mark.django_db


def _analysed_tables() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if not cursor.fetchone():
            return set()
        cursor.execute("SELECT DISTINCT tbl FROM sqlite_stat1")
        return {table for (table,) in cursor.fetchall()}


sqlite_only = pytest.mark.skipif(
    "connection.vendor != 'sqlite'", reason="SQLite's statistics tables"
)
postgresql_only = pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="PostgreSQL's statistics in pg_class"
)


def _estimated_rows(table: str) -> float:
    """PostgreSQL's estimate of the table's rows: -1 until it is first analysed."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
        return cursor.fetchone()[0]


@sqlite_only
def test_refreshing_statistics_analyses_the_contact_tables(admin):
    make_contact(admin, company="Acme")
    database.refresh_planner_statistics()
    assert {"contacts_contact", "contacts_company"} <= _analysed_tables()


@sqlite_only
def test_sqlite_connections_read_without_a_memory_map(admin):
    """Mapped reads failed (SQLITE_IOERR_SHORT_READ, "malformed" pages) with processes opening
    and closing connections side by side; see settings.py."""
    make_contact(admin)
    assert connection.connection.execute("PRAGMA mmap_size").fetchone()[0] == 0
    assert connection.connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert connection.connection.execute("PRAGMA busy_timeout").fetchone()[0] == 10000


@sqlite_only
def test_an_import_refreshes_the_statistics_when_it_wrote_many_contacts(
    admin, tmp_path, monkeypatch
):
    rows = "".join(f"p{n}@example.com,P{n}\n" for n in range(3))
    path = write(tmp_path, "people.csv", "Email,First name\n" + rows)
    monkeypatch.setattr(bulkload, "STATISTICS_AFTER_ROWS", 4)
    run(admin, path)
    assert "contacts_contact" not in _analysed_tables()  # 3 rows: not worth it
    monkeypatch.setattr(bulkload, "STATISTICS_AFTER_ROWS", 3)
    run(
        admin,
        write(tmp_path, "more.csv", "Email\n" + "".join(f"q{n}@example.com\n" for n in range(3))),
    )
    assert "contacts_contact" in _analysed_tables()


def test_the_worker_clock_refreshes_them_periodically():
    jobs = {job.name: job for job in schedule.registered()}
    assert jobs["core.planner_statistics"].task is tasks.refresh_planner_statistics
    tasks.refresh_planner_statistics.call()  # runs on either database


@postgresql_only
def test_refreshing_statistics_analyses_the_tables_named_on_postgresql(admin):
    for index in range(3):
        make_contact(admin, email=f"p{index}@example.com", company="Acme")
    database.refresh_planner_statistics(["contacts_contact"])
    assert _estimated_rows("contacts_contact") == 3


@postgresql_only
def test_after_a_large_import_the_foreign_key_check_looks_up_the_primary_key(
    admin, tmp_path, monkeypatch
):
    """Planned for an empty table, the check of a new timeline row's contact walked the whole
    (source, id) index of the contacts: an import into a new database slowed with every row.
    The import refreshes the statistics as it goes, and the check finds the contact by id."""
    monkeypatch.setattr(transfer_services, "BATCH_SIZE", 100)
    monkeypatch.setattr(bulkload, "STATISTICS_AFTER_ROWS", 100)
    rows = "".join(f"p{n}@example.com\n" for n in range(600))
    run(admin, write(tmp_path, "people.csv", "Email\n" + rows))
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN SELECT 1 FROM ONLY contacts_contact WHERE id = 1 FOR KEY SHARE")
        plan = "\n".join(line for (line,) in cursor.fetchall())
    assert "contacts_contact_pkey" in plan


def test_an_import_refreshes_the_statistics_each_time_the_contacts_double_on_postgresql(
    admin, tmp_path, monkeypatch
):
    make_contact(admin, email="already@example.com")
    refreshed = []  # the contacts there were at each refresh during the import
    monkeypatch.setattr(transfer_services, "BATCH_SIZE", 2)
    monkeypatch.setattr(bulkload, "STATISTICS_AFTER_ROWS", 3)
    monkeypatch.setattr(
        bulkload.database,
        "refresh_planner_statistics",
        lambda tables=(): refreshed.append((len(tables) > 0, _count_contacts())),
    )
    rows = "".join(f"p{n}@example.com\n" for n in range(14))
    run(admin, write(tmp_path, "people.csv", "Email\n" + rows))
    if connection.vendor == "postgresql":
        # 1 + 2 rows a batch: 3 ≥ 3, then at least twice that (7 ≥ 6, 15 ≥ 14), then the end.
        assert refreshed == [(True, 3), (True, 7), (True, 15), (False, 15)]
    else:
        assert refreshed == [(False, 15)]  # SQLite: once, at the end


def _count_contacts() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM contacts_contact")
        return cursor.fetchone()[0]
