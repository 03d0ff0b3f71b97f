"""Benchmark: website tracking — how fast the worker turns queued hits into visits, and how
many hits a second the collector takes under a bounded load on loopback.

drain: a fresh database with C known contacts, H queued hits (page views of V visitors, a
tenth of them identified, with campaign parameters and a few user agents, and one visitor with
P page views identified as a contact of its own), then the time and CPU time of
`tracking.services.process_hits()` until the queue is empty, and the reading of the Visits tab
of the contact with P page views (median of 20, wall and CPU).

collect: `kartoteka serve --no-worker` (gunicorn, one process per core) on a fresh database
with one site, and L client threads (default 16) posting hits for S seconds (default 60);
hits/s, errors by kind, latency percentiles, CPU time of the server per hit. The clients run
on the same machine, so the figure is a floor for a separate load generator. With
--with-worker, `serve` runs its worker, which drains the queue meanwhile (its CPU counts in the
server's), and the hits it had not yet taken when the load ended are reported.

floor: the same load on a bare WSGI app under the same gunicorn settings: what this machine
serves at all.

    .venv/bin/python bench/tracking.py drain [--db sqlite|postgresql] [--hits H] [--contacts C]
        [--heavy P] [--processes N] [--pg-name NAME]
    .venv/bin/python bench/tracking.py collect [--db sqlite|postgresql] [--clients L] [--seconds S]
        [--with-worker] [--client http|raw]
    .venv/bin/python bench/tracking.py floor [--clients L] [--seconds S]

drain --processes N: the drain's helper processes on PostgreSQL (process_hits(processes=N));
without it the drain chooses (one per core for a long queue). Its CPU time is the worker's with
its helpers', and PostgreSQL's that of every server process serving the benchmark's database
(sampled from /proc every 0.2 s, so a helper's connection counts up to its end).

Results go to bench/results/tracking-<part>[-<db>].json and are printed.
PostgreSQL: the database kt_bench_tracking (or --pg-name) on 127.0.0.1 is created and dropped.
"""

import argparse
import http.client
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
KARTOTEKA = str(Path(sys.executable).with_name("kartoteka"))
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_NAME = "kt_bench_tracking"
SYNCHRONOUS_COMMIT = True
AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.1 Safari/605.1.15",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0 Mobile Safari/537.36",
]


def _database(db: str, data_dir: Path) -> str:
    if db == "sqlite":
        return f"sqlite:///{data_dir / 'tracking.sqlite3'}"
    subprocess.run(
        ["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", PG_NAME], check=True
    )
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", PG_NAME], check=True)
    if not SYNCHRONOUS_COMMIT:
        # Measured only, never Kartoteka's setting: a commit is acknowledged before its WAL
        # is on disk, so hits answered 204 are lost if the server (not Kartoteka) crashes.
        subprocess.run(
            [
                "psql",
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-qc",
                f"ALTER DATABASE {PG_NAME} SET synchronous_commit = off",
            ],
            check=True,
        )
    return f"{PG_SERVER}/{PG_NAME}"


def _setup(database_url: str, data_dir: Path) -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="kartoteka.settings",
        KARTOTEKA_DATA_DIR=str(data_dir),
        KARTOTEKA_TASKS="immediate",
        KARTOTEKA_ALLOWED_HOSTS="testserver,127.0.0.1",
        DATABASE_URL=database_url,
    )
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def drain(db: str, hits: int, contacts: int, heavy: int, processes: int | None = None) -> dict:
    data_dir = Path(tempfile.mkdtemp(prefix="kt-bench-tracking-"))
    _setup(_database(db, data_dir), data_dir)
    import datetime as dt
    import random

    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from kartoteka.accounts.services import create_user
    from kartoteka.contacts.services import create_contact
    from kartoteka.core.scope import SYSTEM
    from kartoteka.tracking import services
    from kartoteka.tracking.models import Hit

    site = services.create_site(SYSTEM, name="Shop", domains=["shop.example.com"])
    for n in range(contacts):
        create_contact(SYSTEM, data={"email": f"c{n}@example.com", "first_name": f"C{n}"})
    rng = random.Random(7)
    visitors = max(1, hits // 25)
    start = timezone.now() - dt.timedelta(days=30)
    rows = []
    known = set()
    # One visitor with `heavy` page views (sessions of 10 pages, 1 a minute, spread over the 30
    # days), identified as a contact of its own: the Visits tab is read for that contact.
    heavy_contact = create_contact(
        SYSTEM, data={"email": "heavy@example.com", "first_name": "Heavy"}
    )
    if heavy:
        rows.append(
            Hit(
                site=site,
                visitor="visitor-heavy",
                kind="identify",
                received_at=start,
                data={"email": "heavy@example.com", "url": ""},
            )
        )
    for n in range(heavy):
        at = start + dt.timedelta(
            seconds=(n // 10) * (30 * 86400 // max(1, heavy // 10)) + n % 10 * 60
        )
        rows.append(
            Hit(
                site=site,
                visitor="visitor-heavy",
                kind="view",
                received_at=at,
                data={
                    "url": f"https://shop.example.com/p/{n % 500}",
                    "title": "P",
                    "ua": AGENTS[0],
                },
            )
        )
    # Sessions of 1-8 pages, a page every 20-120 s, at random times over 30 days; a tenth of
    # the visitors are identified (as a form or the site would) in their first session.
    while len(rows) < hits:
        visitor = rng.randrange(visitors)
        key = f"visitor-{visitor:08d}"
        at = start + dt.timedelta(seconds=rng.randrange(30 * 86400))
        if visitor % 10 == 0 and visitor not in known:
            known.add(visitor)
            email = f"c{visitor % contacts}@example.com"
            rows.append(
                Hit(
                    site=site,
                    visitor=key,
                    kind="identify",
                    received_at=at,
                    data={"email": email, "url": ""},
                )
            )
        landing = f"https://shop.example.com/p/{rng.randrange(500)}"
        if rng.random() < 0.3:
            landing += "?utm_source=google&utm_campaign=winter&gclid=Cj0" + str(len(rows))
        agent = AGENTS[visitor % len(AGENTS)]
        for page in range(rng.randint(1, 8)):
            url = landing if page == 0 else f"https://shop.example.com/p/{rng.randrange(500)}"
            rows.append(
                Hit(
                    site=site,
                    visitor=key,
                    kind="view",
                    received_at=at,
                    data={"url": url, "title": "Product", "ua": agent},
                )
            )
            at += dt.timedelta(seconds=rng.randint(20, 120))
    rows = sorted(rows[:hits], key=lambda hit: hit.received_at)
    Hit.objects.bulk_create(rows, batch_size=5000)
    del rows
    load_before = os.getloadavg()[0]
    backends = _BackendsCpu() if db == "postgresql" else None
    cpu = _own_and_helpers_cpu()
    began = time.perf_counter()
    # Without --processes the call is the one code before the option took too.
    processed = services.process_hits(**({"processes": processes} if processes else {}))
    seconds = time.perf_counter() - began
    cpu = _own_and_helpers_cpu() - cpu
    result = {
        "part": "drain",
        "db": db,
        "processes": processes,
        "hits": processed,
        "seconds": round(seconds, 2),
        "hits_per_s": round(processed / seconds),
        "worker_cpu_s": round(cpu, 1),
        "load_average_before": load_before,
        "load_average_after": os.getloadavg()[0],
    }
    if backends is not None:
        result["database_cpu_s"] = round(backends.stop(), 1)
        result["backend_samples_waiting_for_lock"] = round(
            backends.waiting / max(backends.samples, 1), 3
        )
    # Hits a second of CPU, the worker's and PostgreSQL's together: what the drain does when
    # it has the cores to itself.
    result["hits_per_cpu_s"] = round(processed / (cpu + result.get("database_cpu_s", 0)))
    # The Visits tab of the heavy visitor's contact: server time (median of 20) and the CPU
    # time of the request (and of PostgreSQL's process serving it).
    from kartoteka.tracking.models import VisitTotals

    totals = VisitTotals.objects.filter(contact_id=heavy_contact.pk).first()
    if totals and db == "postgresql":
        # What autovacuum would have done by now (it is off on some servers, this one among
        # them): with statistics from the middle of the drain the planner read every page
        # view for the tab's 20 visits.
        from kartoteka.core.database import refresh_planner_statistics

        refresh_planner_statistics(["tracking_visit", "tracking_pageview"])
    if totals:
        admin = create_user(SYSTEM, username="bench-admin", password="bench-pass-123", role="admin")
        client = Client()
        client.force_login(admin)
        times, cpu_times = [], []
        for _ in range(20):
            database_cpu = _database_cpu(connection) or 0.0
            cpu = time.process_time()
            began = time.perf_counter()
            assert client.get(f"/contacts/{heavy_contact.pk}/visits/").status_code == 200
            times.append((time.perf_counter() - began) * 1000)
            cpu = time.process_time() - cpu + (_database_cpu(connection) or 0.0) - database_cpu
            cpu_times.append(cpu * 1000)
        result["visits_tab_page_views"] = totals.page_views
        result["visits_tab_ms_median"] = round(statistics.median(times), 1)
        result["visits_tab_cpu_ms_median"] = round(statistics.median(cpu_times), 1)
    connection.close()
    shutil.rmtree(data_dir, ignore_errors=True)
    return result


def _database_cpu(connection) -> float | None:
    """CPU seconds of the PostgreSQL server process serving `connection` (None on SQLite,
    which runs in this process)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return _tree_cpu(cursor.fetchone()[0])


def _own_and_helpers_cpu() -> float:
    """CPU seconds of this process and of its ended children (the drain's helpers)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


class _BackendsCpu:
    """CPU seconds of the PostgreSQL server processes serving the benchmark's database from
    now until stop(), found by their process titles and sampled every 0.2 s: a backend that
    ends (a helper's) counts up to its last sample. No connection of its own, so none is open
    while the drain forks its helpers."""

    def __init__(self) -> None:
        self.samples = self.waiting = 0  # backends seen, and of them waiting for a lock
        self.start = self._sample()
        self.latest = dict(self.start)
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def _sample(self) -> dict[int, float]:
        found = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if title.startswith("postgres: ") and f" {PG_NAME} " in title:
                found[int(entry.name)] = _tree_cpu(int(entry.name))
                # The server's process title ends in "waiting" while it waits for a lock.
                self.samples += 1
                self.waiting += title.rstrip().endswith(" waiting")
        return found

    def _watch(self) -> None:
        while not self.done.wait(0.2):
            for pid, cpu in self._sample().items():
                self.latest[pid] = max(cpu, self.latest.get(pid, 0.0))

    def stop(self) -> float:
        self.done.set()
        self.thread.join()
        for pid, cpu in self._sample().items():
            self.latest[pid] = max(cpu, self.latest.get(pid, 0.0))
        return sum(cpu - self.start.get(pid, 0.0) for pid, cpu in self.latest.items())


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _tree_cpu(pid: int) -> float:
    """CPU seconds (user and system) of process `pid` and its children, from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total, pending = 0.0, [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
        pending.extend(int(child) for child in children)
    return total


def _own_and_ended_children_cpu(pid: int) -> float:
    """CPU seconds of process `pid` with those of its children that ended and were waited for
    (a worker's drain helpers, each pass's ended by the next)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(field) for field in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def _serve_cpu(pid: int) -> tuple[float, float]:
    """CPU seconds of `kartoteka serve` (process `pid`): its web processes, and its worker with
    the worker's helpers, ended or running."""
    web = worker = 0.0
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
            if b"worker" in command and b"--with-parent" in command:
                worker = _own_and_ended_children_cpu(int(child))
                grandchildren = Path(f"/proc/{child}/task/{child}/children").read_text().split()
                worker += sum(_tree_cpu(int(helper)) for helper in grandchildren)
            else:
                web += _tree_cpu(int(child))
        except OSError:
            continue
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    web += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return web, worker


def _commits() -> int:
    """Transactions committed on the benchmark's database so far (all of them: the drain's
    are one per batch of 2,000 hits)."""
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/{PG_NAME}", autocommit=True) as conn:
        return conn.execute(
            "SELECT xact_commit FROM pg_stat_database WHERE datname = %s", [PG_NAME]
        ).fetchone()[0]


def _wait_until_up(port: int, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 120
    while True:
        try:
            probe = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            probe.request("GET", "/t.js")
            probe.getresponse().read()
            return
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the server did not start:\n{log.read_text()[-3000:]}") from None
            time.sleep(0.2)


def _load(port: int, site_key: str, clients: int, seconds: float, client_kind: str) -> dict:
    """L client threads posting page views for S seconds, one keep-alive connection each (a
    new one after a failure), each sending its next hit once the last is answered: requests,
    errors by kind, latency percentiles, and the CPU time the clients took.

    The clients share the server's cores, so every millisecond they spend is one the server
    lacks. `http` (the default) is the standard library's http.client; `raw` writes each
    request on the socket and reads the status line and headers itself, with about a third of
    http.client's CPU a hit (docs/benchmarks.md has what each gave)."""
    latencies: list[float] = []
    errors: dict[str, int] = {}
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def body_of(number: int, n: int) -> str:
        return json.dumps(
            {
                "s": site_key,
                "v": f"visitor-{number:04d}-{n % 50:04d}",
                "k": "view",
                "u": f"https://shop.example.com/p/{n}",
                "t": "P",
            }
        )

    def http_client(number: int) -> tuple[list[float], dict[str, int]]:
        connection_ = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        mine: list[float] = []
        failed: dict[str, int] = {}
        n = 0
        while time.monotonic() < stop_at:
            n += 1
            body = body_of(number, n)
            began = time.perf_counter()
            try:
                connection_.request(
                    "POST",
                    "/t/collect",
                    body,
                    {
                        "Content-Type": "text/plain",
                        "Origin": "https://shop.example.com",
                        "User-Agent": AGENTS[number % len(AGENTS)],
                    },
                )
                answer = connection_.getresponse()
                answer.read()
                if answer.status != 204:
                    failed[str(answer.status)] = failed.get(str(answer.status), 0) + 1
            except OSError as exc:
                failed[type(exc).__name__] = failed.get(type(exc).__name__, 0) + 1
                connection_.close()
                connection_ = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            mine.append(time.perf_counter() - began)
        return mine, failed

    def raw_client(number: int) -> tuple[list[float], dict[str, int]]:
        head = (
            f"POST /t/collect HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            "Content-Type: text/plain\r\nOrigin: https://shop.example.com\r\n"
            f"User-Agent: {AGENTS[number % len(AGENTS)]}\r\nContent-Length: "
        ).encode()
        mine: list[float] = []
        failed: dict[str, int] = {}
        sock: socket.socket | None = None
        n = 0
        while time.monotonic() < stop_at:
            n += 1
            body = body_of(number, n).encode()
            began = time.perf_counter()
            try:
                if sock is None:
                    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
                sock.sendall(head + str(len(body)).encode() + b"\r\n\r\n" + body)
                status, closing = _read_answer(sock)
                if status != 204:
                    failed[str(status)] = failed.get(str(status), 0) + 1
                if closing:
                    sock.close()
                    sock = None
            except (OSError, ValueError) as exc:
                failed[type(exc).__name__] = failed.get(type(exc).__name__, 0) + 1
                if sock is not None:
                    sock.close()
                sock = None
            mine.append(time.perf_counter() - began)
        if sock is not None:
            sock.close()
        return mine, failed

    run = raw_client if client_kind == "raw" else http_client

    def client(number: int) -> None:
        mine, failed = run(number)
        with lock:
            latencies.extend(mine)
            for kind, count in failed.items():
                errors[kind] = errors.get(kind, 0) + count

    load_before = os.getloadavg()[0]
    cpu_before = time.process_time()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - began
    ordered = sorted(latencies)
    return {
        "clients": clients,
        "seconds": round(wall, 1),
        "requests": len(ordered),
        "requests_per_s": round(len(ordered) / wall),
        "errors": sum(errors.values()),
        "errors_by_kind": errors,
        "p50_ms": round(ordered[len(ordered) // 2] * 1000, 1) if ordered else None,
        "p95_ms": round(ordered[int(len(ordered) * 0.95)] * 1000, 1) if ordered else None,
        "clients_cpu_s": round(time.process_time() - cpu_before, 1),
        "load_average_before": load_before,
        "load_average_after": os.getloadavg()[0],
    }


def _read_answer(sock: socket.socket) -> tuple[int, bool]:
    """The status of the one answer on `sock`, read to its end (its headers, and the body its
    Content-Length announces), and whether the server closes the connection after it. A
    connection closed early or an unreadable answer raises."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionResetError("the server closed the connection")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length, closing = 0, False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"connection":
            closing = value.strip().lower() == b"close"
    while len(rest) < length:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionResetError("the server closed the connection")
        rest += chunk
    return status, closing


def _stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=60)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def collect(db: str, clients: int, seconds: float, *, with_worker: bool, client_kind: str) -> dict:
    data_dir = Path(tempfile.mkdtemp(prefix="kt-bench-collect-"))
    database_url = _database(db, data_dir)
    _setup(database_url, data_dir)
    from django.db import connection

    from kartoteka.core.scope import SYSTEM
    from kartoteka.tracking import services
    from kartoteka.tracking.models import Hit

    site = services.create_site(SYSTEM, name="Shop", domains=["shop.example.com"])
    connection.close()
    port = _free_port()
    env = {
        **os.environ,
        "KARTOTEKA_ALLOWED_HOSTS": "127.0.0.1",
        "KARTOTEKA_TASKS": "database",
        "KARTOTEKA_TRACKING_RATE": "1000000/m",
    }
    # The server's output is kept: a refusal or a failure under load names itself there.
    log = data_dir / "server.log"
    with log.open("w") as output:
        command = [KARTOTEKA, "serve", "--port", str(port), "--server", "gunicorn"]
        server = subprocess.Popen(
            command if with_worker else [*command, "--no-worker"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_up(port, server, log)
        web_before, worker_before = _serve_cpu(server.pid)
        # Sampled, not read at the end: a drain's helpers end, and their server processes too.
        backends = _BackendsCpu() if db == "postgresql" else None
        commits_before = _commits() if db == "postgresql" else 0
        result = _load(port, site.key, clients, seconds, client_kind)
        # With the worker, what it had not yet taken off the queue when the load ended.
        result["left_in_queue"] = Hit.objects.count()
        web_after, worker_after = _serve_cpu(server.pid)
        result["web_cpu_s"] = round(web_after - web_before, 1)
        result["worker_cpu_s"] = round(worker_after - worker_before, 1)
        result["server_cpu_s"] = round(result["web_cpu_s"] + result["worker_cpu_s"], 1)
        if backends is not None:
            result["database_cpu_s"] = round(backends.stop(), 1)
            time.sleep(1)  # the server reports a backend's counts at most once a second
            result["database_commits"] = _commits() - commits_before
    finally:
        _stop(server)
    result["queued"] = Hit.objects.count()
    served = result["requests"] - result["errors"]
    for part in ("web", "worker", "server", "database", "clients"):
        if f"{part}_cpu_s" in result:
            result[f"{part}_cpu_ms_per_hit"] = round(
                result[f"{part}_cpu_s"] * 1000 / max(served, 1), 3
            )
    if "database_commits" in result:
        result["database_commits_per_hit"] = round(result["database_commits"] / max(served, 1), 3)
    # The two cores' seconds the load had, and the share of them the measured parts took.
    result["cpu_busy_share"] = round(
        sum(result.get(f"{part}_cpu_s", 0) for part in ("server", "database", "clients"))
        / (result["seconds"] * (os.cpu_count() or 1)),
        2,
    )
    result["server_log_tail"] = log.read_text()[-3000:]
    connection.close()
    shutil.rmtree(data_dir, ignore_errors=True)
    return {
        "part": "collect",
        "db": db,
        "with_worker": with_worker,
        "client": client_kind,
        **result,
    }


def _bare_application(environ: dict, start_response) -> list[bytes]:
    """The floor: what any WSGI app must do for a hit (read the body, answer 204 with the
    CORS headers) and nothing more."""
    environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    start_response(
        "204 No Content",
        [
            ("Access-Control-Allow-Origin", environ.get("HTTP_ORIGIN", "")),
            ("Access-Control-Allow-Methods", "POST"),
            ("Access-Control-Allow-Headers", "Content-Type"),
            ("Vary", "Origin"),
        ],
    )
    return []


def serve_floor(port: int) -> None:
    """The bare application under gunicorn with the settings `kartoteka serve` uses."""
    import django

    django.setup()
    from kartoteka.core import cli

    cli._serve_with_gunicorn(_bare_application, "127.0.0.1", port, cli.cpu_cores())


def floor(clients: int, seconds: float, client_kind: str) -> dict:
    """The same load on a bare WSGI app served the way `kartoteka serve` serves Kartoteka."""
    port = _free_port()
    log = Path(tempfile.mkdtemp(prefix="kt-bench-floor-")) / "server.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [sys.executable, __file__, "serve-floor", "--port", str(port)],
            env={
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "kartoteka.settings",
                "KARTOTEKA_DATA_DIR": str(log.parent),
            },
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_up(port, server, log)
        server_cpu_before = _tree_cpu(server.pid)
        result = _load(port, "floor-site", clients, seconds, client_kind)
        result["server_cpu_s"] = round(_tree_cpu(server.pid) - server_cpu_before, 1)
    finally:
        _stop(server)
    result["server_cpu_ms_per_hit"] = round(
        result["server_cpu_s"] * 1000 / max(result["requests"] - result["errors"], 1), 2
    )
    shutil.rmtree(log.parent, ignore_errors=True)
    return {"part": "floor", "client": client_kind, **result}


def main() -> None:
    global PG_NAME, SYNCHRONOUS_COMMIT
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("part", choices=("drain", "collect", "floor", "serve-floor"))
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--hits", type=int, default=100_000)
    parser.add_argument("--contacts", type=int, default=2_000)
    parser.add_argument("--heavy", type=int, default=10_000, help="page views of one contact")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--processes", type=int, help="the drain's processes on PostgreSQL")
    parser.add_argument(
        "--with-worker", action="store_true", help="collect: serve with its worker draining"
    )
    parser.add_argument(
        "--client",
        choices=("raw", "http"),
        default="http",
        help="the load's clients: http.client, or raw sockets (less of the cores' time)",
    )
    parser.add_argument("--pg-name", default=PG_NAME, help="the PostgreSQL database to use")
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--label", help="a suffix of the result's file name (a series' runs)")
    parser.add_argument(
        "--asynchronous-commit",
        action="store_true",
        help="PostgreSQL: the database's synchronous_commit off (to measure what it trades)",
    )
    args = parser.parse_args()
    PG_NAME = args.pg_name
    SYNCHRONOUS_COMMIT = not args.asynchronous_commit
    if args.part == "serve-floor":
        serve_floor(args.port)
        return
    if args.part == "drain":
        result = drain(args.db, args.hits, args.contacts, args.heavy, args.processes)
    elif args.part == "collect":
        result = collect(
            args.db,
            args.clients,
            args.seconds,
            with_worker=args.with_worker,
            client_kind=args.client,
        )
    else:
        result = floor(args.clients, args.seconds, args.client)
    result.update(machine=platform.node(), cores=os.cpu_count())
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = "tracking-floor" if args.part == "floor" else f"tracking-{args.part}-{args.db}"
    if args.part == "collect" and args.with_worker:
        name += "-with-worker"
    if args.label:
        name += f"-{args.label}"
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
