"""Benchmark: the floor of a large import on PostgreSQL — how fast PostgreSQL alone can write
what an import writes for each new contact, and what each way of loading changes.

It imports bench/import.py's generated N-row CSV once into a source database (default
kt_bench_floor_source, kept for the next run), then writes the same rows again into a fresh
copy of an empty database with the same schema (its indexes, the trigram and tag GIN indexes,
the tag and recency triggers, the foreign keys), batch by batch (2,000 contacts, one
transaction each), with one COPY per table and batch as the import writes them. Each batch's
rows are read from the source as COPY text before its clock starts, so only PostgreSQL's work
is timed: parsing the COPY data, heap and index inserts, triggers, foreign key checks (deferred
to the commit), commits, and the planner statistics the import refreshes each time the contacts
double. Where the server runs on this machine, the CPU time of the server process doing each
step is read from /proc as well, with its time waiting for a CPU: on a busy machine the wall
time moves with the load, the CPU time much less.

Each variant changes one way of loading (see VARIANTS); they alternate within a run and each
gets a new copy of the empty database. What an import does besides (parsing the file,
validation, looking up e-mails, companies and tags, the journal, Python building the rows) is
left out, so the rows per second are an upper bound for an import that loads this data model
that way on this machine. Writes bench/results/import_floor_postgresql.json.

    .venv/bin/python bench/import_floor_postgresql.py [N] [--runs R] [--variants V ...]

Databases are created and dropped on the local server (BENCH_DATABASE_URL names another server;
its database name is ignored): kt_bench_floor_source (kept), kt_bench_floor_empty and
kt_bench_floor_target (dropped at the end).
"""

import argparse
import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
SERVER = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/x").rsplit(
    "/", 1
)[0]
EMPTY, TARGET = "kt_bench_floor_empty", "kt_bench_floor_target"

BATCH_ROWS = 2000
STATISTICS_AFTER_ROWS = 1000
# The tables an import writes for its new contacts, in the order it writes them, each with the
# column naming its contact. On PostgreSQL the recency ladder is filled by a statement trigger
# on the timeline and the contact's tag ids by one on the tag links; the variants that copy
# them instead write segments_activityrecency themselves (after the timeline).
CONTACT_TABLES = [
    ("contacts_contact", "id"),
    ("activity_activity", "contact_id"),
    ("contacts_contactemail", "contact_id"),
    ("contacts_contactphone", "contact_id"),
    ("contacts_contactowner", "contact_id"),
    ("contacts_contacttag", "contact_id"),
]
RECENCY = ("segments_activityrecency", "contact_id")
DERIVED_TRIGGERS = {
    "activity_activity": "segments_activityrecency_insert",
    "contacts_contacttag": "contacts_contact_tag_ids_insert",
}
SHARED_TABLES = ["accounts_user", "contacts_company", "contacts_tag"]
GIN_INDEXES = ["segments_contact_search_trgm", "segments_contact_tag_ids"]
# What each variant changes from today's way (COPY of each table straight into the real
# schema, triggers keeping the derived rows, a durable commit per batch):
VARIANTS = {
    "today": {},
    # Commits do not wait for the write-ahead log to reach the disk (SET synchronous_commit =
    # off for the load's connection): a crash loses the last moments' commits, never consistency.
    "async_commit": {"async_commit": True},
    # The contact row arrives with its tag ids and the timeline with its recency rungs, computed
    # by the writer; the tag and recency triggers are disabled for the load.
    "derived_copied": {"copy_derived": True},
    # Contacts and e-mails are copied into temporary staging tables, then moved by one
    # set-based INSERT … SELECT each (the e-mails with ON CONFLICT DO NOTHING, as an upsert).
    "staging": {"staging": True},
    # The two GIN indexes (trigram search, tag ids) are dropped and built after the load.
    "gin_after": {"indexes_after": GIN_INDEXES},
    # The GIN indexes keep new entries in a pending list of 64 MB instead of 4 MB before
    # merging them into the index (ALTER INDEX … SET (gin_pending_list_limit)).
    "gin_pending_64mb": {"gin_pending_kb": 65536},
    # The statistics refreshed as the contacts double are those of the contact table only: the
    # one whose plans change (the foreign key checks look contacts up by id).
    "statistics_contacts_only": {"statistics_tables": ["contacts_contact"]},
    # Everything suspended: every secondary index of the written tables and their foreign keys
    # dropped and rebuilt after the load, derived values copied, asynchronous commits.
    "all_suspended": {"async_commit": True, "copy_derived": True, "indexes_after": "all"},
    # What an import could do into a database that already holds contacts (no index can be
    # dropped there): asynchronous commits, derived values copied, staging for the upsert.
    "steady_best": {"async_commit": True, "copy_derived": True, "staging": True},
    # The same without staging, with the lighter statistics and the larger GIN pending list.
    "steady_lean": {
        "async_commit": True,
        "copy_derived": True,
        "statistics_tables": ["contacts_contact"],
        "gin_pending_kb": 65536,
    },
}


def _url(name: str) -> str:
    return f"{SERVER}/{name}"


def _admin() -> psycopg.Connection:
    return psycopg.connect(_url("postgres"), autocommit=True)


def _recreate(name: str, template: str | None = None) -> None:
    with _admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))


def _drop(name: str) -> None:
    with _admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _source(name: str, rows: int) -> None:
    """The imported database, written by bench/import.py if it does not hold `rows` rows yet."""
    try:
        with psycopg.connect(_url(name)) as conn:
            if conn.execute(
                "SELECT count(*) FROM transfer_import WHERE total_rows = %s", [rows]
            ).fetchone()[0]:
                return
    except psycopg.Error:
        pass
    env = {**os.environ, "BENCH_DATABASE_URL": _url(name)}
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / "import.py"), str(rows), "--db", "postgresql"],
        env=env,
        check=True,
    )


def _empty_template(source: str) -> None:
    """The schema, migrated, with the rows new contacts point at (users, companies, tags)."""
    _recreate(EMPTY)
    env = {
        **os.environ,
        "DATABASE_URL": _url(EMPTY),
        "DJANGO_SETTINGS_MODULE": "kartoteka.settings",
        "PYTHONPATH": str(ROOT / "src"),
    }
    subprocess.run(
        [sys.executable, "-m", "django", "migrate", "--verbosity", "0"], env=env, check=True
    )
    with psycopg.connect(_url(source)) as src, psycopg.connect(_url(EMPTY)) as dst:
        for table in SHARED_TABLES:
            columns = _columns(dst, table)
            data = _copy_out(src, f"SELECT {', '.join(columns)} FROM {table}")
            _copy_in(dst, table, columns, data)


def _columns(conn: psycopg.Connection, table: str, *, without: tuple[str, ...] = ()) -> list[str]:
    return [
        name
        for (name,) in conn.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0"
            " AND NOT attisdropped AND attgenerated = '' ORDER BY attnum",
            [table],
        ).fetchall()
        if name not in without
    ]


def _copy_out(conn: psycopg.Connection, query: str, params: tuple = ()) -> bytes:
    out = bytearray()
    with conn.cursor().copy(f"COPY ({query}) TO STDOUT", params) as copy:
        for chunk in copy:
            out += chunk
    return bytes(out)


def _copy_in(conn: psycopg.Connection, table: str, columns: list[str], data: bytes) -> None:
    with conn.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        copy.write(data)


def _suspend_indexes(conn: psycopg.Connection, which) -> list[str]:
    """Drop the indexes (and, for "all", the foreign keys) of the written tables that are
    not primary keys; return the statements that rebuild them."""
    tables = [t for t, _k in CONTACT_TABLES] + [RECENCY[0]]
    rebuild = []
    if which == "all":
        for table, name, definition in conn.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE contype IN ('f', 'u') AND conrelid::regclass::text = ANY(%s)",
            [tables],
        ).fetchall():
            conn.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
            rebuild.append(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
        indexes = conn.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i"
            " WHERE i.indrelid::regclass::text = ANY(%s) AND NOT i.indisprimary",
            [tables],
        ).fetchall()
    else:
        indexes = conn.execute(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index"
            " WHERE indexrelid::regclass::text = ANY(%s)",
            [list(which)],
        ).fetchall()
    for name, definition in indexes:
        conn.execute(f"DROP INDEX {name}")
        rebuild.insert(0, definition)  # indexes before the constraints that may use them
    conn.commit()
    return rebuild


class _Clock:
    """Wall time of each step and, where the server runs on this machine, the CPU time of the
    server process that did it and its time waiting for a CPU (/proc/PID/schedstat): on a busy
    machine the CPU time moves far less than the wall time."""

    def __init__(self, backend_pid: int) -> None:
        local = any(host in SERVER for host in ("@127.0.0.1", "@localhost", "@/"))
        self.path = Path(f"/proc/{backend_pid}/schedstat") if local else None
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self.waiting: dict[str, float] = {}

    def _read(self) -> tuple[int, int]:
        if self.path is None or not self.path.exists():
            return 0, 0
        on_cpu, waiting, _slices = self.path.read_text().split()
        return int(on_cpu), int(waiting)

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[None]:
        cpu, waiting = self._read()
        started = time.perf_counter()
        yield
        self.wall[name] = self.wall.get(name, 0.0) + time.perf_counter() - started
        cpu_after, waiting_after = self._read()
        self.cpu[name] = self.cpu.get(name, 0.0) + (cpu_after - cpu) / 1e9
        self.waiting[name] = self.waiting.get(name, 0.0) + (waiting_after - waiting) / 1e9


def write_again(source: str, variant: str) -> dict:
    """Write the contacts of `source` into a fresh copy of the empty database, as VARIANTS
    has it; time each table."""
    flags = VARIANTS[variant]
    copy_derived = flags.get("copy_derived", False)
    _recreate(TARGET, EMPTY)
    src = psycopg.connect(_url(source))
    db = psycopg.connect(_url(TARGET))
    clock = _Clock(db.info.backend_pid)
    tables = list(CONTACT_TABLES) + ([RECENCY] if copy_derived else [])
    columns = {
        table: _columns(db, table, without=() if copy_derived else ("tag_ids",))
        for table, _key in tables
    }
    if flags.get("async_commit"):
        db.execute("SET synchronous_commit = off")
    if copy_derived:
        for table, trigger in DERIVED_TRIGGERS.items():
            db.execute(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
    rebuild = _suspend_indexes(db, flags["indexes_after"]) if "indexes_after" in flags else []
    for index in GIN_INDEXES if "gin_pending_kb" in flags else []:
        db.execute(f"ALTER INDEX {index} SET (gin_pending_list_limit = {flags['gin_pending_kb']})")
    analysed = flags.get("statistics_tables", [t for t, _k in [*CONTACT_TABLES, RECENCY]])
    db.commit()
    staged = {"contacts_contact", "contacts_contactemail"} if flags.get("staging") else set()
    for table in staged:
        db.execute(
            f"CREATE TEMPORARY TABLE stage_{table} (LIKE {table} INCLUDING DEFAULTS)"
            " ON COMMIT DELETE ROWS"
        )
    db.commit()
    first_id, last_id = src.execute("SELECT min(id), max(id) FROM contacts_contact").fetchone()
    contacts_then = 0
    written = 0
    for first in range(first_id, last_id + 1, BATCH_ROWS):
        last = first + BATCH_ROWS - 1
        batch = {
            table: _copy_out(
                src,
                f"SELECT {', '.join(columns[table])} FROM {table}"
                f" WHERE {key} BETWEEN %s AND %s ORDER BY id",
                (first, last),
            )
            for table, key in tables
        }
        src.rollback()
        for table, _key in tables:
            with clock.step(table):
                _write(db, table, columns[table], batch[table], staged=table in staged)
        with clock.step("commits"):
            db.commit()
        written += src.execute(
            "SELECT count(*) FROM contacts_contact WHERE id BETWEEN %s AND %s", [first, last]
        ).fetchone()[0]
        src.rollback()
        # As the import: the planner's statistics each time the contacts have doubled.
        if written >= max(STATISTICS_AFTER_ROWS, 2 * contacts_then):
            with clock.step("statistics"):
                db.execute(f"ANALYZE {', '.join(analysed)}")
                db.commit()
            contacts_then = written
    with clock.step("rebuild after"):
        for statement in rebuild:
            db.execute(statement)
        if copy_derived:
            for table, trigger in DERIVED_TRIGGERS.items():
                db.execute(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}")
        db.commit()
    check = db.execute(
        "SELECT (SELECT count(*) FROM contacts_contact),"
        " (SELECT count(*) FROM segments_activityrecency),"
        " (SELECT count(*) FROM contacts_contact WHERE tag_ids <> '{}')"
    ).fetchone()
    db.close()
    src.close()
    total = sum(clock.wall.values())

    def per_contact(seconds: dict[str, float]) -> dict[str, float]:
        return {name: round(spent / written * 1e6, 1) for name, spent in seconds.items()}

    return {
        "contacts": written,
        "check_contacts_recency_tagged": list(check),
        "seconds": round(total, 2),
        "rows_per_second": round(written / total),
        "microseconds_per_contact": per_contact(clock.wall),
        "server_cpu_seconds": round(sum(clock.cpu.values()), 2),
        "server_cpu_microseconds_per_contact": per_contact(clock.cpu),
        "server_waiting_for_cpu_seconds": round(sum(clock.waiting.values()), 2),
    }


def _write(db: psycopg.Connection, table: str, columns: list[str], data: bytes, *, staged: bool):
    """COPY the rows into the table, or into its staging table and from there by one
    INSERT … SELECT (the e-mails skipping those already taken, as an upsert does)."""
    if not staged:
        _copy_in(db, table, columns, data)
        return
    _copy_in(db, f"stage_{table}", columns, data)
    names = ", ".join(columns)
    conflict = " ON CONFLICT (email_folded) DO NOTHING" if table.endswith("email") else ""
    db.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM stage_{table}{conflict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", nargs="?", type=int, default=100_000)
    parser.add_argument("--source", default="kt_bench_floor_source", help="the imported database")
    parser.add_argument("--runs", type=int, default=1, help="the variants alternate within a run")
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=list(VARIANTS))
    args = parser.parse_args()
    _source(args.source, args.rows)
    runs: dict[str, list[dict]] = {variant: [] for variant in args.variants}
    try:
        _empty_template(args.source)
        for _ in range(args.runs):
            for variant in args.variants:
                load_before = os.getloadavg()[0]
                result = write_again(args.source, variant)
                result["load_average_at_start"] = round(load_before, 1)
                result["load_average_at_end"] = round(os.getloadavg()[0], 1)
                runs[variant].append(result)
                print(variant, json.dumps(result), flush=True)
    finally:
        _drop(TARGET)
        _drop(EMPTY)
    with _admin() as conn:
        settings = {
            name: conn.execute(f"SHOW {name}").fetchone()[0]
            for name in ("server_version", "shared_buffers", "max_wal_size", "synchronous_commit")
        }
    summary = {
        variant: {
            "median_rows_per_second": statistics.median(r["rows_per_second"] for r in results),
            "runs": results,
        }
        for variant, results in runs.items()
    }
    out = ROOT / "bench" / "results" / "import_floor_postgresql.json"
    kept = json.loads(out.read_text()) if out.exists() else {}
    by_rows = kept.get("by_rows", {})
    # Each session (one invocation, its variants alternating) is kept: only figures of the same
    # session compare.
    by_rows.setdefault(str(args.rows), {"sessions": []})["sessions"].append(
        {
            "finished_at": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
            "variants": summary,
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
            "postgresql": settings,
        }
    )
    out.write_text(
        json.dumps({"benchmark": "import_floor_postgresql", "by_rows": by_rows}, indent=2) + "\n"
    )
    print(json.dumps({v: s["median_rows_per_second"] for v, s in summary.items()}))


if __name__ == "__main__":
    main()
