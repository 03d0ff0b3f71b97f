"""Benchmark: the floor of event ingest on SQLite — what SQLite alone does to write the rows a
batch of 1,000 events writes, with plain multi-row INSERTs and no Python work between them.

A database of N bare contacts (bench/events.py's) takes W batches through the service to warm
up and is copied; B more batches then go through the service (services.record_events) while
its CPU time is measured. The rows those B batches wrote (events, product lines, timeline
entries with the recency ladder's trigger, contacts' last activity) are read back and written
again into the copy, batch by batch, each in its own transaction, with multi-row INSERT … VALUES
statements straight through the driver; the CPU time of each table is measured. Totals,
products and the idempotency check are left out, so the floor is a lower bound.

    .venv/bin/python bench/events_floor.py [--contacts N] [--warm W] [--batches B]

Writes bench/results/events_floor.json.
"""

import argparse
import json
import os
import platform
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))
PARAMETERS = 4000


def service(warm: int, batches: int) -> dict:
    """Run in the data directory's process: warm batches, then the measured ones."""
    import django

    django.setup()
    from bench.events import BATCH, _events
    from kartoteka.commerce import services
    from kartoteka.contacts.models import Contact
    from kartoteka.core.scope import SYSTEM

    first = Contact.objects.order_by("pk").values_list("pk", flat=True).first()
    last = Contact.objects.order_by("-pk").values_list("pk", flat=True).first()
    rng = random.Random(21)
    for n in range(warm):
        services.record_events(SYSTEM, _events(rng, n * BATCH, BATCH, first, last))
    from django.db import connection

    connection.close()
    if os.environ.get("FLOOR_STEP") == "warm":
        return {}
    cpu = time.process_time()
    for n in range(warm, warm + batches):
        services.record_events(SYSTEM, _events(rng, n * BATCH, BATCH, first, last))
    return {"service_cpu_ms_per_batch": round((time.process_time() - cpu) / batches * 1000, 1)}


def _insert(db: sqlite3.Connection, table: str, columns: list[str], rows: list[tuple]) -> None:
    width = len(columns)
    per = max(1, PARAMETERS // width)
    head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
    one = f"({', '.join('?' * width)})"
    for start in range(0, len(rows), per):
        chunk = rows[start : start + per]
        db.execute(head + ", ".join([one] * len(chunk)), [v for row in chunk for v in row])


def floor(full: Path, copy: Path, first_event: int) -> dict:
    """The rows of events from `first_event` on, read from `full`, written again into `copy`."""
    source = sqlite3.connect(full)
    events_columns = [row[1] for row in source.execute("PRAGMA table_info(commerce_externalevent)")]
    line_columns = [row[1] for row in source.execute("PRAGMA table_info(commerce_eventline)")]
    activity_columns = [row[1] for row in source.execute("PRAGMA table_info(activity_activity)")]
    events = source.execute(
        "SELECT * FROM commerce_externalevent WHERE id >= ? ORDER BY id", [first_event]
    ).fetchall()
    lines = source.execute(
        "SELECT * FROM commerce_eventline WHERE event_id >= ? ORDER BY id", [first_event]
    ).fetchall()
    entries = source.execute(
        "SELECT * FROM activity_activity WHERE detail_type = 'commerce.externalevent'"
        " AND detail_id >= ? ORDER BY id",
        [first_event],
    ).fetchall()
    source.close()
    by_batch: dict[int, dict[str, list]] = {}
    for row in events:
        by_batch.setdefault((row[0] - first_event) // 1000, {}).setdefault("events", []).append(row)
    line_event = line_columns.index("event_id")
    for row in lines:
        by_batch[(row[line_event] - first_event) // 1000].setdefault("lines", []).append(row)
    detail, contact, when = (
        activity_columns.index("detail_id"),
        activity_columns.index("contact_id"),
        activity_columns.index("occurred_at"),
    )
    for row in entries:
        by_batch[(row[detail] - first_event) // 1000].setdefault("entries", []).append(row)
    db = sqlite3.connect(copy, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
        db.execute(f"PRAGMA {pragma}")
    spent = {"events": 0.0, "lines": 0.0, "timeline": 0.0, "last_activity": 0.0, "commit": 0.0}
    for batch in by_batch.values():
        db.execute("BEGIN IMMEDIATE")
        began = time.process_time()
        _insert(db, "commerce_externalevent", events_columns, batch["events"])
        spent["events"] += time.process_time() - began
        began = time.process_time()
        _insert(db, "commerce_eventline", line_columns, batch.get("lines", []))
        spent["lines"] += time.process_time() - began
        began = time.process_time()
        _insert(db, "activity_activity", activity_columns, batch["entries"])
        spent["timeline"] += time.process_time() - began
        latest: dict[int, str] = {}
        for row in batch["entries"]:
            latest[row[contact]] = max(latest.get(row[contact], ""), row[when])
        pairs = sorted(latest.items())
        began = time.process_time()
        for start in range(0, len(pairs), 450):
            chunk = pairs[start : start + 450]
            db.execute(
                "UPDATE contacts_contact SET last_activity_at = moved.column2 FROM (VALUES "
                + ", ".join(["(?, ?)"] * len(chunk))
                + ") AS moved WHERE contacts_contact.id = moved.column1 AND"
                " (last_activity_at IS NULL OR last_activity_at < moved.column2)",
                [v for pair in chunk for v in pair],
            )
        spent["last_activity"] += time.process_time() - began
        began = time.process_time()
        db.execute("COMMIT")
        spent["commit"] += time.process_time() - began
    db.close()
    batches = len(by_batch)
    result = {f"{name}_cpu_ms_per_batch": round(v / batches * 1000, 1) for name, v in spent.items()}
    total = sum(spent.values()) / batches
    result["floor_cpu_ms_per_batch"] = round(total * 1000, 1)
    result["floor_events_per_cpu_second"] = round(1000 / total)
    result["batches"] = batches
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--warm", type=int, default=20)
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--step", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step == "service":
        print(json.dumps(service(args.warm, args.batches)))
        return
    with tempfile.TemporaryDirectory(prefix="kt-bench-events-floor-") as work:
        env = {
            **os.environ,
            "KARTOTEKA_DATA_DIR": work,
            "DJANGO_SETTINGS_MODULE": "kartoteka.settings",
            "KARTOTEKA_TASKS": "immediate",
            "PYTHONPATH": str(ROOT / "src"),
        }
        env.pop("DATABASE_URL", None)
        events_bench = [sys.executable, str(ROOT / "bench" / "events.py")]
        subprocess.run(
            [*events_bench, "--contacts", str(args.contacts), "--step", "prepare"],
            env=env,
            check=True,
        )
        me = [sys.executable, __file__, "--warm", str(args.warm), "--batches", str(args.batches)]
        subprocess.run([*me, "--step", "service"], env={**env, "FLOOR_STEP": "warm"}, check=True)
        database = next(Path(work).glob("*.sqlite3"))
        copy = Path(work) / "copy.sqlite3"
        shutil.copy(database, copy)
        with sqlite3.connect(database) as db:
            first_event = db.execute("SELECT max(id) + 1 FROM commerce_externalevent").fetchone()[0]
        # The warm batches again, then the measured ones (the same seed: the same events).
        done = subprocess.run(
            [*me, "--step", "service"], env=env, check=True, stdout=subprocess.PIPE, text=True
        )
        result = json.loads(done.stdout.strip().splitlines()[-1])
        result.update(floor(database, copy, first_event))
    result.update(
        contacts=args.contacts,
        python=platform.python_version(),
        sqlite=sqlite3.sqlite_version,
        machine=f"{platform.machine()}, {os.cpu_count()} CPUs (shared)",
        load_average=round(os.getloadavg()[0], 1),
    )
    out = ROOT / "bench" / "results" / "events_floor.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
