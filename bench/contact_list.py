"""Benchmark: the contact list page, first and deep pages, sorts, quick and typed filters.

Either loads N demo contacts (default 100,000) into a fresh SQLite database with the bulk path
behind `kartoteka demo`, or (`--segments-db sqlite|postgresql`) reads the segments benchmark's
database of 1,000,000 contacts (built by `bench/segments.py --build-only` if missing). Then
times the list page through Django's test client as an admin: the first page, a page thousands
of rows deep (keyset: "after" the last row of an earlier page), sorts, a search, quick filters,
typed filters (broad and narrow) and the Clients view. Each figure is the median of R requests
after 3 warm-ups, wall and this process's CPU time (the test client runs the view in it; the
PostgreSQL backend's time is in the wall time only); SQL query counts are reported too. Writes
bench/results/contact_list.json, one entry per data set (and --label, e.g. the code measured).

    .venv/bin/python bench/contact_list.py [--contacts N] [--rounds R]
    .venv/bin/python bench/contact_list.py --segments-db sqlite|postgresql [--rounds R]
        [--only NAME] [--label L]
"""

import argparse
import html
import json
import os
import platform
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.page_timing import fresh_database, time_page  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "contact_list.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--segments-db", choices=["sqlite", "postgresql"])
    parser.add_argument("--only", action="append", default=[], help="a request's name")
    parser.add_argument("--label", default="", help="kept with the results (the code measured)")
    args = parser.parse_args()

    if args.segments_db:
        from bench import segments

        args.contacts = 1_000_000
        segments.configure(args.segments_db, args.contacts)
        segments.ensure_database(args.segments_db)
        segments.build(args.contacts)
        run(args, database=args.segments_db, source="segments benchmark")
    else:
        with fresh_database("kt-bench-list-"):
            from kartoteka.contacts.demo import load_demo

            loaded = load_demo(args.contacts, progress=lambda _line: None)
            run(args, database="sqlite", source="demo", admin=loaded.admin)


def run(args: argparse.Namespace, *, database: str, source: str, admin: str = "") -> None:
    from django.test import Client

    from kartoteka.accounts.models import User
    from kartoteka.contacts.models import PropertyDefinition

    client = Client()
    admins = User.objects.filter(role="admin", is_active=True).order_by("pk")
    client.force_login(admins.get(username=admin) if admin else admins.first())
    owner = User.objects.filter(role="sales", is_active=True).order_by("pk").first() or admins[0]

    def pages_deep(base: str, pages: int) -> str:
        """The list URL `pages` pages deep, following each page's "next" link."""
        if args.only and not any(name.startswith(("page", "sorted by name")) for name in args.only):
            return base  # not measured
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
        "quick filter: tag": "/contacts/?tag=vip",
        "quick filter: status": "/contacts/?status=won",
        "quick filter: owner": f"/contacts/?owner={owner.username}",
        "quick filter: source": "/contacts/?source=chatbot",
        "quick filter: created in the last 30 days": "/contacts/?last_days=30",
        "typed filter: country:PL": "/contacts/?q=country:PL",
        "typed filter: tag:vip": "/contacts/?q=tag:vip",
        "typed filter: tag:vip country:ES": "/contacts/?q=tag:vip%20country:ES",
        "typed filter: country:PL, sorted by name": "/contacts/?q=country:PL&sort=name",
        **{
            f"sorted by {key.lstrip('-')}": f"/contacts/?sort={key}"
            for key in (
                "email",
                "phone",
                "job_title",
                "status",
                "source",
                "-score",
                "owners",
                "tags",
                "city",
                "country",
                "-last_activity_at",
            )
        },
        "Clients view": "/clients/",
        "Clients view, typed filter country:PL": "/clients/?q=country:PL",
    }
    detail = PropertyDefinition.objects.order_by("position").first()
    if detail is not None:
        targets[f"sorted by custom detail '{detail.key}'"] = f"/contacts/?sort=detail:{detail.key}"
    results = {}
    load = os.getloadavg()[0]
    for name, url in targets.items():
        if args.only and name not in args.only:
            continue
        results[name] = result = time_page(client, url, rounds=args.rounds, cpu=time.process_time)
        print(
            f"{name:44} median {result['median_ms']:8.1f} ms"
            f"  CPU {result['cpu_median_ms']:8.1f} ms  {result['queries']} queries",
            flush=True,
        )
    report = {
        "benchmark": "contact_list",
        "contacts": args.contacts,
        "source": source,
        "rounds": args.rounds,
        "database": database,
        "python": platform.python_version(),
        "load_average_1min": [round(load, 1), round(os.getloadavg()[0], 1)],
        "results": results,
    }
    RESULTS.parent.mkdir(exist_ok=True)
    previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    if "runs" not in previous:  # the older single-run layout
        previous = {"runs": {}}
    label = f", {args.label}" if args.label else ""
    previous["runs"][f"{database}-{args.contacts}{label}"] = report
    RESULTS.write_text(json.dumps(previous, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
