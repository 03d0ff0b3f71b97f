"""Upkeep of the database itself."""

import time
from collections.abc import Sequence

from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Exists, QuerySet, Subquery
from django.db.models.lookups import Exact, In
from django.db.models.sql.query import Query
from django.db.models.sql.where import AND, WhereNode


def execute_prepared(sql: str, params: Sequence[object]) -> None:
    """PostgreSQL: run `sql` (no result wanted) as a statement the server parsed and planned
    once per connection, for a statement run far more often than any other (the collector's
    INSERT, once per page view of every tracked site).

    Django binds the parameters into the text on the client, so the server parses and plans
    every statement afresh, and psycopg prepares nothing on Django's connections
    (`prepare_threshold` None). Here the statement goes through a psycopg cursor that binds on
    the server, on the same connection (so in its transaction, if one is open), with errors
    translated as Django's own cursor translates them. Only this cursor's statements are
    prepared: the connection's threshold is moved off None only to let it, and Django's cursors
    never prepare. psycopg forgets, and deallocates on the server, what it prepared whenever
    the connection rolls back. Skips Django's cursor wrapper too: no query is logged (DEBUG,
    CaptureQueriesContext) and no execute wrapper sees it.

    Behind a pooler in transaction mode (PgBouncer), where a prepared statement may be gone on
    the next transaction's server connection, the database's settings say so as Django's own
    docs ask for server-side cursors (`DISABLE_SERVER_SIDE_CURSORS`): then nothing is
    prepared."""
    import psycopg

    connection.ensure_connection()
    raw = connection.connection
    if raw.prepare_threshold is None:
        raw.prepare_threshold = _ONLY_WHEN_ASKED
    connection.validate_no_broken_transaction()
    with connection.wrap_database_errors, psycopg.Cursor(raw) as cursor:
        cursor.execute(
            sql, params, prepare=not connection.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS")
        )


# psycopg prepares a statement after this many runs unless told: never, in practice.
_ONLY_WHEN_ASKED = 2**62


def refresh_planner_statistics(tables: Sequence[str] = ()) -> None:
    """Give the query planner fresh table and index statistics (ANALYZE) of `tables`, or of
    every table.

    PostgreSQL samples each table (a fixed number of rows, so it stays quick however large the
    table). Its autovacuum does the same, but once a minute at most and not at all where it
    is turned off, and until then a table that was empty when last analysed keeps the plans of
    an empty table: the foreign key checks of an import into a new database walked the whole
    (source, id) index of the contacts for every new row instead of looking up the primary key,
    so the import slowed with every row.

    SQLite has none until ANALYZE runs, and without them it guesses: a contact list sorted by
    company then sorts every contact instead of walking the companies in name order.
    The whole of each index is read: statistics sampled from part of each index
    (`PRAGMA analysis_limit`) led the planner to much slower plans for combined filters
    (docs/benchmarks.md). Table by table, each in its own short write transaction, so that
    writers wait a table's analysis at most.
    """
    quote = connection.ops.quote_name
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {', '.join(quote(table) for table in tables)}")
        return
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA analysis_limit=0")
        if not tables:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            tables = [name for (name,) in cursor.fetchall() if not name.startswith("sqlite_")]
        for table in tables:
            cursor.execute(f"ANALYZE {quote(table)}")


# How long the request that erased waits for SQLite's readers to let go of the write-ahead log
# before it leaves the checkpoint to a background task, and how many seconds that task tries.
PURGE_WAIT_MS = 2000
PURGE_ATTEMPTS = 30


def use_secure_delete(sender: object, connection: BaseDatabaseWrapper, **kwargs: object) -> None:
    """Receiver of connection_created: SQLite overwrites what it deletes with zeros (row, index
    entry and freed page alike), so a deleted contact cannot be read back from the file's free
    space. PostgreSQL has no such setting; it gets a VACUUM after an erasure instead."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA secure_delete = ON")


def purge_deleted_rows(tables: Sequence[str]) -> bool:
    """After personal data was deleted or overwritten and committed: clear the copies the
    database still keeps of it. Runs outside a transaction (else it does nothing, returns False).

    SQLite keeps the pages as they were before, and after, in its write-ahead log until a
    checkpoint copies them into the database file; a TRUNCATE checkpoint does that now and
    empties the log file. If a reader keeps the log for longer than PURGE_WAIT_MS, a background
    task tries again. PostgreSQL keeps the dead row versions in the tables
    and indexes until VACUUM removes them, which a background task does (VACUUM cannot run in a
    transaction, and takes a while on a large table). Its dead rows' bytes stay in the tables'
    free space until reused, and in its own write-ahead log until recycled: see the README.
    """
    if connection.in_atomic_block:
        return False
    if connection.vendor == "sqlite":
        if _checkpoint_truncate():
            return True
    elif connection.vendor != "postgresql":
        return False
    from kartoteka.core.tasks import purge_deleted_rows_task

    purge_deleted_rows_task.enqueue(list(tables))
    return False


def _checkpoint_truncate(wait_ms: int = PURGE_WAIT_MS) -> bool:
    """Copy the whole log into the database file and empty it; False if a reader kept it."""
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        usual = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA busy_timeout = {int(wait_ms)}")
        try:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            busy, _log, _copied = cursor.fetchone()
        finally:
            cursor.execute(f"PRAGMA busy_timeout = {int(usual)}")
    return not busy


def finish_purge(tables: Sequence[str]) -> None:
    """The background half of purge_deleted_rows."""
    if connection.vendor == "postgresql":
        quote = connection.ops.quote_name
        existing = set(connection.introspection.table_names())
        chosen = [table for table in tables if table in existing]
        if chosen:
            with connection.cursor() as cursor:
                cursor.execute(f"VACUUM {', '.join(quote(table) for table in chosen)}")
        return
    if connection.vendor == "sqlite":
        for _attempt in range(PURGE_ATTEMPTS):
            if _checkpoint_truncate():
                return
            time.sleep(1)


def on_vendor(vendor: str, statement: str):
    """A migration's RunPython function that runs `statement` on one database vendor only (an
    index that the other does not need, or cannot build)."""

    def run(apps, schema_editor):
        if schema_editor.connection.vendor == vendor:
            schema_editor.execute(statement)

    return run


class ExistsPerRow(Exists):
    """EXISTS that PostgreSQL keeps as a test of each outer row: it pulls up no sublink whose
    query has an OFFSET, so it cannot turn it into a semi-join that reads every row of the
    subquery's side (SQLite tests EXISTS per row anyway). For a query whose rows another
    condition bounds to a few thousand, each probing an index of the subquery's table."""

    template = "EXISTS(%(subquery)s OFFSET 0)"


def tested_per_row(rows: QuerySet) -> QuerySet:
    """PostgreSQL: `rows` with each of its `id IN (SELECT contact_id FROM …)` conditions (ANDed
    at the top, on an unsliced, ungrouped query of one column) written as a test of each row:
    `EXISTS (SELECT … WHERE contact_id = id OFFSET 0)`.

    For a query that reads a bounded set of rows by another condition (the contact list's
    window of its newest rows): PostgreSQL turns `IN` and `EXISTS` alike into a semi-join and
    starts from the subquery's side, every contact with an open deal for one page, where
    probing the subquery's index for each row of the window is far cheaper. Elsewhere, and on
    SQLite (which tests such a subquery per row already), `rows` is returned as it is."""
    if connection.vendor != "postgresql":
        return rows
    rows = rows.all()
    _rewrite_in_place(rows.query.where)
    return rows


def _rewrite_in_place(where: WhereNode) -> None:
    if where.connector != AND or where.negated:
        return
    for index, child in enumerate(where.children):
        if isinstance(child, WhereNode):
            _rewrite_in_place(child)
        elif (subquery := _pk_in_subquery(child)) is not None:
            subquery = subquery.clone()
            subquery.where.add(Exact(subquery.select[0], child.lhs), AND)
            where.children[index] = ExistsPerRow(subquery)


def _pk_in_subquery(lookup: object) -> Query | None:
    """The query of an `id IN (subquery)` lookup that can be a test of each row, else None."""
    if not isinstance(lookup, In):
        return None
    subquery = lookup.rhs.query if isinstance(lookup.rhs, Subquery) else lookup.rhs
    if not isinstance(subquery, Query):
        return None
    target = getattr(lookup.lhs, "target", None)
    suitable = (
        getattr(target, "primary_key", False)
        and len(subquery.select) == 1
        and not subquery.is_sliced
        and not subquery.distinct
        and not subquery.group_by
        and not subquery.combinator
        and not subquery.annotation_select
    )
    return subquery if suitable else None
