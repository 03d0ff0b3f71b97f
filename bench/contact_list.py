"""Benchmark: the contact list page over 100,000 contacts, first and deep pages.

Loads N demo contacts (default 100,000) into a fresh SQLite database with the bulk path behind
`kartoteka demo`, then times the list page through Django's test client as the admin: the first
page, a page thousands of rows deep (keyset: "after" the last row of an earlier page), the same
sorted by name and by a custom detail, a search, a quick filter, and the Clients view. Each
figure is the median of 15 requests after 3 warm-ups; SQL query counts are reported too.
Writes bench/results/contact_list.json.

    .venv/bin/python bench/contact_list.py [--contacts N] [--rounds R]
"""

import argparse
import html
import json
import os
import platform
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.page_timing import fresh_database, time_page  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "contact_list.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()

    with fresh_database("kt-bench-list-"):
        from django.test import Client

        from kartoteka.accounts.models import User
        from kartoteka.contacts.demo import load_demo
        from kartoteka.contacts.models import PropertyDefinition

        loaded = load_demo(args.contacts, progress=lambda _line: None)
        client = Client()
        client.force_login(User.objects.get(username=loaded.admin))

        def pages_deep(base: str, pages: int) -> str:
            """The list URL `pages` pages deep, following each page's "next" link."""
            url = base
            for _ in range(pages):
                page = client.get(url).content.decode()
                link = re.search(r'rel="next" href="\?([^"]+)"', page)
                url = f"{base.split('?')[0]}?{html.unescape(link.group(1))}"
            return url

        targets = {
            "first page (newest first)": "/contacts/",
            "page 40 (rows 1,951-2,000)": pages_deep("/contacts/", 39),
            "sorted by name, page 20": pages_deep("/contacts/?sort=name", 19),
            "sorted by company": "/contacts/?sort=company",
            "search 'garcia'": "/contacts/?q=garcia",
            "quick filter: status + tag": "/contacts/?status=won&tag=vip",
            "Clients view": "/clients/",
        }
        detail = PropertyDefinition.objects.order_by("position").first()
        if detail is not None:
            targets[f"sorted by custom detail '{detail.key}'"] = (
                f"/contacts/?sort=detail:{detail.key}"
            )
        results = {}
        for name, url in targets.items():
            results[name] = result = time_page(client, url, rounds=args.rounds)
            print(f"{name:40} median {result['median_ms']:8.1f} ms  {result['queries']} queries")
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


if __name__ == "__main__":
    main()
