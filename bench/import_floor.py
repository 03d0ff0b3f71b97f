"""Benchmark: the floor of a large import on SQLite — how fast SQLite alone can write what an
import writes for each new contact, with no Python work between the statements.

It imports bench/import.py's generated N-row CSV once (default 1,000,000) into a database, then
writes the same rows again into a fresh, empty database with the same schema: batch by batch
(2,000 contacts, four batches to a transaction), with the import's connection settings
(core.bulkload.SQLITE_PRAGMAS), a thread checkpointing the write-ahead log, the
same multi-row INSERT statements and the same INSERT … SELECT for the FTS5 search index. Each
batch's rows are read from the first database before its clock starts, so only the writing is
timed: SQLite's b-trees, indexes, foreign key checks and commits.

What an import does besides (parsing, validation, finding the e-mails already taken, companies
and tags, the journal, progress) is left out, so the rows per second it reports are an upper
bound for any import that writes this data model on this machine. The time of each table shows
what a narrower data model would save. Writes bench/results/import_floor.json.

    .venv/bin/python bench/import_floor.py [N] [--source DB]
"""

import argparse
import importlib
import json
import os
import platform
import shutil
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

BATCH_ROWS = 2000
BATCHES_PER_COMMIT = 4
PARAMETERS_PER_STATEMENT = 4000
# The tables an import writes for its new contacts, in the order the writer fills them, each
# with the column naming its contact. The search index and the recency ladder, which the
# import fills by INSERT … SELECT with their row triggers suspended, are filled the same way.
CONTACT_TABLES = [
    ("contacts_contact", "id"),
    ("activity_activity", "contact_id"),
    ("segments_activityrecency", "contact_id"),
    ("contacts_contactemail", "contact_id"),
    ("contacts_contactphone", "contact_id"),
    ("contacts_contactowner", "contact_id"),
    ("contacts_contacttag", "contact_id"),
]
SEARCH_INDEX = "segments_contact_search"
# What each data model writes per new contact: its tables (the contact row always), whether the
# contact row keeps its secondary indexes, and whether the search index is filled.
MODELS = {
    # Everything an import writes today.
    "full": ([table for table, _key in CONTACT_TABLES], True, True),
    # The contact row without its secondary indexes (the list's sort orders, segment filters),
    # its e-mail (the upsert's key) and the trigram search index: no timeline, no phones, tags
    # or owners.
    "search": (["contacts_contact", "contacts_contactemail"], False, True),
    # The least an import that upserts contacts by e-mail writes.
    "bare": (["contacts_contact", "contacts_contactemail"], False, False),
}
SUSPENDED_TRIGGERS = ["segments_contact_search_insert", "segments_activityrecency_insert"]
# Written once before the clock starts: rows that new contacts point at.
SHARED_TABLES = ["accounts_user", "contacts_company", "contacts_tag"]


def _in_child(target, *args) -> None:
    """Run target(*args) in a forked process, so Django and its connection stay out of this one."""
    pid = os.fork()
    if pid == 0:
        status = 1
        try:
            target(*args)
            status = 0
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(status)
    _, status = os.waitpid(pid, 0)
    if status:
        raise SystemExit(f"{target.__name__} failed")


def _migrate(database: Path) -> None:
    """Set up Django for the SQLite file `database` and create its tables."""
    os.environ["KARTOTEKA_DATA_DIR"] = str(database.parent)
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "kartoteka.settings"
    os.environ["KARTOTEKA_TASKS"] = "immediate"
    import django
    from django.core.management import call_command
    from django.db import connection

    django.setup()
    call_command("migrate", verbosity=0)
    # The last connection to close copies the write-ahead log into the file, which may be copied.
    connection.close()


def _import(database: Path, csv_path: Path) -> None:
    _migrate(database)
    from kartoteka.accounts.models import User
    from kartoteka.transfer import services

    admin = User.objects.create(username="bench", role="admin")
    imp = services.upload_import(admin, upload=csv_path, file_name=csv_path.name)
    services.run_import(imp.pk)


def _django_settings_only() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kartoteka.settings")
    import django

    django.setup()


class _Checkpointer(threading.Thread):
    """A passive checkpoint every half second from a connection of its own, as an import does."""

    def __init__(self, database: Path):
        super().__init__(daemon=True)
        self.database, self.stopped = database, threading.Event()

    def run(self) -> None:
        db = sqlite3.connect(self.database, check_same_thread=False)
        while not self.stopped.wait(0.5):
            db.execute("PRAGMA wal_checkpoint(PASSIVE)")
        db.close()


def _columns(db: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in db.execute(f"PRAGMA src.table_info({table})")]


def _insert(db: sqlite3.Connection, table: str, columns: list[str], rows: list[tuple]) -> None:
    """Multi-row INSERTs of one size and a remainder, as contacts.bulk._insert_rows writes."""
    if not rows:
        return
    width = len(columns)
    per_statement = max(1, PARAMETERS_PER_STATEMENT // width)
    one_row = f"({', '.join(['?'] * width)})"
    insert = f"INSERT INTO main.{table} ({', '.join(columns)}) VALUES "
    filled = len(rows) - len(rows) % per_statement
    many = insert + ", ".join([one_row] * per_statement)
    for start in range(0, filled, per_statement):
        db.execute(many, [value for row in rows[start : start + per_statement] for value in row])
    if filled < len(rows):
        db.executemany(insert + one_row, rows[filled:])


def write_again(source: Path, target: Path, pragmas: dict, model: str) -> dict:
    """Write the contacts of `source` into the empty `target` as MODELS[model] has them; time
    each table."""
    names, keep_indexes, search = MODELS[model]
    tables = [(table, key) for table, key in CONTACT_TABLES if table in names]
    db = sqlite3.connect(target, isolation_level=None)
    if not keep_indexes:
        for (index,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index'"
            " AND tbl_name = 'contacts_contact' AND sql IS NOT NULL"
        ).fetchall():
            db.execute(f"DROP INDEX {index}")
    for setting in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
        db.execute(f"PRAGMA {setting}")
    for name, value in pragmas.items():
        db.execute(f"PRAGMA {name} = {int(value)}")
    db.execute(f"ATTACH DATABASE '{source}' AS src")
    for trigger in SUSPENDED_TRIGGERS:
        db.execute(f"DROP TRIGGER IF EXISTS main.{trigger}")
    for table in SHARED_TABLES:
        db.execute(f"INSERT INTO main.{table} SELECT * FROM src.{table}")
    columns = {table: _columns(db, table) for table, _key in tables}
    last = db.execute("SELECT max(id) FROM src.contacts_contact").fetchone()[0]
    timed = [table for table, _key in tables] + ([SEARCH_INDEX] if search else [])
    seconds = dict.fromkeys([*timed, "commits"], 0.0)
    rows_written = dict.fromkeys(timed, 0)
    checkpointer = _Checkpointer(target)
    checkpointer.start()
    clock = time.perf_counter
    for number, first in enumerate(range(1, last + 1, BATCH_ROWS)):
        batch_last = first + BATCH_ROWS - 1
        batch = {
            table: db.execute(
                f"SELECT {', '.join(columns[table])} FROM src.{table}"
                f" WHERE {key} BETWEEN ? AND ? ORDER BY rowid",
                [first, batch_last],
            ).fetchall()
            for table, key in tables
        }
        if number % BATCHES_PER_COMMIT == 0:
            db.execute("BEGIN")
        for table, _key in tables:
            started = clock()
            _insert(db, table, columns[table], batch[table])
            seconds[table] += clock() - started
            rows_written[table] += len(batch[table])
            if table == "contacts_contact" and search:
                started = clock()
                db.execute(
                    f"INSERT INTO main.{SEARCH_INDEX} (rowid, search_text)"
                    " SELECT id, search_text FROM main.contacts_contact WHERE id BETWEEN ? AND ?",
                    [first, batch_last],
                )
                seconds[SEARCH_INDEX] += clock() - started
                rows_written[SEARCH_INDEX] += len(batch[table])
        if number % BATCHES_PER_COMMIT == BATCHES_PER_COMMIT - 1 or batch_last >= last:
            started = clock()
            db.execute("COMMIT")
            seconds["commits"] += clock() - started
    checkpointer.stopped.set()
    checkpointer.join()
    started = clock()
    db.execute("PRAGMA main.wal_checkpoint(PASSIVE)")
    seconds["commits"] += clock() - started
    contacts = rows_written["contacts_contact"]
    db.close()
    total = sum(seconds.values())
    return {
        "contacts": contacts,
        "seconds": round(total, 2),
        "rows_per_second": round(contacts / total),
        "microseconds_per_contact": {
            name: round(spent / contacts * 1e6, 1) for name, spent in seconds.items()
        },
        "rows_written": rows_written,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", nargs="?", type=int, default=1_000_000)
    parser.add_argument(
        "--source",
        type=Path,
        help="the imported database to keep and reuse: written by an import first if missing",
    )
    parser.add_argument("--runs", type=int, default=1, help="the models alternate within a run")
    parser.add_argument("--models", nargs="+", choices=list(MODELS), default=list(MODELS))
    args = parser.parse_args()
    generator = importlib.import_module("import")  # bench/import.py, beside this file
    csv_path = ROOT / "bench" / "data" / f"import-{args.rows}.csv"
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    if not csv_path.exists():
        generator.generate(csv_path, args.rows)
    work = Path(tempfile.mkdtemp(prefix="kt-bench-floor-"))
    runs: dict[str, list[dict]] = {model: [] for model in args.models}
    try:
        source = args.source or work / "imported" / "bench.sqlite3"
        if not source.exists():
            source.parent.mkdir(parents=True, exist_ok=True)
            _in_child(_import, source.resolve(), csv_path)
        # An empty database with the schema, copied for every model: Django is set up in the
        # children only, each for the database it names.
        empty = work / "empty" / "bench.sqlite3"
        empty.parent.mkdir()
        _in_child(_migrate, empty)
        os.environ["KARTOTEKA_DATA_DIR"] = str(work)
        _django_settings_only()
        from kartoteka.core.bulkload import SQLITE_PRAGMAS

        for _ in range(args.runs):
            for model in args.models:
                target = work / model / "bench.sqlite3"
                target.parent.mkdir()
                shutil.copyfile(empty, target)
                load_before = os.getloadavg()[0]
                result = write_again(source, target, SQLITE_PRAGMAS, model)
                result["load_average_at_start"] = round(load_before, 1)
                result["load_average_at_end"] = round(os.getloadavg()[0], 1)
                runs[model].append(result)
                shutil.rmtree(target.parent)
                print(model, json.dumps(result))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    summary = {
        model: {
            "median_rows_per_second": statistics.median(r["rows_per_second"] for r in results),
            "runs": results,
        }
        for model, results in runs.items()
    }
    out = ROOT / "bench" / "results" / "import_floor.json"
    kept = json.loads(out.read_text()) if out.exists() else {}
    by_rows = kept.get("by_rows", {})
    by_rows[str(args.rows)] = {
        "models": summary,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
    }
    out.write_text(json.dumps({"benchmark": "import_floor", "by_rows": by_rows}, indent=2) + "\n")
    print(json.dumps({m: s["median_rows_per_second"] for m, s in summary.items()}))


if __name__ == "__main__":
    main()
