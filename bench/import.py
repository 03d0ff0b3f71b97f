"""Benchmark: import a generated N-row, 15-column CSV end to end (default 1,000,000 rows), on
SQLite (the target) or PostgreSQL.

The CSV holds Spanish, Polish and English names, e-mails, phones, company, job title, address,
country, birthday, score, status and tags, with a few broken rows. Each run starts from an
empty database, uploads the file and runs the import as the worker would (detection, mapping,
normalisation, validation, upsert by e-mail, timeline rows, journal, error report). It reports
rows per second end to end and the peak resident memory of the process (on PostgreSQL the
server's own memory is not counted), and writes bench/results/import.json.

    .venv/bin/python bench/import.py [N] [--runs R] [--db sqlite|postgresql]

PostgreSQL runs go to a database dropped and created for each run, kt_bench_import on the local
server unless BENCH_DATABASE_URL names another.
"""

import argparse
import csv
import json
import os
import platform
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from faker.providers.person.en_US import Provider as EnglishNames  # noqa: E402
from faker.providers.person.es_ES import Provider as SpanishNames  # noqa: E402
from faker.providers.person.pl_PL import Provider as PolishNames  # noqa: E402

HEADERS = [
    "Email",
    "First name",
    "Last name",
    "Phone",
    "Company",
    "Job title",
    "Street",
    "City",
    "Postal code",
    "Region",
    "Country",
    "Birthday",
    "Score",
    "Status",
    "Tags",
]
CITIES = [
    ("Madrid", "Madrid", "ES", "+34 6"),
    ("Sevilla", "Andalucía", "ES", "+34 6"),
    ("Kraków", "małopolskie", "PL", "+48 60"),
    ("Łódź", "łódzkie", "PL", "+48 69"),
    ("London", "England", "GB", "+44 7400 "),
]
TITLES = ["CEO", "Director comercial", "Kierownik sprzedaży", "Buyer", "Marketing manager", ""]
TAGS = ["vip", "newsletter", "feria 2025", "targi", "", "", ""]
STATUSES = ["new", "lead", "qualified", "won"]


def _names(provider, attribute: str) -> list[str]:
    value = getattr(provider, attribute)
    return sorted(value.keys() if isinstance(value, dict) else value)


def _birthday(rng: random.Random) -> str:
    return f"{rng.randrange(1950, 2005)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"


def generate(path: Path, rows: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    first = _names(SpanishNames, "first_names") + _names(PolishNames, "first_names")
    first += _names(EnglishNames, "first_names")
    last = _names(SpanishNames, "last_names") + _names(PolishNames, "last_names")
    last += _names(EnglishNames, "last_names")
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADERS)
        for n in range(rows):
            city, region, country, prefix = CITIES[n % len(CITIES)]
            digits = (13 if country == "GB" else 12) - len(prefix.replace(" ", ""))
            phone = prefix + str(rng.randrange(10 ** (digits - 1), 10**digits))
            email = f"person{n}@example-{n % 97}.com"
            if n % 1000 == 999:
                email = f"broken{n}.example.com"  # one row in a thousand is rejected
            writer.writerow(
                [
                    email,
                    rng.choice(first),
                    rng.choice(last),
                    phone,
                    f"Company {n % 5000}",
                    rng.choice(TITLES),
                    f"Street {n % 300} {rng.randrange(1, 200)}",
                    city,
                    f"{rng.randrange(10000, 99999)}",
                    region,
                    country,
                    _birthday(rng),
                    rng.randrange(0, 100),
                    rng.choice(STATUSES),
                    rng.choice(TAGS),
                ]
            )


POSTGRESQL_URL = "postgres://postgres@127.0.0.1:5432/kt_bench_import"


def _recreate_postgresql_database(url: str) -> None:
    """An empty database for a run: the import starts from nothing, as on SQLite."""
    import psycopg

    server, name = url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def run_once(csv_path: Path, rows: int) -> dict:
    import django
    from django.core.management import call_command
    from django.db import connection

    django.setup()
    call_command("migrate", verbosity=0)
    from kartoteka.accounts.models import User
    from kartoteka.contacts.models import Contact
    from kartoteka.transfer import services

    admin = User.objects.create(username="bench", role="admin")
    load_before = os.getloadavg()[0]
    cpu_before = time.process_time()
    started = time.perf_counter()
    imp = services.upload_import(admin, upload=csv_path, file_name=csv_path.name)
    imp = services.run_import(imp.pk)
    seconds = time.perf_counter() - started
    load_after = os.getloadavg()[0]
    main_cpu = time.process_time() - cpu_before
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    # The import's own peak, read before the check below: SQLite connections read through a
    # memory map, so the count's pass over an index adds the pages it read to this process's
    # resident memory (as file pages, not the import's), ~580 MB at a million contacts.
    peak_rss_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    contacts = Contact.objects.count()
    connection.close()
    return {
        "seconds": round(seconds, 2),
        "rows_per_second": round(rows / seconds),
        "created": imp.created_count,
        "failed": imp.failed_count,
        "contacts": contacts,
        "peak_rss_mb": peak_rss_mb,
        # Normalisation runs in worker processes; each has its own (smaller) peak.
        "peak_rss_worker_mb": round(workers.ru_maxrss / 1024, 1),
        # The machine is shared: CPU seconds show what the import itself needed.
        "cpu_seconds_main": round(main_cpu, 1),
        "cpu_seconds_workers": round(workers.ru_utime + workers.ru_stime, 1),
        "load_average_at_start": round(load_before, 1),
        # The 1-minute average when the import ended: how busy the machine was during it.
        "load_average_at_end": round(load_after, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    data = ROOT / "bench" / "data"
    data.mkdir(parents=True, exist_ok=True)
    csv_path = data / f"import-{args.rows}.csv"
    if not csv_path.exists():
        generate(csv_path, args.rows)
    results = []
    for _ in range(args.runs):
        # A fresh process per run, so peak memory and the database start from nothing.
        work = Path(tempfile.mkdtemp(prefix="kt-bench-import-"))
        database_url = f"sqlite:///{work / 'bench.sqlite3'}"
        if args.db == "postgresql":
            database_url = os.environ.get("BENCH_DATABASE_URL", POSTGRESQL_URL)
            _recreate_postgresql_database(database_url)
        pid = os.fork()
        if pid == 0:
            os.environ["KARTOTEKA_DATA_DIR"] = str(work)
            os.environ["DATABASE_URL"] = database_url
            os.environ["DJANGO_SETTINGS_MODULE"] = "kartoteka.settings"
            os.environ["KARTOTEKA_TASKS"] = "immediate"
            (work / "result.json").write_text(json.dumps(run_once(csv_path, args.rows)))
            os._exit(0)
        os.waitpid(pid, 0)
        results.append(json.loads((work / "result.json").read_text()))
        shutil.rmtree(work, ignore_errors=True)
        print(json.dumps(results[-1]))
    summary = {
        "database": args.db,
        "rows": args.rows,
        "columns": len(HEADERS),
        "runs": results,
        "median_rows_per_second": statistics.median(r["rows_per_second"] for r in results),
        "median_seconds": statistics.median(r["seconds"] for r in results),
        "max_peak_rss_mb": max(r["peak_rss_mb"] for r in results),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
    }
    out = ROOT / "bench" / "results" / "import.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    # One entry per database and file size, so a quick small run does not replace the 1M result.
    kept = json.loads(out.read_text()) if out.exists() else {}
    by_database = kept.get("by_database", {})
    by_database.setdefault(args.db, {})[str(args.rows)] = summary
    out.write_text(json.dumps({"benchmark": "import", "by_database": by_database}, indent=2) + "\n")
    print(json.dumps({k: v for k, v in summary.items() if k != "runs"}))


if __name__ == "__main__":
    main()
