"""CLI: `kartoteka serve` (the web app) and `kartoteka worker` (background tasks)."""

import argparse
import contextlib
import importlib.util
import os
import signal
import socket
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.servers.basehttp import get_internal_wsgi_application
from django.db import connections

from kartoteka.core import config, processes, schedule
from kartoteka.core.errors import CommandError
from kartoteka.core.signals import worker_starting

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
# Threads of each gunicorn process: requests that wait on the database overlap, and a slow
# client or a keep-alive connection does not hold a whole process.
THREADS_PER_PROCESS = 4
# Waitress, the single-process server: one process for every request.
WAITRESS_THREADS = 8


def register(commands: argparse._SubParsersAction) -> None:
    serve = commands.add_parser("serve", help="upgrade the database, then serve the web app")
    add_serve_arguments(serve)
    serve.set_defaults(handler=run_serve)

    worker = commands.add_parser(
        "worker", help="run background tasks (database queue, or Redis with KARTOTEKA_TASKS=rq)"
    )
    worker.add_argument("--batch", action="store_true", help="run the tasks waiting now, then stop")
    # `serve` names itself here: the worker ends when serve dies, even by kill -9.
    worker.add_argument("--with-parent", type=int, metavar="PID", help=argparse.SUPPRESS)
    worker.set_defaults(handler=run_worker)


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"default {DEFAULT_HOST}")
    parser.add_argument("--port", default=str(DEFAULT_PORT), help=f"default {DEFAULT_PORT}")
    parser.add_argument(
        "--no-worker",
        action="store_true",
        help="do not start a background worker with the web app (when workers run elsewhere)",
    )
    parser.add_argument(
        "--server",
        choices=["gunicorn", "waitress"],
        default=None,
        help="gunicorn: several processes, the default where it is installed (Linux, macOS);"
        " waitress: one process, the fallback (Windows)",
    )
    parser.add_argument(
        "--processes",
        default=None,
        help="web processes with gunicorn (default: one per CPU core)",
    )


def default_server() -> str:
    return "gunicorn" if importlib.util.find_spec("gunicorn") is not None else "waitress"


def cpu_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def check_processes(value: str | None) -> int:
    if value is None:
        return cpu_cores()
    if not value.isdigit() or not 1 <= int(value) <= 256:
        raise CommandError(f"--processes must be a number from 1 to 256, got {value!r}")
    return int(value)


def check_port(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= 65535:
        raise CommandError(f"--port must be a number from 1 to 65535, got {value!r}")
    return int(value)


def serve(
    host: str,
    port: int,
    *,
    with_worker: bool = True,
    server: str | None = None,
    processes_count: int | None = None,
) -> None:
    """Apply migrations, gather static files, and serve until interrupted; with `with_worker`,
    a worker process runs the background tasks (imports, exports, recounts) meanwhile, so one
    command is a working Kartoteka."""
    server = server or default_server()
    if server == "gunicorn" and importlib.util.find_spec("gunicorn") is None:
        raise CommandError("--server gunicorn: gunicorn is not installed here; use waitress")
    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    allow_host(host)
    # Built only now: WhiteNoise indexes the collected files when the app is built. The one
    # settings.WSGI_APPLICATION names, as any WSGI server would load it.
    application = get_internal_wsgi_application()

    # The web processes are forked from this one: each opens database connections of its own.
    connections.close_all()
    serving_pid = os.getpid()
    # A service manager or `kill` stops the server with SIGTERM, which would end this process
    # at once and leave its worker running on alone: end as Ctrl+C does, through `finally`.
    # (gunicorn installs its own handler, which stops its processes and ends the same way.)
    # The handler raises wherever this process is, so everything after it is inside `try`: a
    # SIGTERM that came just after the message below once skipped the `finally`.
    signal.signal(signal.SIGTERM, _stop_serving)
    worker = None
    try:
        worker = start_worker() if with_worker else None
        print(f"Kartoteka is running at http://{host}:{port}/ (Ctrl+C stops it)", flush=True)
        if server == "gunicorn":
            count = processes_count or cpu_cores()
            print(f"{count} web processes serve it.", flush=True)
            _serve_with_gunicorn(application, host, port, count)
        else:
            from waitress import serve as waitress_serve

            waitress_serve(
                application, host=host, port=port, threads=WAITRESS_THREADS, ident="kartoteka"
            )
    finally:
        # A web process gunicorn forked leaves through here too when it ends: only `serve`
        # itself stops the worker.
        if worker is not None and os.getpid() == serving_pid:
            stop_worker(worker)


def allow_host(host: str) -> None:
    """Unless KARTOTEKA_ALLOWED_HOSTS says which, requests may name the host served on (its
    name and addresses, when serving on every address) besides the default ones."""
    if config.env_str("KARTOTEKA_ALLOWED_HOSTS", ""):
        return
    names = {host}
    if host in {"0.0.0.0", "::", ""}:
        names |= {socket.gethostname(), socket.getfqdn()}
        with contextlib.suppress(OSError):
            names |= {info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None)}
    names -= {"", "0.0.0.0", "::"}
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, *sorted(names - set(settings.ALLOWED_HOSTS))]


def _serve_with_gunicorn(application: Any, host: str, port: int, count: int) -> None:
    from gunicorn.app.base import BaseApplication

    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    options = {
        "bind": [bind],
        "workers": count,
        "worker_class": "gthread",
        "threads": THREADS_PER_PROCESS,
        "loglevel": "warning",
        "proc_name": "kartoteka",
        # A web process dies with the server, even when the server is killed with SIGKILL.
        "post_fork": lambda server, _worker: processes.die_with_parent(server.pid),
    }

    class Gunicorn(BaseApplication):
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return application

    Gunicorn().run()


def _stop_serving(signum: int, frame: object) -> None:
    raise SystemExit(0)


def start_worker() -> subprocess.Popen | None:
    """`kartoteka worker` as a child process, or None where tasks run in the web process."""
    if settings.TASKS["default"]["BACKEND"].endswith("ImmediateBackend"):
        return None
    worker = subprocess.Popen(
        [sys.executable, "-m", "kartoteka", "worker", "--with-parent", str(os.getpid())]
    )
    print("A background worker runs imports, exports and segment recounts.", flush=True)
    return worker


def stop_worker(worker: subprocess.Popen) -> None:
    # A task in flight is picked up again by the next worker (imports resume from their last
    # committed batch), so stopping does not wait for it to finish.
    worker.terminate()
    try:
        worker.wait(timeout=10)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


def run_serve(args: argparse.Namespace) -> int:
    port = check_port(args.port)
    if not args.host.strip():
        raise CommandError("--host must not be empty")
    serve(
        args.host,
        port,
        with_worker=not args.no_worker,
        server=args.server,
        processes_count=check_processes(args.processes),
    )
    return 0


def run_worker(args: argparse.Namespace) -> int:
    if args.with_parent:
        processes.die_with_parent(args.with_parent)
    call_command("migrate", interactive=False, verbosity=0)
    backend = settings.TASKS["default"]["BACKEND"]
    if backend.endswith("ImmediateBackend"):
        raise CommandError("KARTOTEKA_TASKS=immediate runs tasks in the web process; no worker")
    worker_starting.send(sender=run_worker)
    # A batch run (e.g. from cron) runs what is due once; a long-running worker keeps a clock.
    if args.batch:
        schedule.run_due()
    else:
        schedule.start_clock()
    if backend.endswith("RQBackend"):
        import django_rq
        from django.db import connections
        from django_tasks_rq.backend import Job

        # RQ forks a work horse for each task (PostgreSQL): none inherits this thread's
        # connection from migrate and the start-up signal.
        connections.close_all()
        django_rq.get_worker("default", job_class=Job, worker_class=_rq_worker_class()).work(
            burst=args.batch
        )
        return 0
    options = {"batch": True} if args.batch else {}
    call_command("db_worker", **options)
    return 0


def _rq_worker_class() -> type:
    from django.db import connection
    from rq import SimpleWorker, Worker

    if connection.vendor == "sqlite":
        # An SQLite connection must never cross a fork, and the worker's clock threads hold one
        # at any moment: a work horse forked then failed with "disk I/O error" or "database is
        # locked". With SQLite, tasks run in the worker process itself.
        return SimpleWorker

    class KartotekaWorker(Worker):
        """RQ runs each task in a work horse, a process forked from the worker: it dies with
        the worker (a worker killed, or the `serve` that started it)."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.worker_pid = os.getpid()

        def main_work_horse(self, *args: Any, **kwargs: Any) -> None:
            processes.die_with_parent(self.worker_pid)
            super().main_work_horse(*args, **kwargs)

    return KartotekaWorker
