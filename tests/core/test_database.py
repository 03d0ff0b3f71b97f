"""SQLite's planner gets statistics: after an import, after the demo, and periodically."""

import pytest
from django.db import connection

from kartoteka.core import database, schedule, tasks
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
    "connection.vendor != 'sqlite'", reason="PostgreSQL's autovacuum keeps its statistics"
)


@sqlite_only
def test_refreshing_statistics_analyses_the_contact_tables(admin):
    make_contact(admin, company="Acme")
    database.refresh_planner_statistics()
    assert {"contacts_contact", "contacts_company"} <= _analysed_tables()


@sqlite_only
def test_statistics_are_read_past_the_memory_map_which_comes_back_after(admin):
    make_contact(admin)

    def map_size() -> int:
        return connection.connection.execute("PRAGMA mmap_size").fetchone()[0]

    before = map_size()
    during = []

    def watch(execute, sql, params, many, context):
        if sql.startswith("ANALYZE"):
            during.append(map_size())
        return execute(sql, params, many, context)

    with connection.execute_wrapper(watch):
        database.refresh_planner_statistics()
    assert before > 0
    assert during and set(during) == {0}
    assert map_size() == before


@sqlite_only
def test_an_import_refreshes_the_statistics_when_it_wrote_many_contacts(
    admin, tmp_path, monkeypatch
):
    rows = "".join(f"p{n}@example.com,P{n}\n" for n in range(3))
    path = write(tmp_path, "people.csv", "Email,First name\n" + rows)
    monkeypatch.setattr(transfer_services, "STATISTICS_AFTER_ROWS", 4)
    run(admin, path)
    assert "contacts_contact" not in _analysed_tables()  # 3 rows: not worth it
    monkeypatch.setattr(transfer_services, "STATISTICS_AFTER_ROWS", 3)
    run(
        admin,
        write(tmp_path, "more.csv", "Email\n" + "".join(f"q{n}@example.com\n" for n in range(3))),
    )
    assert "contacts_contact" in _analysed_tables()


def test_the_worker_clock_refreshes_them_periodically():
    jobs = {job.name: job for job in schedule.registered()}
    assert jobs["core.planner_statistics"].task is tasks.refresh_planner_statistics
    tasks.refresh_planner_statistics.call()  # runs on either database
