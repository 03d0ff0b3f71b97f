"""Benchmark: `kartoteka serve` under load on loopback, one process (waitress) against several
(gunicorn, one per core), on SQLite and PostgreSQL.

Builds N demo contacts (default 100,000) with `kartoteka demo --no-serve` (its bulk path) into a
fresh database, then, round after round, serves them with each server in turn and lets C
clients (default 16) send requests for S seconds (default 60) without pause, each taking the
next of: the list page, a search, a contact card, a contact through the API and an upsert of a
contact through the API (PUT by e-mail; a few hundred e-mails, so most are updates). Servers
alternate within a round, so that a noisy machine slows both alike; each figure is the median
over the rounds, and the load average is recorded with every run. Writes bench/results/load.json
and prints a markdown table.

    .venv/bin/python bench/load.py [--db sqlite|postgres] [--contacts N] [--clients C]
                                   [--seconds S] [--rounds R]

PostgreSQL: DATABASE_URL names the server and a database (postgres://user@host:5432/NAME);
the benchmark creates and drops the database NAME_load there.
"""

import argparse
import itertools
import json
import os
import platform
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psycopg
import requests

RESULTS = Path(__file__).resolve().parent / "results" / "load.json"
KARTOTEKA = str(Path(sys.executable).with_name("kartoteka"))
SERVERS = ("waitress", "gunicorn")
ENDPOINTS = ("list page", "search", "card page", "API detail", "API upsert")
UPSERT_EMAILS = 500


def _environment(data_dir: Path, database_url: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "KARTOTEKA_", "DATABASE_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="kartoteka.settings",
        KARTOTEKA_DATA_DIR=str(data_dir),
        KARTOTEKA_TASKS="database",
        KARTOTEKA_ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=database_url,
    )
    return env


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def build(env: dict[str, str], contacts: int) -> tuple[str, str, str]:
    """Load the demo contacts; the admin's name, password and a fresh API token."""
    started = time.monotonic()
    out = subprocess.run(
        [KARTOTEKA, "demo", "--contacts", str(contacts), "--no-serve"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    print(f"{contacts} contacts loaded in {time.monotonic() - started:.0f} s", flush=True)
    admin, password = re.search(r"admin login: (\S+) / (\S+)", out).groups()
    token = subprocess.run(
        [KARTOTEKA, "token", "create", admin], env=env, check=True, capture_output=True, text=True
    ).stdout.strip()
    return admin, password, token


class Server:
    def __init__(self, env: dict[str, str], kind: str):
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [KARTOTEKA, "serve", "--port", str(self.port), "--server", kind, "--no-worker"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.base}/login/", timeout=5).status_code == 200:
                    return
            except requests.ConnectionError:
                time.sleep(0.2)
        raise RuntimeError(f"{kind} did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=60)


def _session(base: str, admin: str, password: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base}/login/").text
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    answer = session.post(
        f"{base}/login/",
        data={"username": admin, "password": password, "csrfmiddlewaretoken": csrf},
        headers={"Referer": f"{base}/login/"},
        allow_redirects=False,
    )
    if answer.status_code != 302:
        raise RuntimeError(f"login failed: {answer.status_code}")
    return session


def measure(
    server: Server, login: tuple[str, str, str], ids: list[int], clients: int, seconds: float
) -> dict:
    admin, password, token = login
    base = server.base
    sessions = [_session(base, admin, password) for _ in range(clients)]
    api = {"Authorization": f"Bearer {token}"}
    samples: dict[str, list[float]] = {name: [] for name in ENDPOINTS}
    errors: dict[str, int] = dict.fromkeys(ENDPOINTS, 0)
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def request(session: requests.Session, name: str, rng: random.Random) -> requests.Response:
        contact = rng.choice(ids)
        if name == "list page":
            return session.get(f"{base}/contacts/")
        if name == "search":
            return session.get(f"{base}/contacts/", params={"q": rng.choice(["garcia", "nowak"])})
        if name == "card page":
            return session.get(f"{base}/contacts/{contact}/")
        if name == "API detail":
            return session.get(f"{base}/api/v1/contacts/{contact}", headers=api)
        n = rng.randrange(UPSERT_EMAILS)
        return session.put(
            f"{base}/api/v1/contacts/by-email/load{n}@example.com",
            json={"first_name": "Load", "last_name": f"Test {rng.randrange(1000)}"},
            headers=api,
        )

    def client(number: int) -> None:
        rng = random.Random(number)
        session = sessions[number]
        for name in itertools.islice(itertools.cycle(ENDPOINTS), number, None):
            if time.monotonic() >= stop_at:
                return
            started = time.perf_counter()
            try:
                ok = request(session, name, rng).status_code < 400
            except requests.RequestException:
                ok = False
            elapsed = time.perf_counter() - started
            with lock:
                samples[name].append(elapsed)
                errors[name] += not ok

    load_before = os.getloadavg()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - began
    result = {"seconds": round(wall, 1), "load_average_before": load_before[0]}
    result["load_average_after"] = os.getloadavg()[0]
    endpoints = {}
    for name, times in samples.items():
        endpoints[name] = _summary(times, errors[name], wall)
    endpoints["mix"] = _summary(
        [t for times in samples.values() for t in times], sum(errors.values()), wall
    )
    result["endpoints"] = endpoints
    return result


def _summary(times: list[float], errors: int, wall: float) -> dict:
    if not times:
        return {"requests": 0, "errors": errors}
    ordered = sorted(times)

    def pct(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000, 1)

    return {
        "requests": len(times),
        "requests_per_s": round(len(times) / wall, 1),
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "errors": errors,
    }


def _medians(runs: list[dict]) -> dict:
    endpoints = {}
    for name in [*ENDPOINTS, "mix"]:
        rows = [run["endpoints"][name] for run in runs]
        endpoints[name] = {
            key: round(statistics.median(row.get(key, 0) for row in rows), 1)
            for key in ("requests_per_s", "p50_ms", "p95_ms", "p99_ms")
        }
        endpoints[name]["errors"] = sum(row["errors"] for row in rows)
    return endpoints


def _database(kind: str, data_dir: Path) -> tuple[str, object]:
    if kind == "sqlite":
        return f"sqlite:///{data_dir / 'kartoteka.sqlite3'}", lambda: None
    given = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kartoteka")
    server, name = given.rsplit("/", 1)
    name = f"{name}_load"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return f"{server}/{name}", drop


def _table(results: dict) -> str:
    lines = [
        "| database | server | endpoint | requests/s | p50 ms | p95 ms | p99 ms | errors |",
        "|---|---|---|---:|---:|---:|---:|---:|",
    ]
    for db, by_server in results.items():
        for server, endpoints in by_server["median"].items():
            for name, row in endpoints.items():
                lines.append(
                    f"| {db} | {server} | {name} | {row['requests_per_s']} | {row['p50_ms']} "
                    f"| {row['p95_ms']} | {row['p99_ms']} | {row['errors']} |"
                )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], action="append")
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--servers", default=",".join(SERVERS))
    args = parser.parse_args()
    servers = args.servers.split(",")

    results: dict = {}
    for db in args.db or ["sqlite", "postgres"]:
        with tempfile.TemporaryDirectory(prefix="kt-bench-load-") as tmp:
            url, drop = _database(db, Path(tmp))
            try:
                env = _environment(Path(tmp), url)
                login = build(env, args.contacts)
                ids = _contact_ids(env, url)
                runs: dict[str, list[dict]] = {server: [] for server in servers}
                for round_number in range(args.rounds):
                    for kind in servers if round_number % 2 == 0 else servers[::-1]:
                        server = Server(env, kind)
                        try:
                            run = measure(server, login, ids, args.clients, args.seconds)
                        finally:
                            server.stop()
                        runs[kind].append(run)
                        mix = run["endpoints"]["mix"]
                        print(
                            f"{db} {kind} round {round_number + 1}: {mix['requests_per_s']} "
                            f"requests/s, p95 {mix['p95_ms']} ms, {mix['errors']} errors, "
                            f"load {run['load_average_before']:.1f}",
                            flush=True,
                        )
                results[db] = {
                    "median": {kind: _medians(runs[kind]) for kind in servers},
                    "runs": runs,
                }
            finally:
                drop()
    report = {
        "contacts": args.contacts,
        "clients": args.clients,
        "seconds": args.seconds,
        "rounds": args.rounds,
        "cpu_cores": os.cpu_count(),
        "python": platform.python_version(),
        "results": results,
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(_table(results))


def _contact_ids(env: dict[str, str], url: str) -> list[int]:
    code = (
        "import django; django.setup()\n"
        "from kartoteka.contacts.models import Contact\n"
        "print(' '.join(map(str, Contact.objects.values_list('pk', flat=True)[:5000])))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True
    ).stdout
    return [int(pk) for pk in out.split()]


if __name__ == "__main__":
    main()
