"""Benchmark: server time of the contact card for a contact with 10,000 timeline entries.

Builds a fresh SQLite database, creates one contact with tags, custom details and 10,000
timeline entries (through activity.services.record), then times, through Django's test client
(the full middleware stack, no network): the card page, the timeline section alone, the section
filtered to one kind, and a deep "load more" page of the timeline. Each figure is the median of
30 requests after 3 warm-ups; the SQL query count of each request is reported too.
Writes bench/results/card.json.

    .venv/bin/python bench/card.py [--entries N] [--rounds R]
"""

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.page_timing import fresh_database, time_page  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "card.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()

    with fresh_database("kt-bench-card-"):
        from django.db import transaction
        from django.test import Client

        from kartoteka.accounts.services import create_user
        from kartoteka.activity import services as timeline
        from kartoteka.contacts import services as contacts
        from kartoteka.core.scope import SYSTEM

        admin = create_user(SYSTEM, username="alba", role="admin", password="bench pass 123")
        sales = create_user(SYSTEM, username="sergio", role="sales", password="bench pass 123")
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
        section = f"/contacts/{contact.pk}/sections/timeline/"
        oldest = contact.activities.order_by("occurred_at", "id")[100]
        targets = {
            "card page": f"/contacts/{contact.pk}/",
            "timeline section": section,
            "timeline section, one kind": f"{section}?kind=note_added",
            "timeline, deep 'load more' page": (
                f"/contacts/{contact.pk}/timeline/?before={oldest.occurred_at.isoformat()}"
                f"&before_id={oldest.pk}"
            ).replace("+", "%2B"),
        }
        results = {}
        for name, url in targets.items():
            results[name] = result = time_page(client, url, rounds=args.rounds)
            print(
                f"{name:34} median {result['median_ms']:7.1f} ms  "
                f"p95 {result['p95_ms']:7.1f} ms  {result['queries']} queries"
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


if __name__ == "__main__":
    main()
