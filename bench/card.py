"""Benchmark: server time of the contact card for a contact with 10,000 timeline entries.

Builds a fresh SQLite database, creates one contact with tags, custom details and 10,000
timeline entries (through activity.services.record), then times, through Django's test client
(the full middleware stack, no network): the card page, the timeline section alone, a deep
"load more" page of the timeline, and the card again filtered to one kind. Each figure is the
median of 30 requests after 3 warm-ups; the SQL query count of each request is reported too.
Writes bench/results/card.json.

    .venv/bin/python bench/card.py [--entries N] [--rounds R]
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

RESULTS = Path(__file__).resolve().parent / "results" / "card.json"


def count_queries(connection, call) -> int:
    """SQL statements `call` runs. Counted with an execute wrapper: the connection is closed
    after each request, as in production, which empties the log CaptureQueriesContext reads."""
    statements = []

    def wrapper(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        call()
    return len(statements)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="kt-bench-card-"))
    os.environ["KARTOTEKA_DATA_DIR"] = str(workdir)
    os.environ["KARTOTEKA_TASKS"] = "immediate"
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kartoteka.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test import Client

    from kartoteka.accounts.services import create_user
    from kartoteka.activity import services as timeline
    from kartoteka.contacts import services as contacts

    try:
        call_command("migrate", verbosity=0)
        admin = create_user(None, username="alba", role="admin", password="bench pass 123")
        sales = create_user(None, username="sergio", role="sales", password="bench pass 123")
        contacts.define_property(admin, key="industry", label="Industry", type="text")
        contact = contacts.create_contact(
            admin,
            data={
                "email": "marta@example.com",
                "first_name": "Marta",
                "last_name": "Nowak",
                "company": "Acme",
                "phones": ["+48601200300", "+48601200301"],
                "owners": ["sergio"],
                "tags": ["vip", "fair", "newsletter"],
                "properties": {"industry": "Retail"},
            },
        )
        started = time.perf_counter()
        kinds = ["updated", "tag_added", "status_changed", "note_added", "owners_changed"]
        with transaction.atomic():
            for n in range(args.entries):
                kind = kinds[n % len(kinds)]
                payload = (
                    {"changes": [{"field": "city", "old": f"C{n}", "new": f"C{n + 1}"}]}
                    if kind == "updated"
                    else {"old": "lead", "new": "won", "tag": "vip", "summary": f"entry {n}"}
                )
                timeline.record(contact, kind, actor=admin, payload=payload)
        seed_seconds = time.perf_counter() - started

        client = Client()
        client.force_login(sales)
        card = f"/contacts/{contact.pk}/"
        section = f"/contacts/{contact.pk}/sections/timeline/"
        oldest = contact.activities.order_by("occurred_at", "id")[100]
        more = (
            f"/contacts/{contact.pk}/timeline/?before={oldest.occurred_at.isoformat()}"
            f"&before_id={oldest.pk}"
        )
        targets = {
            "card page": card,
            "timeline section": section,
            "timeline section, one kind": f"{section}?kind=note_added",
            "timeline, deep 'load more' page": more,
        }
        results = {}
        for name, url in targets.items():
            for _ in range(3):
                assert client.get(url).status_code == 200, url
            queries = count_queries(connection, partial(client.get, url))
            times = []
            for _ in range(args.rounds):
                began = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - began) * 1000)
                assert response.status_code == 200
            times.sort()
            results[name] = {
                "url": url,
                "median_ms": round(statistics.median(times), 1),
                "p95_ms": round(times[int(len(times) * 0.95) - 1], 1),
                "queries": queries,
            }
            print(
                f"{name:34} median {results[name]['median_ms']:7.1f} ms  "
                f"p95 {results[name]['p95_ms']:7.1f} ms  {queries} queries"
            )
        report = {
            "benchmark": "card",
            "timeline_entries": args.entries,
            "rounds": args.rounds,
            "seed_seconds": round(seed_seconds, 1),
            "database": "sqlite",
            "python": platform.python_version(),
            "machine": platform.machine(),
            "load_average_1min": round(os.getloadavg()[0], 1),
            "results": results,
        }
        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.write_text(json.dumps(report, indent=2) + "\n")
        print(f"wrote {RESULTS}")
    finally:
        connection.close()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
