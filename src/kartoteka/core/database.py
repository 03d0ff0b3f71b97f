"""Upkeep of the database itself."""

from collections.abc import Sequence

from django.db import connection


def refresh_planner_statistics(tables: Sequence[str] = ()) -> None:
    """Give the query planner fresh table and index statistics (ANALYZE) of `tables`, or of
    every table.

    PostgreSQL samples each table (30,000 rows at most, well under a second at a million
    contacts). Its autovacuum does the same, but once a minute at most and not at all where it
    is turned off, and until then a table that was empty when last analysed keeps the plans of
    an empty table: the foreign key checks of an import into a new database walked the whole
    (source, id) index of the contacts for every new row (287 rows/s at 20,000 rows) instead of
    looking up the primary key.

    SQLite has none until ANALYZE runs, and without them it guesses: a contact list sorted by
    company then sorts every contact instead of walking the companies in name order.
    The whole of each index is read (about 8 s at a million contacts, the longest table 3 s):
    statistics sampled from 1,000 entries per index (`PRAGMA analysis_limit`) were measured to
    lead the planner to a plan four times slower for "vip and not from Spain, or score ≥ 95
    with the newsletter" (806 against 215 ms). Table by table, each in its own short write
    transaction, so that writers wait seconds at most.

    The pages are read without the connection's memory map: read through it, the whole file
    stays mapped into this process until the connection closes (a worker's resident memory
    grew by the database's size, 1.9 GB after a million-row import).
    """
    quote = connection.ops.quote_name
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {', '.join(quote(table) for table in tables)}")
        return
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA mmap_size")
        mapped = cursor.fetchone()[0]
        cursor.execute("PRAGMA mmap_size=0")
        try:
            cursor.execute("PRAGMA analysis_limit=0")
            if not tables:
                cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                tables = [name for (name,) in cursor.fetchall() if not name.startswith("sqlite_")]
            for table in tables:
                cursor.execute(f"ANALYZE {quote(table)}")
        finally:
            cursor.execute(f"PRAGMA mmap_size={int(mapped)}")
