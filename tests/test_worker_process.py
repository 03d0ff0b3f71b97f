"""A real `kartoteka worker` process, killed in the middle of an import, and the next worker
finishing it without duplicates or lost rows — on the database queue and on Redis (RQ).

The processes get a database of their own (an SQLite file, or a fresh PostgreSQL database when
the suite runs on PostgreSQL), since they cannot see the test transaction.
"""

import contextlib
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import redis

from tests.procfs import alive

ROWS = 30_000
KARTOTEKA = str(Path(sys.executable).with_name("kartoteka"))
REDIS = "redis://127.0.0.1:6379"
ENQUEUE = """
import sys
from pathlib import Path
import django
django.setup()
from kartoteka.accounts.models import User
from kartoteka.transfer import services
admin = User.objects.get(username="boss")
imp = services.upload_import(admin, upload=Path(sys.argv[1]), file_name="people.csv")
services.start_import(admin, imp)
"""

# The same, from a process started beforehand: it says "ready" once Django is set up and
# enqueues when told, so the moment of queueing does not depend on how fast a Python process
# starts on a busy machine.
ENQUEUE_WHEN_TOLD = ENQUEUE.replace(
    "admin = User", 'print("ready", flush=True)\nsys.stdin.readline()\nadmin = User'
)


class Database:
    """The worker's database, read from here with a plain driver while the worker writes."""

    def __init__(self, data_dir: Path):
        suite_url = os.environ.get("DATABASE_URL", "")
        self.server = suite_url.rsplit("/", 1)[0] if suite_url.startswith("postgres") else None
        if self.server:
            self.name = f"kt_worker_{uuid.uuid4().hex[:12]}"
            with psycopg.connect(f"{self.server}/postgres", autocommit=True) as admin:
                admin.execute(f'CREATE DATABASE "{self.name}"')
            self.url = f"{self.server}/{self.name}"
        else:
            self.path = data_dir / "kartoteka.sqlite3"
            self.url = f"sqlite:///{self.path}"

    def one(self, sql: str, params: tuple = ()) -> tuple:
        if self.server:
            with psycopg.connect(self.url) as connection:
                return connection.execute(sql.replace("?", "%s"), params).fetchone()
        connection = sqlite3.connect(self.path, timeout=10)
        try:
            return connection.execute(sql, params).fetchone()
        finally:
            connection.close()

    def write(self, sql: str, params: tuple = ()) -> None:
        if self.server:
            with psycopg.connect(self.url) as connection:
                connection.execute(sql.replace("?", "%s"), params)
            return
        connection = sqlite3.connect(self.path, timeout=10)
        with connection:
            connection.execute(sql, params)
        connection.close()

    def drop(self) -> None:
        if self.server:
            with psycopg.connect(f"{self.server}/postgres", autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def _environment(**settings: str) -> dict[str, str]:
    """This environment without the test suite's settings, plus `settings`, for a process of
    the real application."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "KARTOTEKA_", "DATABASE_", "REDIS_"))
    }
    env.update(DJANGO_SETTINGS_MODULE="kartoteka.settings", **settings)
    return env


@pytest.fixture(params=["database", "rq"])
def worker_env(request, tmp_path):
    database = Database(tmp_path)
    env = _environment(
        KARTOTEKA_DATA_DIR=str(tmp_path), KARTOTEKA_TASKS=request.param, DATABASE_URL=database.url
    )
    queue = claim = None
    if request.param == "rq":
        # A Redis database of its own (1–15), emptied before and after: claimed in database 0,
        # so two suites running side by side (SQLite and PostgreSQL in CI) never share one.
        number, claim = _claim_redis_database()
        env["REDIS_URL"] = f"{REDIS}/{number}"
        queue = redis.Redis.from_url(env["REDIS_URL"])
        queue.flushdb()
    yield env, database
    if queue is not None:
        queue.flushdb()
        redis.Redis.from_url(f"{REDIS}/0").delete(claim)
    database.drop()


def _claim_redis_database() -> tuple[int, str]:
    """A Redis database number no other test process holds, and the key that holds it (it
    expires by itself if this process dies)."""
    registry = redis.Redis.from_url(f"{REDIS}/0")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        for number in random.sample(range(1, 16), 15):
            key = f"kartoteka-tests:redis-db:{number}"
            if registry.set(key, os.getpid(), nx=True, ex=900):
                return number, key
        time.sleep(0.5)
    raise RuntimeError("every Redis test database (1-15) is held by another test process")


def _processes() -> Iterator[tuple[int, list[str]]]:
    """(pid, the fields of /proc/pid/stat after "pid (comm)": state ppid pgrp session …)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            yield int(stat.parent.name), stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue


def _kill_session(session_id: int) -> None:
    """SIGKILL the worker and every process it started — the normalising pool, and RQ's work
    horse, which runs in a process group of its own but stays in the worker's session."""
    for pid, fields in _processes():
        if int(fields[3]) == session_id:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _run(env: dict, *args: str, stdin: str | None = None) -> None:
    subprocess.run(args, env=env, input=stdin, text=True, check=True, timeout=300)


def _import_killed_midway(env: dict, database: Database, tmp_path: Path) -> None:
    """An import of ROWS rows whose worker (and every process it started) was killed with
    SIGKILL after its first committed batch."""
    people = tmp_path / "people.csv"
    people.write_text(
        "email,first_name,last_name\n"
        + "".join(f"person{n}@example.com,Person,Number {n}\n" for n in range(ROWS))
    )
    _run(env, KARTOTEKA, "init", "--admin", "boss", "--password-stdin", stdin="s3cret-pass\n")
    _run(env, sys.executable, "-c", ENQUEUE, str(people))

    worker = subprocess.Popen(
        [KARTOTEKA, "worker"], env=env, start_new_session=True, stdout=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 120
        checkpoint = 0
        while not checkpoint and time.monotonic() < deadline:
            time.sleep(0.02)
            checkpoint = database.one("SELECT checkpoint FROM transfer_import")[0]
        _kill_session(worker.pid)
    finally:
        worker.wait(timeout=30)
    status, checkpoint = database.one("SELECT status, checkpoint FROM transfer_import")
    assert status == "running" and 0 < checkpoint < ROWS, "killed mid-import"
    assert database.one("SELECT count(*) FROM contacts_contact")[0] == checkpoint


def _assert_imported_once(database: Database) -> None:
    status, created, done = database.one(
        "SELECT status, created_count, checkpoint FROM transfer_import"
    )
    assert (status, created, done) == ("done", ROWS, ROWS)
    contacts, emails = database.one("SELECT count(*), count(DISTINCT email) FROM contacts_contact")
    assert contacts == emails == ROWS


def test_a_killed_worker_leaves_an_import_the_next_worker_finishes(worker_env, tmp_path):
    env, database = worker_env
    _import_killed_midway(env, database, tmp_path)

    # Minutes later: without a heartbeat since, the import counts as interrupted.
    database.write("UPDATE transfer_import SET heartbeat_at = ?", ("2000-01-01 00:00:00",))
    _run(env, KARTOTEKA, "worker", "--batch")
    _assert_imported_once(database)


def test_a_running_worker_resumes_the_import_of_a_killed_worker(worker_env, tmp_path):
    env, database = worker_env
    _import_killed_midway(env, database, tmp_path)
    running = subprocess.Popen(
        [KARTOTEKA, "worker"],
        env=env,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        # Started (and found nothing to resume: the import was heard of a moment ago)…
        for line in running.stdout:
            if "Starting worker" in line or "Listening on" in line:
                break
        threading.Thread(target=running.stdout.read, daemon=True).start()
        # …then the import's heartbeat is old enough to count as stopped.
        database.write("UPDATE transfer_import SET heartbeat_at = ?", ("2000-01-01 00:00:00",))
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if database.one("SELECT status FROM transfer_import")[0] == "done":
                break
            time.sleep(0.5)
    finally:
        _kill_session(running.pid)
        running.wait(timeout=30)
    _assert_imported_once(database)


MANY_SEGMENTS = """
import django
django.setup()
from kartoteka.accounts.models import User
from kartoteka.segments.models import Segment
admin = User.objects.get(username="boss")
polish = {"field": "country", "op": "eq", "value": "PL"}
Segment.objects.bulk_create(
    Segment(owner=admin, name=f"Polish {n}", document=polish) for n in range(4000)
)
"""


def test_an_import_starts_within_two_seconds_while_the_worker_recounts_segments(
    worker_env, tmp_path
):
    env, database = worker_env
    people = tmp_path / "people.csv"
    people.write_text("email\n" + "".join(f"p{n}@example.com\n" for n in range(10)))
    _run(env, KARTOTEKA, "init", "--admin", "boss", "--password-stdin", stdin="s3cret-pass\n")
    _run(env, sys.executable, "-c", MANY_SEGMENTS)
    enqueuer = subprocess.Popen(
        [sys.executable, "-c", ENQUEUE_WHEN_TOLD, str(people)],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert enqueuer.stdout.readline().strip() == "ready"
    # A worker that starts recounts every segment at once (its periodic upkeep is due)…
    worker = subprocess.Popen(
        [KARTOTEKA, "worker"], env=env, start_new_session=True, stdout=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if database.one("SELECT count(*) FROM segments_segment WHERE count IS NOT NULL")[0]:
                break
            time.sleep(0.05)
        # …and an import queued meanwhile does not wait for the recount to end.
        enqueuer.communicate("go\n", timeout=300)
        assert enqueuer.returncode == 0
        queued_at = time.monotonic()
        while database.one("SELECT status FROM transfer_import")[0] == "queued":
            assert time.monotonic() - queued_at < 2, "the import waited for the worker"
            time.sleep(0.05)
        uncounted = "SELECT count(*) FROM segments_segment WHERE count IS NULL"
        assert database.one(uncounted)[0] > 0, "the recount was still running"
    finally:
        enqueuer.kill()
        _kill_session(worker.pid)
        worker.wait(timeout=30)


SEGMENT = """
import django
django.setup()
from kartoteka.accounts.models import User
from kartoteka.contacts import services as contacts
from kartoteka.segments import services as segments
admin = User.objects.get(username="boss")
polish = {"field": "country", "op": "eq", "value": "PL"}
segments.create_segment(admin, name="Polish", document=polish)
for n in range(3):
    contacts.create_contact(admin, data={"email": f"p{n}@example.pl", "country": "PL"})
"""


def test_a_batch_worker_recounts_segments_when_their_time_has_come(worker_env):
    env, database = worker_env
    _run(env, KARTOTEKA, "init", "--admin", "boss", "--password-stdin", stdin="s3cret-pass\n")
    _run(env, sys.executable, "-c", SEGMENT)
    assert database.one("SELECT count FROM segments_segment")[0] == 0  # counted when saved

    _run(env, KARTOTEKA, "worker", "--batch")
    assert database.one("SELECT count FROM segments_segment")[0] == 3

    # Counted again only once the interval has passed since the last recount was enqueued.
    database.write("UPDATE contacts_contact SET country = ?", ("ES",))
    _run(env, KARTOTEKA, "worker", "--batch")
    assert database.one("SELECT count FROM segments_segment")[0] == 3
    database.write("UPDATE core_periodicrun SET last_enqueued_at = ?", ("2000-01-01 00:00:00",))
    _run(env, KARTOTEKA, "worker", "--batch")
    assert database.one("SELECT count FROM segments_segment")[0] == 0


def test_stopping_serve_with_sigterm_stops_its_worker_too(tmp_path):
    port = _free_port()
    environment = _environment(
        KARTOTEKA_DATA_DIR=str(tmp_path),
        KARTOTEKA_TASKS="database",
        DATABASE_URL=f"sqlite:///{tmp_path / 'serve.sqlite3'}",
    )
    server = subprocess.Popen(
        [KARTOTEKA, "serve", "--port", str(port)],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        for line in server.stdout:
            if "is running at" in line:
                break
        worker = _worker_of(server.pid)
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0
        # An ended process whose parent is gone stays a zombie where PID 1 reaps nobody (as in
        # this test's containers): ended, though signal 0 still reaches it.
        assert not alive(worker), _describe(worker)
    finally:
        if server.poll() is None:
            server.kill()


# `serve` stopped with SIGTERM the moment it has said it is running: its `print` is replaced by
# one that sends this process SIGTERM right after that line, so the signal lands exactly where a
# fast service manager's could.
SIGTERM_WHEN_RUNNING = """
import os, signal, sys
import django
django.setup()
from kartoteka.core import cli
def print_then_terminate(*args, **kwargs):
    print(*args, **kwargs)
    if args and "is running at" in str(args[0]):
        os.kill(os.getpid(), signal.SIGTERM)
cli.print = print_then_terminate
cli.serve("127.0.0.1", int(sys.argv[1]), server="waitress")
"""


def test_a_sigterm_just_after_serve_says_it_runs_stops_its_worker_too(tmp_path):
    environment = _environment(
        KARTOTEKA_DATA_DIR=str(tmp_path),
        KARTOTEKA_TASKS="database",
        DATABASE_URL=f"sqlite:///{tmp_path / 'serve.sqlite3'}",
    )
    server = subprocess.Popen(
        [sys.executable, "-c", SIGTERM_WHEN_RUNNING, str(_free_port())],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        # Not communicate(): the worker writes to the same pipe, so its end would be awaited too.
        output = []
        for line in server.stdout:
            output.append(line)
            if "is running at" in line:
                break
        assert server.wait(timeout=60) == 0, "".join(output)
        # The worker outlived `serve` when the signal skipped the `finally` that stops it.
        orphans = [
            pid
            for pid, _fields in _processes()
            if f"--with-parent {server.pid} " in _command_line(pid) and alive(pid)
        ]
        assert not orphans, [_describe(pid) for pid in orphans]
    finally:
        if server.poll() is None:
            server.kill()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _worker_of(pid: int) -> int:
    """The `kartoteka worker` that `serve` (pid) started: not one of its web processes, which
    can be listed first once process ids have wrapped around."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for child, fields in _processes():
            if int(fields[1]) == pid and "--with-parent" in _command_line(child):
                return child
        time.sleep(0.1)
    raise AssertionError("serve started no worker")


def _command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")
    except FileNotFoundError:
        return ""


def _describe(pid: int) -> str:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return f"{pid} is gone"
    return f"{pid} still runs: {_command_line(pid)}\n{status}"


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for child, fields in _processes():
        children.setdefault(int(fields[1]), []).append(child)
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def test_killing_serve_takes_its_worker_and_web_processes_down(tmp_path):
    port = _free_port()
    environment = _environment(
        KARTOTEKA_DATA_DIR=str(tmp_path),
        KARTOTEKA_TASKS="database",
        DATABASE_URL=f"sqlite:///{tmp_path / 'serve.sqlite3'}",
    )
    server = subprocess.Popen(
        [KARTOTEKA, "serve", "--port", str(port), "--processes", "2"],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        for line in server.stdout:
            if "is running at" in line:
                break
        deadline = time.monotonic() + 30
        while len(started := _descendants(server.pid)) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(started) >= 3, "a worker and two web processes"
    finally:
        server.kill()
        server.wait()
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in started) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in started if alive(pid)]
