"""The database-specific tuning of a bulk load, in one place: how the connection is set up while
many rows go in, how often to commit, when the planner's statistics are refreshed, and the
helper processes that prepare rows while the connection writes. The statements themselves are
core.bulkwrite's.

A bulk writer (an import, the demo, a merge of many contacts) does:

    with bulk_load(tables) as load:
        for group in load.transactions(batches):
            with transaction.atomic():
                for batch in group:
                    ...write the batch with core.bulkwrite...
            load.added(new_rows_of_the_group)
    refresh_statistics_after(rows_written)

and, where validating a batch costs more than writing it, reads its batches from
`prepared_in_helpers(...)` before entering `bulk_load`.
"""

import concurrent.futures
import contextlib
import itertools
import logging
import os
import sqlite3
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import DatabaseError, connection, connections, transaction

from kartoteka.core import database, processes

logger = logging.getLogger(__name__)

Item = TypeVar("Item")
Result = TypeVar("Result")

# SQLite settings of the connection while it loads (restored after):
# - a page cache large enough for the pages of the indexes that new rows land in at random
#   places (e-mails, names, phone numbers), within the memory budget of an import;
# - the writer itself checkpoints the write-ahead log only if the log grows very large: the
#   checkpointer thread below does it instead.
SQLITE_PRAGMAS = {"cache_size": -176 * 1024, "wal_autocheckpoint": 100_000}
# How often the checkpointer thread copies SQLite's write-ahead log into the database file,
# with a connection of its own and a passive checkpoint (it never waits for the writer), so
# that the copying and its fsyncs overlap with the writing instead of holding up commits.
CHECKPOINT_EVERY_SECONDS = 0.5
# Batches written in one transaction on SQLite: new rows land on pages of their own in the
# indexes filled at random places, and a commit writes every page it changed to the
# write-ahead log, so a page that several batches change is written once per commit instead of
# once per batch. PostgreSQL logs rows, not pages, and commits every batch by itself.
SQLITE_BATCHES_PER_COMMIT = 4
# A load that added at least this many rows refreshes the planner's statistics: at its end on
# both databases, and on PostgreSQL also while it runs, each time the growing table doubled.
STATISTICS_AFTER_ROWS = 1_000
# Batches from at least this many rows are prepared by helper processes: below it, starting
# them costs more than they save.
HELPERS_FROM_ROWS = 20_000


@dataclass
class BulkLoad:
    """A bulk load under way on the default connection; see bulk_load."""

    tables: Sequence[str]
    batches_per_commit: int
    checkpointer: "Checkpointer | None" = None
    refreshes_while_growing: bool = False
    rows_then: int = 0
    rows_added: int = 0
    saved_settings: dict[str, Any] = field(default_factory=dict)

    def transactions(self, batches: Iterable[Item]) -> Iterator[Iterator[Item]]:
        """The batches in groups of batches_per_commit, a group to a transaction. The first
        batch of a group is read before the caller opens its transaction, the others inside
        it."""
        pending = iter(batches)
        for opening in pending:
            yield itertools.chain([opening], itertools.islice(pending, self.batches_per_commit - 1))

    def added(self, rows: int) -> None:
        """Count `rows` new rows of the growing table (the first of `tables`), committed. On
        PostgreSQL, refresh the statistics of `tables` each time that table has doubled since
        the load started or last refreshed them (the first time after STATISTICS_AFTER_ROWS):
        plans made while a table was small, such as those of a new database, walk whole
        indexes once it is large. SQLite's planner looks rows up by id without statistics and
        reads whole tables to make them, so it gets them once, at the end
        (refresh_statistics_after)."""
        self.rows_added += rows
        grown = self.rows_then + self.rows_added
        if self.refreshes_while_growing and grown >= max(STATISTICS_AFTER_ROWS, 2 * self.rows_then):
            database.refresh_planner_statistics(self.tables)
            self.rows_then, self.rows_added = grown, 0


@contextlib.contextmanager
def bulk_load(tables: Sequence[str]) -> Iterator[BulkLoad]:
    """Tune the default connection for loading many rows into `tables` (the growing one
    first), and restore it on leaving, however the block ends.

    On SQLite: SQLITE_PRAGMAS for the connection, a checkpointer thread for the write-ahead log
    (see Checkpointer), and SQLITE_BATCHES_PER_COMMIT batches to a transaction. On PostgreSQL:
    a batch to a transaction and the planner statistics refreshed as the tables grow (see
    BulkLoad.added).

    Enter it after any helper processes are started (prepared_in_helpers starts them when its
    first batch is read): they are forked without the connection and the thread this sets up.
    """
    load = BulkLoad(tables=tables, batches_per_commit=1)
    try:
        if connection.vendor == "sqlite":
            load.saved_settings = _tune_sqlite()
            load.batches_per_commit = SQLITE_BATCHES_PER_COMMIT
            load.checkpointer = Checkpointer.start()
        elif connection.vendor == "postgresql":
            load.refreshes_while_growing = True
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(tables[0])}")
                load.rows_then = cursor.fetchone()[0]
        yield load
    finally:
        if load.checkpointer:
            load.checkpointer.stop()
        _restore_sqlite(load.saved_settings)


def load_batches(
    tables: Sequence[str], batches: Sequence[Item], write: Callable[[Item], int]
) -> int:
    """Write `batches` as one bulk load of `tables` (see bulk_load): a transaction per group of
    batches, the statistics following the tables as they grow. `write` writes one batch and
    says how many rows it added; the rows added in all are returned."""
    total = 0
    with bulk_load(tables) as load:
        for group in load.transactions(batches):
            added = 0
            with transaction.atomic():
                for batch in group:
                    added += write(batch)
            load.added(added)
            total += added
    return total


def refresh_statistics_after(rows: int) -> None:
    """After a load that added or changed `rows` rows, committed: give the planner a fresh
    picture of every table (an empty database may now hold a million contacts) now rather than
    at the worker's next periodic refresh, if the load was large enough to change it."""
    if rows >= STATISTICS_AFTER_ROWS:
        database.refresh_planner_statistics()


def _tune_sqlite() -> dict[str, Any]:
    """Give the connection SQLITE_PRAGMAS; return the values they replaced."""
    saved: dict[str, Any] = {}
    with connection.cursor() as cursor:
        for name, value in SQLITE_PRAGMAS.items():
            cursor.execute(f"PRAGMA {name}")
            current = cursor.fetchone()[0]
            if current != value:
                saved[name] = current
                cursor.execute(f"PRAGMA {name} = {int(value)}")
    return saved


def _restore_sqlite(saved: dict[str, Any]) -> None:
    """Give the connection its own settings back: a worker that runs other tasks next does not
    keep a load-sized page cache."""
    if not saved or connection.vendor != "sqlite" or connection.connection is None:
        return
    # After a failed batch the connection may be unusable: it is then closed, settings and all,
    # and the failure that matters is the one already raised.
    with contextlib.suppress(DatabaseError), connection.cursor() as cursor:
        for name, value in saved.items():
            cursor.execute(f"PRAGMA {name} = {int(value)}")


class Checkpointer:
    """Copies SQLite's write-ahead log into the database file from a thread of its own while a
    load writes (see CHECKPOINT_EVERY_SECONDS), and once more when stopped, so the load leaves
    no more log behind than its own commits would have."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.runs = 0
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bulk-load-checkpoints", daemon=True)

    @classmethod
    def start(cls) -> "Checkpointer | None":
        """A running checkpointer for the default database, or None where it has no use (not
        SQLite, not a file, not in WAL mode)."""
        if connection.vendor != "sqlite":
            return None
        path = str(connection.settings_dict["NAME"])
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            mode = cursor.fetchone()[0]
        if mode != "wal" or path == ":memory:" or path.startswith("file:"):
            return None
        checkpointer = cls(path)
        checkpointer._thread.start()
        return checkpointer

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join()

    def _run(self) -> None:
        db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        try:
            while True:
                stopping = self._stopping.wait(CHECKPOINT_EVERY_SECONDS)
                try:
                    db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    self.runs += 1
                except sqlite3.Error:
                    logger.warning("A checkpoint during a bulk load failed", exc_info=True)
                if stopping:
                    return
        finally:
            db.close()


def helpers_worthwhile(rows: int) -> bool:
    """Whether batches from `rows` rows are worth preparing in helper processes."""
    return rows >= HELPERS_FROM_ROWS and (os.cpu_count() or 1) > 1


def prepared_in_helpers(
    prepare: Callable[[Item], Result],
    items: Iterable[Item],
    *,
    initializer: Callable[..., None] | None = None,
    initargs: tuple[Any, ...] = (),
) -> Iterator[tuple[Item, Result]]:
    """Each item with prepare(item), in order, computed by a pool of helper processes (one per
    core, see core.processes.helper_pool) while the caller writes the items before. Only a few
    items are in flight at a time, so memory stays flat however many there are.

    `prepare` and `initializer` run in the helpers: module-level functions, since they are
    pickled. The pool starts when the first item is read; before forking it closes this
    process's database connections (a forked helper must not share them; the caller's next
    query opens a new one)."""
    connections.close_all()
    workers = os.cpu_count() or 2
    with processes.helper_pool(workers, initializer, initargs) as pool:
        pending: deque = deque()
        for item in items:
            pending.append((item, pool.apply_async(prepare, (item,))))
            if len(pending) > 2 * workers:
                done, result = pending.popleft()
                yield done, result.get()
        while pending:
            done, result = pending.popleft()
            yield done, result.get()


def side_by_side(work: Callable[[Item], Result], batches: Iterable[Item]) -> Iterator[Result]:
    """work(batch) for each batch, the results yielded in the batches' order, where `work`
    commits its batch in a transaction of its own.

    On PostgreSQL, outside a transaction, two or more batches are worked on side by side by
    threads with connections of their own (one per core): what the server does for a batch
    (its COPYs, its triggers, the foreign-key checks of its commit) is most of a bulk write's
    time, and one connection keeps it on one core. Batches must not touch the same rows. If
    one fails, the batches already handed to the other threads may still commit, as later
    batches would not one after the other: callers re-run safely or report the failure.
    SQLite has one writer: there, and inside a transaction, batches run one after the other."""
    workers = os.cpu_count() or 1
    if connection.vendor != "postgresql" or connection.in_atomic_block or workers < 2:
        yield from map(work, batches)
        return

    def on_its_own_connection(batch: Item) -> Result:
        try:
            return work(batch)
        finally:
            connection.close()  # this thread's own, opened by `work`

    with concurrent.futures.ThreadPoolExecutor(workers, "kartoteka-batch") as pool:
        pending: deque = deque()
        try:
            for batch in batches:
                pending.append(pool.submit(on_its_own_connection, batch))
                if len(pending) > workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()
