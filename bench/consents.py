"""Benchmark: consents at scale — recording them in bulk, and filtering a million contacts by them.

Builds (once) a separate database of N contacts (default 1,000,000), each with its e-mail
address, then records their consents through `consents.services.record_consents` in batches
of 100,000 (ledger rows, the state in force and timeline entries: the plan a segment subscribed
to a list runs): 40 % granted e-mail marketing, 10 % withdrawn, 5 % granted SMS; 1 % of the
contacts are blocked. Reports the time of each batch, then the median time of count + first
page of 50 for the consent filters through `segments.queries.search`, and writes
bench/results/consents.json (one key per database).

    .venv/bin/python bench/consents.py --db sqlite [--contacts N] [--runs R]
    .venv/bin/python bench/consents.py --db postgresql [--contacts N] [--runs R]

SQLite data goes to bench/data/consents-<N>.sqlite3 (git-ignored); PostgreSQL to the database
BENCH_DATABASE_URL names (default kt_consents_bench).
"""

import argparse
import datetime as dt
import json
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

BATCH = 100_000
FILTERS = {
    "consent:email": "consent:email",
    "consent:email blocked:no": "consent:email blocked:no",
    "consent.email:withdrawn": "consent.email:withdrawn",
    "consent.email:none": "consent.email:none",
    "-consent:email": "-consent:email",
    "consent:sms": "consent:sms",
}


def configure(db: str, contacts: int) -> None:
    os.environ.setdefault("KARTOTEKA_DATA_DIR", "/tmp/kt-consents-bench")
    if db == "sqlite":
        data = ROOT / "bench" / "data"
        data.mkdir(parents=True, exist_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{data / f'consents-{contacts}.sqlite3'}"
    else:
        os.environ["DATABASE_URL"] = os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kt_consents_bench"
        )
    os.environ["DJANGO_SETTINGS_MODULE"] = "kartoteka.settings"
    import django

    django.setup()


def ensure_database(db: str) -> None:
    if db != "postgresql":
        return
    import psycopg

    url = os.environ["DATABASE_URL"]
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def build_contacts(contacts: int) -> None:
    """Contacts and their e-mail addresses, written in bulk once."""
    from django.core.management import call_command
    from django.db import connection, transaction

    from kartoteka.accounts.models import User
    from kartoteka.contacts.models import Contact, ContactEmail
    from kartoteka.core.bulkwrite import insert_values

    call_command("migrate", verbosity=0)
    User.objects.get_or_create(username="bench_admin", defaults={"role": "admin"})
    if Contact.objects.exists():
        return
    now = dt.datetime.now(dt.UTC)
    started = time.perf_counter()
    for start in range(0, contacts, BATCH):
        numbers = range(start, min(start + BATCH, contacts))
        with transaction.atomic():
            ids = insert_values(
                Contact,
                ["email", "first_name", "search_text", "created_at", "updated_at"],
                [
                    (f"person{n}@example.com", f"Person {n}", f"person{n}", now, now)
                    for n in numbers
                ],
                returning=True,
            )
            insert_values(
                ContactEmail,
                ["contact_id", "email", "email_folded", "is_primary", "created_at"],
                [
                    (contact_id, f"person{n}@example.com", f"person{n}@example.com", True, now)
                    for contact_id, n in zip(ids, numbers, strict=True)
                ],
            )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        connection.close()  # foreign-key checks are planned again, with the statistics
    print(f"built {contacts} contacts in {time.perf_counter() - started:.0f} s", flush=True)


def record(seed: int = 11) -> list[float]:
    """Record every contact's consents in batches; the seconds each batch took."""
    from django.db import connection, transaction

    from kartoteka.consents.models import Block, ConsentEntry
    from kartoteka.consents.services import ConsentItem, record_consents
    from kartoteka.contacts.models import Contact
    from kartoteka.core.bulkwrite import insert_values
    from kartoteka.core.scope import SYSTEM

    if ConsentEntry.objects.exists():
        return []
    rng = random.Random(seed)
    ids = list(Contact.objects.order_by("pk").values_list("pk", flat=True))
    given = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    timings = []
    for start in range(0, len(ids), BATCH):
        items = []
        for contact_id in ids[start : start + BATCH]:
            draw = rng.random()
            if draw < 0.40:
                items.append(ConsentItem(contact_id, "email", "marketing", "granted", "form"))
            elif draw < 0.50:
                items.append(
                    ConsentItem(contact_id, "email", "marketing", "withdrawn", "unsubscribe")
                )
            if rng.random() < 0.05:
                items.append(ConsentItem(contact_id, "sms", "marketing", "granted", "form"))
        items = [item._replace(given_at=given) for item in items]
        started = time.perf_counter()
        record_consents(SYSTEM, items)
        timings.append(round(time.perf_counter() - started, 2))
        print(f"  batch of {len(items)} consents: {timings[-1]:.2f} s", flush=True)
    blocked = rng.sample(ids, len(ids) // 100)
    with transaction.atomic():
        insert_values(
            Block,
            ["contact_id", "reason", "blocked_at"],
            [(contact_id, "bench", given) for contact_id in blocked],
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return timings


def measure(runs: int) -> dict:
    from kartoteka.accounts.models import User
    from kartoteka.contacts.models import Contact
    from kartoteka.segments import queries, text

    admin = User.objects.get(username="bench_admin")
    results = {"contacts": Contact.objects.count(), "filters": {}}
    load_before = os.getloadavg()
    for name, typed in FILTERS.items():
        timings, count = [], 0
        for _ in range(runs + 1):  # the first run warms the cache and is not counted
            started = time.perf_counter()
            count, items, _next = queries.search(admin, text.parse(typed), limit=50)
            timings.append((time.perf_counter() - started) * 1000)
        median = statistics.median(timings[1:])
        results["filters"][name] = {
            "median_ms": round(median, 1),
            "count": count,
            "first_page": len(items),
        }
        print(f"  {name:<28} {median:8.1f} ms  count {count}", flush=True)
    results["load_average"] = [round(load_before[0], 2), round(os.getloadavg()[0], 2)]
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    configure(args.db, args.contacts)
    ensure_database(args.db)
    build_contacts(args.contacts)
    batches = record()
    results = measure(args.runs)
    results.update(
        runs=args.runs, python=platform.python_version(), machine=f"{os.cpu_count()} cores"
    )
    out = ROOT / "bench" / "results" / "consents.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    existing = json.loads(out.read_text()) if out.exists() else {}
    previous = existing.get(args.db, {})
    # The batches are timed when the consents are first recorded; a later run only filters.
    results["record_batches_s"] = batches or previous.get("record_batches_s", [])
    results["record_batch_size"] = BATCH
    existing[args.db] = results
    out.write_text(json.dumps(existing, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
