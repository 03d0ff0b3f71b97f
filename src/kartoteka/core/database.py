"""Upkeep of the database itself."""

from django.db import connection

# SQLite's ANALYZE samples about this many entries per index instead of reading them all: at a
# million contacts every table takes about 0.6 s instead of 7 s, and choosing between indexes
# needs only their rough sizes and spreads.
SQLITE_ANALYSIS_LIMIT = 1000


def refresh_planner_statistics() -> None:
    """Give SQLite's query planner fresh table and index statistics (ANALYZE).

    SQLite has none until ANALYZE runs, and without them it guesses: a contact list sorted by
    company then sorts every contact instead of walking the companies in name order. PostgreSQL
    keeps its own statistics (autovacuum), so nothing is done there.
    """
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA analysis_limit={SQLITE_ANALYSIS_LIMIT}")
        cursor.execute("ANALYZE")
