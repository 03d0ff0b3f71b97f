"""CLI: `kartoteka serve` (the web app) and `kartoteka worker` (background tasks)."""

import argparse
import signal
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command

from kartoteka.cli import CommandError
from kartoteka.core import schedule
from kartoteka.core.signals import worker_starting

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def register(commands: argparse._SubParsersAction) -> None:
    serve = commands.add_parser("serve", help="upgrade the database, then serve the web app")
    add_serve_arguments(serve)
    serve.set_defaults(handler=run_serve)

    worker = commands.add_parser(
        "worker", help="run background tasks (database queue, or Redis with KARTOTEKA_TASKS=rq)"
    )
    worker.add_argument("--batch", action="store_true", help="run the tasks waiting now, then stop")
    worker.set_defaults(handler=run_worker)


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"default {DEFAULT_HOST}")
    parser.add_argument("--port", default=str(DEFAULT_PORT), help=f"default {DEFAULT_PORT}")
    parser.add_argument(
        "--no-worker",
        action="store_true",
        help="do not start a background worker with the web app (when workers run elsewhere)",
    )


def check_port(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= 65535:
        raise CommandError(f"--port must be a number from 1 to 65535, got {value!r}")
    return int(value)


def serve(host: str, port: int, *, with_worker: bool = True) -> None:
    """Apply migrations, gather static files, and serve until interrupted; with `with_worker`,
    a worker process runs the background tasks (imports, exports, recounts) meanwhile, so one
    command is a working Kartoteka."""
    from waitress import serve as waitress_serve

    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    # Imported only now: WhiteNoise indexes the collected files when the app is built.
    from kartoteka.wsgi import application

    worker = start_worker() if with_worker else None
    # A service manager or `kill` stops the server with SIGTERM, which would end this process
    # at once and leave its worker running on alone: end as Ctrl+C does, through `finally`.
    signal.signal(signal.SIGTERM, _stop_serving)
    print(f"Kartoteka is running at http://{host}:{port}/ (Ctrl+C stops it)", flush=True)
    try:
        waitress_serve(application, host=host, port=port, threads=8, ident="kartoteka")
    finally:
        if worker is not None:
            stop_worker(worker)


def _stop_serving(signum: int, frame: object) -> None:
    raise SystemExit(0)


def start_worker() -> subprocess.Popen | None:
    """`kartoteka worker` as a child process, or None where tasks run in the web process."""
    if settings.TASKS["default"]["BACKEND"].endswith("ImmediateBackend"):
        return None
    worker = subprocess.Popen([sys.executable, "-m", "kartoteka", "worker"])
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
    serve(args.host, port, with_worker=not args.no_worker)
    return 0


def run_worker(args: argparse.Namespace) -> int:
    call_command("migrate", interactive=False, verbosity=0)
    backend = settings.TASKS["default"]["BACKEND"]
    if backend.endswith("ImmediateBackend"):
        raise CommandError("KARTOTEKA_TASKS=immediate runs tasks in the web process; no worker")
    worker_starting.send(sender=run_worker)
    # A batch run (e.g. from cron) enqueues what is due once; a long-running worker keeps a clock.
    if args.batch:
        schedule.enqueue_due()
    else:
        schedule.start_clock()
    if backend.endswith("RQBackend"):
        import django_rq
        from django_tasks_rq.backend import Job

        django_rq.get_worker("default", job_class=Job).work(burst=args.batch)
        return 0
    options = {"batch": True} if args.batch else {}
    call_command("db_worker", **options)
    return 0
