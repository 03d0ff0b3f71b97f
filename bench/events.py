"""Benchmark: external events through the API's service (services.record_events) in batches of
1,000 onto demo contacts, on SQLite or PostgreSQL; then the Analytics tab of a contact with
10,000 events, and the segment `ecommerce.total_value > 500`.

80% of the events are behaviour (downloads, carts), 20% purchases with 1 to 5 product lines;
contacts are named by id. Idempotency, totals, products, the timeline and last activity are all
written as the API writes them. The contacts are loaded first, in a process of their own (bare
contact rows written in bulk), so the peak memory reported is the ingest's alone.

    .venv/bin/python bench/events.py [EVENTS] [--contacts N] [--buyers SHARE]
                                     [--db sqlite|postgresql]

Writes bench/results/events-<db>-<events>.json (with -<N>-contacts and -<SHARE>-buyers when
given). PostgreSQL runs go to a database dropped and created for the run, kt_bench_events on
the local server unless BENCH_DATABASE_URL names another.
"""

import argparse
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

POSTGRESQL_URL = "postgres://postgres@127.0.0.1:5432/kt_bench_events"
BATCH = 1000
SKUS = [f"SKU-{n:04d}" for n in range(2000)]
CATEGORIES = ["books", "garden", "kitchen", "sport", "toys", "music", "tools"]
HEAVY_EVENTS = 10_000  # the Analytics tab's contact


def _events(rng: random.Random, start: int, count: int, first_id: int, last_id: int) -> list:
    batch = []
    for n in range(start, start + count):
        day = rng.randrange(365)
        when = f"2025-{1 + day // 31 % 12:02d}-{1 + day % 28:02d}T{rng.randrange(24):02d}:" \
               f"{rng.randrange(60):02d}:00+00:00"  # fmt: skip
        event = {
            "id": f"bench-{n}",
            "contact": {"id": rng.randint(first_id, last_id)},
            "occurred_at": when,
        }
        if rng.random() < 0.2:
            lines = [
                {
                    "sku": (sku := rng.choice(SKUS)),
                    "name": f"Product {sku}",
                    "price": f"{rng.randrange(100, 20000) / 100:.2f}",
                    "quantity": rng.randint(1, 3),
                    "category": rng.choice(CATEGORIES),
                }
                for _ in range(rng.randint(1, 5))
            ]
            event.update(type="purchase", value=f"{rng.randrange(500, 50000) / 100:.2f}",
                         products=lines)  # fmt: skip
        else:
            event["type"] = rng.choice(("download", "cart"))
        batch.append(event)
    return batch


def prepare(contacts: int, buyers: float) -> None:
    """A fresh database with `contacts` bare contacts and an admin (run in its own process):
    the events name contacts by id, so rows of the contact table are all they need. With
    `buyers`, that share of the contacts already has eCommerce totals (1 to 10 purchases worth
    up to 2,000 in all), so the segment `ecommerce.total_value > 500` is counted over a
    realistic number of buyers however few events the run sends."""
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from django.db import transaction
    from django.utils import timezone

    from kartoteka.accounts.models import User
    from kartoteka.commerce.models import Totals
    from kartoteka.contacts.models import Contact
    from kartoteka.core.bulkwrite import insert_values

    User.objects.create(username="bench", role="admin")
    now = timezone.now()
    with transaction.atomic():
        for start in range(0, contacts, 10_000):
            insert_values(
                Contact,
                ["email", "first_name", "created_at", "updated_at", "search_text"],
                [
                    (f"shopper{n}@example.com", f"Shopper {n}", now, now, f"shopper{n}")
                    for n in range(start, min(contacts, start + 10_000))
                ],
            )
    if not buyers:
        return
    rng = random.Random(7)
    ids = Contact.objects.order_by("pk").values_list("pk", flat=True)
    with transaction.atomic():
        rows = []
        for contact_id in ids.iterator(chunk_size=10_000):
            if rng.random() >= buyers:
                continue
            purchases = rng.randint(1, 10)
            total = rng.randrange(500, 200_000)
            rows.append((contact_id, total, purchases, total // purchases, now, now))
            if len(rows) == 10_000:
                insert_values(Totals, _TOTALS, rows)
                rows = []
        insert_values(Totals, _TOTALS, rows)


_TOTALS = [
    "contact_id",
    "total",
    "transactions",
    "average_cart",
    "first_purchase_at",
    "last_purchase_at",
]


def ingest(events: int) -> dict:
    """Send the events in batches and measure; then the Analytics tab and the segment."""
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from kartoteka.accounts.models import User
    from kartoteka.commerce import services
    from kartoteka.commerce.models import ExternalEvent
    from kartoteka.contacts.models import Contact
    from kartoteka.core.scope import SYSTEM
    from kartoteka.segments import queries as segments

    first_id = Contact.objects.order_by("pk").values_list("pk", flat=True).first()
    last_id = Contact.objects.order_by("-pk").values_list("pk", flat=True).first()
    rng = random.Random(21)
    accepted = 0
    # Statements a batch sends, and the CPU time spent inside them: in this process on SQLite
    # (the database's work, the floor no Python change goes under), the server's on PostgreSQL.
    database = {"statements": 0, "cpu": 0.0}

    def counted(execute, sql, params, many, context):
        database["statements"] += 1
        began = time.process_time()
        try:
            return execute(sql, params, many, context)
        finally:
            database["cpu"] += time.process_time() - began

    server_started = _server_cpu(connection)
    rss_start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    heap_start = _resident().get("anon_rss_mb", 0.0)
    # The process's own memory (anonymous pages: Python's heap, SQLite's page cache) after
    # every batch, apart from the file pages of SQLite's memory-mapped database, which the
    # peak RSS counts too and which grow with the file, not with what the process keeps.
    peak_heap = heap_start
    every = max(BATCH, events // 10 // BATCH * BATCH)
    checkpoints = []
    cpu_started = time.process_time()
    started = time.perf_counter()
    for start in range(0, events, BATCH):
        batch = _events(rng, start, min(BATCH, events - start), first_id, last_id)
        with connection.execute_wrapper(counted):
            outcome = services.record_events(SYSTEM, batch)
        accepted += outcome.accepted
        done = start + BATCH
        resident = _resident()
        peak_heap = max(peak_heap, resident.get("anon_rss_mb", 0.0))
        if done % every == 0 or done >= events:
            checkpoints.append(
                point := {
                    "events": min(done, events),
                    "seconds": round(time.perf_counter() - started, 1),
                    "peak_rss_mb": round(
                        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
                    ),
                    "peak_heap_mb": peak_heap,
                    **resident,
                    "load_average": round(os.getloadavg()[0], 1),
                }
            )
            print(json.dumps(point), file=sys.stderr, flush=True)
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    server_cpu = _server_cpu(connection) - server_started if server_started is not None else None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    # A retry of the first batch changes nothing: every event is a duplicate.
    retry = services.record_events(SYSTEM, _events(random.Random(21), 0, BATCH, first_id, last_id))

    # A contact with 10,000 events over the last 90 days, then its Analytics tab.
    heavy = Contact.objects.order_by("pk").first()
    hrng = random.Random(5)
    for start in range(0, HEAVY_EVENTS, BATCH):
        batch = [
            {
                "id": f"heavy-{n}",
                "contact": {"id": heavy.pk},
                "type": hrng.choice(("download", "cart", "purchase")),
                "value": "10.00",
                "occurred_at": time.strftime(
                    "%Y-%m-%dT%H:%M:%S+00:00",
                    time.gmtime(time.time() - hrng.randrange(89 * 86400)),
                ),
            }
            for n in range(start, start + BATCH)
        ]
        services.record_events(SYSTEM, batch)
    admin = User.objects.filter(role="admin").first()
    client = Client()
    client.force_login(admin)
    url = f"/contacts/{heavy.pk}/analytics/?days=90"
    client.get(url)
    timings, cpu_timings = [], []
    for _ in range(20):
        began, cpu_began = time.perf_counter(), time.process_time()
        response = client.get(url)
        timings.append((time.perf_counter() - began) * 1000)
        cpu_timings.append((time.process_time() - cpu_began) * 1000)
        assert response.status_code == 200
    from kartoteka.commerce import queries

    api_timings = []
    for _ in range(20):
        began = time.perf_counter()
        queries.analytics(SYSTEM, heavy.pk, days=90)
        api_timings.append((time.perf_counter() - began) * 1000)

    if connection.vendor == "postgresql":
        # What autovacuum does soon after a load; without it the planner guesses the new
        # tables' sizes.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE commerce_totals, contacts_contact")
    document = {"field": "ecommerce.total_value", "op": "gt", "value": 500}
    segment_timings = []
    for _ in range(5):
        began = time.perf_counter()
        matching = segments.count_contacts(SYSTEM, document)
        segment_timings.append((time.perf_counter() - began) * 1000)
    stored = ExternalEvent.objects.count()
    connection.close()
    return {
        "events": events,
        "contacts": last_id - first_id + 1,
        "accepted": accepted,
        "stored_events": stored,
        "seconds": round(seconds, 1),
        "events_per_second": round(events / seconds),
        "peak_rss_mb": round(peak, 1),
        "rss_before_ingest_mb": round(rss_start, 1),
        # Peak RSS less the memory-mapped database's pages, sampled after each batch.
        "peak_heap_mb": peak_heap,
        "heap_before_ingest_mb": heap_start,
        "checkpoints": checkpoints,
        "retry_duplicates": retry.duplicates,
        # On SQLite the database works in this process, so its CPU time is the whole cost
        # (on a shared host the wall clock also counts waiting for a core); on PostgreSQL the
        # server's CPU is not in it.
        "cpu_seconds": round(cpu_seconds, 1),
        "events_per_cpu_second": round(events / cpu_seconds),
        "statements_per_batch": round(database["statements"] / -(-events // BATCH), 1),
        # SQLite: CPU inside the statements (commits not included), in this process.
        "statements_cpu_seconds": round(database["cpu"], 1),
        # PostgreSQL: the CPU time of the server process that served the benchmark.
        "server_cpu_seconds": round(server_cpu, 1) if server_cpu is not None else None,
        "events_per_cpu_second_with_server": round(events / (cpu_seconds + server_cpu))
        if server_cpu is not None
        else None,
        "analytics_tab_ms_median": round(statistics.median(timings), 1),
        "analytics_tab_cpu_ms_median": round(statistics.median(cpu_timings), 1),
        "analytics_query_ms_median": round(statistics.median(api_timings), 1),
        "segment_total_value_gt_500_count": matching,
        "segment_total_value_gt_500_ms_median": round(statistics.median(segment_timings), 1),
    }


def _resident() -> dict:
    """The process's resident memory now, split into its own (anonymous: the heap) and file
    pages (on SQLite the database file is memory-mapped, and its pages read count here)."""
    try:
        status = Path("/proc/self/status").read_text().splitlines()
    except OSError:
        return {}
    found = {}
    for line in status:
        name, _, value = line.partition(":")
        if name in ("RssAnon", "RssFile"):
            found[f"{name[3:].lower()}_rss_mb"] = round(int(value.split()[0]) / 1024, 1)
    return found


def _server_cpu(connection) -> float | None:
    """The CPU seconds (user and system) of the PostgreSQL backend serving `connection`, read
    from /proc when the server runs on this machine; None on SQLite or when it cannot be read."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _recreate_postgresql_database(url: str) -> None:
    import psycopg

    server, name = url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("events", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--buyers", type=float, default=0.0, help="share with totals already")
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--step", choices=["prepare", "ingest"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step == "prepare":
        prepare(args.contacts, args.buyers)
        return
    if args.step == "ingest":
        print(json.dumps(ingest(args.events)))
        return
    with tempfile.TemporaryDirectory(prefix="kt-bench-events-") as work:
        env = {
            **os.environ,
            "KARTOTEKA_DATA_DIR": work,
            "DJANGO_SETTINGS_MODULE": "kartoteka.settings",
            "KARTOTEKA_TASKS": "immediate",
            "PYTHONPATH": str(ROOT / "src"),
            "KARTOTEKA_ALLOWED_HOSTS": "testserver",  # the test client's host
        }
        if args.db == "postgresql":
            env["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL", POSTGRESQL_URL)
            _recreate_postgresql_database(env["DATABASE_URL"])
        else:
            env.pop("DATABASE_URL", None)
        me = [sys.executable, __file__, str(args.events), "--contacts", str(args.contacts)]
        me += ["--buyers", str(args.buyers)]
        subprocess.run([*me, "--step", "prepare"], env=env, check=True)
        done = subprocess.run(
            [*me, "--step", "ingest"], env=env, check=True, stdout=subprocess.PIPE, text=True
        )
        result = json.loads(done.stdout.strip().splitlines()[-1])
    result.update(
        buyers_share=args.buyers,
        database=args.db,
        python=platform.python_version(),
        machine=f"{platform.machine()}, {os.cpu_count()} CPUs (shared)",
        load_average=round(os.getloadavg()[0], 1),
    )
    name = f"events-{args.db}-{args.events}"
    if args.contacts != 100_000:
        name += f"-{args.contacts}-contacts"
    if args.buyers:
        name += f"-{args.buyers:g}-buyers"
    out = ROOT / "bench" / "results" / f"{name}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
