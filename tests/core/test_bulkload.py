"""A bulk load tunes the connection while it runs and gives it back as it was, commits as many
batches together as its database is best served by, refreshes the planner's statistics as the
tables grow, and prepares batches in helper processes in order."""

import os

import pytest
from django.db import connection

from kartoteka.core import bulkload
from tests.factories import make_contact

sqlite_only = pytest.mark.skipif("connection.vendor != 'sqlite'", reason="SQLite's settings")
postgresql_only = pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="PostgreSQL's statistics while a table grows"
)


class Failed(Exception):
    pass


def _setting(name: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA {name}")
        return cursor.fetchone()[0]


@sqlite_only
@pytest.mark.django_db
def test_a_load_tunes_sqlite_and_gives_the_connection_its_settings_back_when_it_fails():
    before = {name: _setting(name) for name in bulkload.SQLITE_PRAGMAS}
    assert before != bulkload.SQLITE_PRAGMAS
    during = {}
    with pytest.raises(Failed), bulkload.bulk_load(["contacts_contact"]):
        during = {name: _setting(name) for name in bulkload.SQLITE_PRAGMAS}
        raise Failed
    assert during == bulkload.SQLITE_PRAGMAS
    assert {name: _setting(name) for name in bulkload.SQLITE_PRAGMAS} == before


@sqlite_only
@pytest.mark.django_db
def test_the_checkpointer_runs_during_a_load_on_sqlite_and_stops_with_it():
    with bulkload.bulk_load(["contacts_contact"]) as load:
        checkpointer = load.checkpointer
        assert checkpointer is not None and checkpointer.running
    assert not checkpointer.running
    assert checkpointer.runs >= 1  # the last one, as the load ends


@pytest.mark.django_db
def test_sqlite_commits_several_batches_together_and_postgresql_each_by_itself(monkeypatch):
    monkeypatch.setattr(bulkload, "SQLITE_BATCHES_PER_COMMIT", 3)
    with bulkload.bulk_load(["contacts_contact"]) as load:
        groups = [list(group) for group in load.transactions(range(1, 8))]
    if connection.vendor == "sqlite":
        assert groups == [[1, 2, 3], [4, 5, 6], [7]]
    else:
        assert groups == [[n] for n in range(1, 8)]


@pytest.mark.django_db
def test_a_growing_table_gets_statistics_each_time_it_doubles_on_postgresql(admin, monkeypatch):
    make_contact(admin, email="already@example.com")
    make_contact(admin, email="also@example.com")
    refreshed = []
    monkeypatch.setattr(bulkload, "STATISTICS_AFTER_ROWS", 3)
    monkeypatch.setattr(
        bulkload.database, "refresh_planner_statistics", lambda tables=(): refreshed.append(tables)
    )
    tables = ["contacts_contact", "contacts_contactemail"]
    grown = []
    with bulkload.bulk_load(tables) as load:
        for rows in (1, 1, 1, 2, 1, 4):
            load.added(rows)
            grown.append(len(refreshed))
    if connection.vendor == "postgresql":
        # 2 contacts at the start: refreshed at twice that (4), then at twice that (8).
        assert grown == [0, 1, 1, 1, 2, 2]
        assert all(list(chosen) == tables for chosen in refreshed)
    else:
        assert refreshed == []  # SQLite: once, after the load


@pytest.mark.parametrize(("rows", "refreshes"), [(2, 0), (3, 1)])
def test_a_load_refreshes_every_table_statistics_after_it_if_it_was_large(
    monkeypatch, rows, refreshes
):
    refreshed = []
    monkeypatch.setattr(bulkload, "STATISTICS_AFTER_ROWS", 3)
    monkeypatch.setattr(
        bulkload.database, "refresh_planner_statistics", lambda tables=(): refreshed.append(tables)
    )
    bulkload.refresh_statistics_after(rows)
    assert refreshed == [()] * refreshes


_offset = 0


def _remember_offset(offset: int) -> None:
    global _offset
    _offset = offset


def _square_in_helper(number: int) -> tuple[int, int]:
    return number * number + _offset, os.getpid()


def test_helpers_prepare_every_item_in_order_in_other_processes():
    prepared = list(
        bulkload.prepared_in_helpers(
            _square_in_helper, range(50), initializer=_remember_offset, initargs=(1,)
        )
    )
    assert [(item, square) for item, (square, _pid) in prepared] == [
        (n, n * n + 1) for n in range(50)
    ]
    assert os.getpid() not in {pid for _item, (_square, pid) in prepared}


def test_helpers_are_worthwhile_from_a_number_of_rows(monkeypatch):
    monkeypatch.setattr(bulkload.os, "cpu_count", lambda: 2)
    assert not bulkload.helpers_worthwhile(bulkload.HELPERS_FROM_ROWS - 1)
    assert bulkload.helpers_worthwhile(bulkload.HELPERS_FROM_ROWS)
    monkeypatch.setattr(bulkload.os, "cpu_count", lambda: 1)
    assert not bulkload.helpers_worthwhile(bulkload.HELPERS_FROM_ROWS)
