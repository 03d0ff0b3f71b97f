"""Benchmark: subscribe a segment of N contacts (default 100,000) to a mailing list, as the
background run and the API do it: consent, blocking and suppression checked in bulk, subscriber
rows written with multi-row INSERT (SQLite) or COPY (PostgreSQL), timeline entries in bulk, and
the confirmation e-mails of those without consent queued (double opt-in).

The contacts are the demo's (written once and kept: bench/data/ on SQLite, the database of
BENCH_DATABASE_URL on PostgreSQL); 70 % have an e-mail marketing consent (recorded with the
consents ledger's bulk form), 1 % are blocked and 1 % suppressed. Each timed run subscribes the
segment "everyone" to a new list, and is then undone (list, e-mails, timeline entries), so every
run starts from the same database. Besides the wall-clock time, the CPU time of this process
(the whole of SQLite's work) and, on a local PostgreSQL, of its server process are recorded:
on a shared machine they vary less than the wall clock. Writes bench/results/lists.json.

    .venv/bin/python bench/lists.py --db sqlite|postgresql [--contacts N] [--runs R]
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def server_cpu(connection) -> float | None:
    """CPU seconds (user and system) of the whole local PostgreSQL server: its postmaster with
    the children it has reaped, and every live child. On PostgreSQL a subscription writes its
    batches on several connections side by side, each a backend that ends with the run (its
    time then counts in the postmaster's reaped children); other databases' work counts too,
    so measure on a quiet machine. None on SQLite or when /proc cannot be read."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SHOW data_directory")
        data_directory = cursor.fetchone()[0]
    try:
        postmaster = int(Path(data_directory, "postmaster.pid").read_text().split()[0])
        fields = _stat(postmaster)
        total = sum(int(value) for value in fields[11:15])
        for child in Path(f"/proc/{postmaster}/task/{postmaster}/children").read_text().split():
            try:
                child_fields = _stat(int(child))
            except OSError:  # ended meanwhile: counted with the reaped children
                continue
            total += int(child_fields[11]) + int(child_fields[12])
    except OSError:
        return None
    return total / os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def configure(db: str, contacts: int) -> None:
    os.environ.setdefault("KARTOTEKA_DATA_DIR", "/tmp/kt-lists-bench")
    if db == "sqlite":
        data = ROOT / "bench" / "data"
        data.mkdir(parents=True, exist_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{data / f'lists-{contacts}.sqlite3'}"
    else:
        os.environ["DATABASE_URL"] = os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kt_lists_bench"
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
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def build(contacts: int) -> None:
    """The demo's contacts, their consents, blocks and suppressions; skipped when there."""
    from django.core.management import call_command

    from kartoteka.consents import services as consent_services
    from kartoteka.consents.queries import consent_statuses
    from kartoteka.consents.services import ConsentItem
    from kartoteka.contacts.demo import load_demo
    from kartoteka.contacts.models import Contact
    from kartoteka.core import database
    from kartoteka.core.scope import SYSTEM

    call_command("migrate", verbosity=0)
    if Contact.objects.count() < contacts:
        load_demo(contacts, progress=lambda _line: None)
    first = Contact.objects.order_by("pk").values_list("pk", flat=True).first()
    if consent_statuses([first], channel="email", purpose="marketing")[first] != "none":
        return
    rows = list(Contact.objects.order_by("pk").values_list("pk", "email")[:contacts])
    grants = [
        ConsentItem(pk, "email", "marketing", "granted", "import")
        for i, (pk, _email) in enumerate(rows)
        if i % 10 < 7
    ]
    for start in range(0, len(grants), 10_000):
        consent_services.record_consents(SYSTEM, grants[start : start + 10_000])
    for i, (pk, email) in enumerate(rows):
        if i % 100 == 7:
            consent_services.block_contact(SYSTEM, Contact(pk=pk), blocked=True, reason="bench")
        elif i % 100 == 8:
            consent_services.suppress(email, reason="unsubscribe")
    # What the worker's periodic refresh does (core.tasks): the consents tables were analysed
    # empty, at the end of the demo's load.
    database.refresh_planner_statistics()


def undo(mailing_list, last_entry: int | None) -> None:
    """Take a run back, so the next starts from the database as built: its list, e-mails and
    timeline entries (which would otherwise lengthen every contact's history run by run)."""
    from django.db import connection

    from kartoteka.activity.models import Activity
    from kartoteka.mailing.models import OutgoingEmail

    OutgoingEmail.objects.filter(mailing_list=mailing_list).delete()
    mailing_list.delete()
    if last_entry is not None:
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {Activity._meta.db_table} WHERE id > %s", [last_entry])


def measure(runs: int) -> dict:
    from django.db import connection

    from kartoteka.accounts.models import User
    from kartoteka.activity.models import Activity
    from kartoteka.core.scope import SYSTEM
    from kartoteka.mailing import services
    from kartoteka.mailing.models import MailingList
    from kartoteka.segments.models import Segment
    from kartoteka.segments.services import create_segment

    admin = User.objects.filter(role="admin").order_by("pk").first()
    segment = Segment.objects.filter(name="bench: everyone").first() or create_segment(
        admin, name="bench: everyone", document={"all": []}
    )
    for leftover in MailingList.objects.filter(key__startswith="bench-"):
        undo(leftover, None)
    timings, cpu, database_cpu, result = [], [], [], None
    for run in range(runs):
        mailing_list = services.create_list(
            SYSTEM, data={"key": f"bench-{run}", "name": f"Bench {run}", "double_opt_in": True}
        )
        last_entry = Activity.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        started, started_cpu = time.perf_counter(), time.process_time()
        started_database = server_cpu(connection)
        result = services.subscribe_matching(
            SYSTEM, mailing_list, segment_id=segment.pk, double_opt_in=True
        )
        timings.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
        if started_database is not None:
            database_cpu.append(server_cpu(connection) - started_database)
        undo(mailing_list, last_entry)
    return {
        "vendor": connection.vendor,
        "seconds_median": round(statistics.median(timings), 2),
        "seconds_each": [round(t, 2) for t in timings],
        "process_cpu_seconds_each": [round(t, 2) for t in cpu],
        "database_cpu_seconds_each": [round(t, 2) for t in database_cpu],
        "result": result.as_dict() if result else {},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    configure(args.db, args.contacts)
    ensure_database(args.db)
    build(args.contacts)
    results = measure(args.runs)
    results.update(
        contacts=args.contacts,
        runs=args.runs,
        python=platform.python_version(),
        machine=f"{os.cpu_count()} cores",
        load_average=[round(x, 1) for x in os.getloadavg()],
    )
    out = ROOT / "bench" / "results" / "lists.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    existing = json.loads(out.read_text()) if out.exists() else {}
    existing[args.db] = results
    out.write_text(json.dumps(existing, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
