"""Benchmark: `kartoteka demo --contacts N --no-serve` from an empty database (default
1,000,000 contacts; the target is 10 minutes), on SQLite or PostgreSQL.

Each run starts from an empty database, migrates, and loads the demo as the command does: the
team, the contacts (drawn and prepared by helper processes from 20,000 up, written in bulk),
then each app's part on "demo.loaded" (deals, purchases, consents, mailing lists, segments),
each timed on its own. The machine is shared, so it reports CPU seconds beside the wall clock:
this process's, its helpers', and on PostgreSQL the server backend's that wrote the load
(/proc/PID/stat; the server must run on this machine), with the load average. Writes
bench/results/demo.json, one entry per database and count.

    .venv/bin/python bench/demo.py [N] [--db sqlite|postgresql]

PostgreSQL runs go to kt_bench_demo on the local server (dropped and created for each run)
unless BENCH_DATABASE_URL names another.
"""

import argparse
import json
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

POSTGRESQL_URL = "postgres://postgres@127.0.0.1:5432/kt_bench_demo"
TICKS = os.sysconf("SC_CLK_TCK")


def _recreate_postgresql_database(url: str) -> None:
    import psycopg

    server, name = url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def _backend_cpu(pid: int | None) -> float:
    """CPU seconds of a local PostgreSQL backend so far."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def _log(text: str) -> None:
    """A line on stderr as the run goes, so a run stopped early still says how far it got."""
    print(text, file=sys.stderr, flush=True)


def _server_pid() -> int | None:
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    connection.ensure_connection()
    return connection.connection.info.backend_pid


def _timed(name: str, handler, times: dict, cpu: dict, server: dict):
    def timed(**payload):
        started, cpu_before = time.perf_counter(), time.process_time()
        server_before = _backend_cpu(_server_pid())
        handler(**payload)
        times[name] = round(time.perf_counter() - started, 1)
        cpu[name] = round(time.process_time() - cpu_before, 1)
        server[name] = round(_backend_cpu(_server_pid()) - server_before, 1)
        _log(
            f"{name}: {times[name]} s, CPU {cpu[name]} s + server {server[name]} s, "
            f"load {os.getloadavg()[0]:.1f}"
        )

    return timed


def run_once(count: int) -> dict:
    import django
    from django.core.management import call_command
    from django.db import connection

    django.setup()
    call_command("migrate", verbosity=0)
    from kartoteka.contacts.demo import load_demo
    from kartoteka.contacts.models import Contact
    from kartoteka.core import events

    # Each app's part of the demo, timed by its own wrapper (the subscribers stay in order).
    apps_seconds: dict[str, float] = {}
    apps_cpu: dict[str, float] = {}
    apps_server: dict[str, float] = {}
    handlers = list(events._subscribers["demo.loaded"])
    for handler in handlers:
        events.unsubscribe("demo.loaded", handler)
        name = f"{handler.__module__}.{handler.__name__}"
        events.subscribe("demo.loaded", _timed(name, handler, apps_seconds, apps_cpu, apps_server))
    contacts_done: list[float] = []
    contacts_cpu: list[float] = []

    def progress(line: str) -> None:
        contacts_done[:] = [time.perf_counter()]
        done = int(line.split()[0])
        if done % 50_000 == 0 or done == count:
            helpers = resource.getrusage(resource.RUSAGE_CHILDREN)
            _log(
                f"{done} contacts: {contacts_done[0] - started:.0f} s, CPU "
                f"{time.process_time() - cpu_before:.0f} s + helpers "
                f"{helpers.ru_utime + helpers.ru_stime:.0f} s, load {os.getloadavg()[0]:.1f}"
            )
        contacts_cpu[:] = [time.process_time() - cpu_before, _backend_cpu(_server_pid())]

    load_before = os.getloadavg()[0]
    cpu_before = time.process_time()
    started = time.perf_counter()
    result = load_demo(count, progress=progress)
    seconds = time.perf_counter() - started
    load_after = os.getloadavg()[0]
    main_cpu = time.process_time() - cpu_before
    helpers = resource.getrusage(resource.RUSAGE_CHILDREN)
    contacts = Contact.objects.count()
    connection.close()
    return {
        "seconds": round(seconds, 1),
        "contacts_seconds": round((contacts_done[0] if contacts_done else started) - started, 1),
        "apps_seconds": apps_seconds,
        "contacts_per_second": round(count / seconds),
        "created": result.created,
        "contacts": contacts,
        "cpu_seconds_main": round(main_cpu, 1),
        "cpu_seconds_helpers": round(helpers.ru_utime + helpers.ru_stime, 1),
        "apps_cpu_seconds_main": apps_cpu,
        "contacts_cpu_seconds_main": round(contacts_cpu[0], 1) if contacts_cpu else 0,
        # The backend that wrote the contacts (after the helpers started; PostgreSQL only) and
        # the one that wrote each app's part.
        "contacts_cpu_seconds_server": round(contacts_cpu[1], 1) if contacts_cpu else 0,
        "apps_cpu_seconds_server": apps_server,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "load_average_at_start": round(load_before, 1),
        "load_average_at_end": round(load_after, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kt-bench-demo-"))
    database_url = f"sqlite:///{work / 'bench.sqlite3'}"
    if args.db == "postgresql":
        database_url = os.environ.get("BENCH_DATABASE_URL", POSTGRESQL_URL)
        _recreate_postgresql_database(database_url)
    # A fresh process, so its CPU and memory are the demo's alone.
    pid = os.fork()
    if pid == 0:
        os.environ["KARTOTEKA_DATA_DIR"] = str(work)
        os.environ["DATABASE_URL"] = database_url
        os.environ["DJANGO_SETTINGS_MODULE"] = "kartoteka.settings"
        os.environ["KARTOTEKA_TASKS"] = "immediate"
        (work / "result.json").write_text(json.dumps(run_once(args.count)))
        os._exit(0)
    os.waitpid(pid, 0)
    result = json.loads((work / "result.json").read_text())
    shutil.rmtree(work, ignore_errors=True)
    result["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version()}
    out = ROOT / "bench" / "results" / "demo.json"
    kept = json.loads(out.read_text()) if out.exists() else {}
    by_database = kept.get("by_database", {})
    by_database.setdefault(args.db, {})[str(args.count)] = result
    out.write_text(json.dumps({"benchmark": "demo", "by_database": by_database}, indent=2) + "\n")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
