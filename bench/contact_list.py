"""Benchmark: the contact list page over 100,000 contacts, first and deep pages.

Loads N demo contacts (default 100,000) into a fresh SQLite database with the bulk path behind
`kartoteka demo`, then times the list page through Django's test client as the admin: the first
page, a page thousands of rows deep (keyset: "after" the last row of an earlier page), the same
sorted by name and by a custom detail, a search, a quick filter, and the Clients view. Each
figure is the median of 15 requests after 2 warm-ups; SQL query counts are reported too.
Writes bench/results/contact_list.json.

    .venv/bin/python bench/contact_list.py [--contacts N] [--rounds R]
"""

import argparse
import html
import json
import os
import platform
import re
import shutil
import statistics
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

RESULTS = Path(__file__).resolve().parent / "results" / "contact_list.json"


def count_queries(connection, call) -> int:
    """SQL statements `call` runs (an execute wrapper survives the per-request reconnect)."""
    statements = []

    def wrapper(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        call()
    return len(statements)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="kt-bench-list-"))
    os.environ["KARTOTEKA_DATA_DIR"] = str(workdir)
    os.environ["KARTOTEKA_TASKS"] = "immediate"
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kartoteka.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from kartoteka.accounts.models import User
    from kartoteka.contacts.demo import load_demo
    from kartoteka.contacts.models import PropertyDefinition

    try:
        call_command("migrate", verbosity=0)
        loaded = load_demo(args.contacts, progress=lambda _line: None)
        admin = User.objects.get(username=loaded.admin)
        client = Client()
        client.force_login(admin)

        def cursor_after(base: str, pages: int) -> str:
            """The list URL `pages` pages deep, following each page's "next" cursor."""
            url = base
            for _ in range(pages):
                page = client.get(url).content.decode()
                link = re.search(r'rel="next" href="\?([^"]+)"', page)
                url = f"{base.split('?')[0]}?{html.unescape(link.group(1))}"
            return url

        detail = PropertyDefinition.objects.order_by("position").first()
        targets = {
            "first page (newest first)": "/contacts/",
            "page 40 (rows 1,951-2,000)": cursor_after("/contacts/", 39),
            "sorted by name, page 20": cursor_after("/contacts/?sort=name", 19),
            "search 'garcia'": "/contacts/?q=garcia",
            "quick filter: status + tag": "/contacts/?status=won&tag=vip",
            "Clients view": "/clients/",
        }
        if detail is not None:
            targets[f"sorted by custom detail '{detail.key}'"] = (
                f"/contacts/?sort=detail:{detail.key}"
            )
        results = {}
        for name, url in targets.items():
            for _ in range(2):
                assert client.get(url).status_code == 200, url
            queries = count_queries(connection, partial(client.get, url))
            times = []
            for _ in range(args.rounds):
                began = time.perf_counter()
                assert client.get(url).status_code == 200
                times.append((time.perf_counter() - began) * 1000)
            results[name] = {
                "url": url,
                "median_ms": round(statistics.median(times), 1),
                "queries": queries,
            }
            print(f"{name:40} median {results[name]['median_ms']:8.1f} ms  {queries} queries")
        report = {
            "benchmark": "contact_list",
            "contacts": args.contacts,
            "rounds": args.rounds,
            "database": "sqlite",
            "python": platform.python_version(),
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
