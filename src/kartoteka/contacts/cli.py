"""CLI: `kartoteka demo` — a ready-to-try Kartoteka with thousands of realistic contacts."""

import argparse

from django.core.management import call_command

from kartoteka.contacts.demo import load_demo
from kartoteka.core.cli import DEFAULT_HOST, DEFAULT_PORT, check_port, serve
from kartoteka.core.errors import CommandError

MAX_DEMO_CONTACTS = 1_000_000


def register(commands: argparse._SubParsersAction) -> None:
    demo = commands.add_parser(
        "demo", help="load demo data (team, custom details, contacts), then serve"
    )
    demo.add_argument("--contacts", default="5000", help="how many contacts (default 5000)")
    demo.add_argument("--no-serve", action="store_true", help="load the data and stop")
    demo.add_argument("--port", default=str(DEFAULT_PORT), help=f"default {DEFAULT_PORT}")
    demo.add_argument("--no-worker", action="store_true", help="serve without a background worker")
    demo.set_defaults(handler=run_demo)


def run_demo(args: argparse.Namespace) -> int:
    raw = str(args.contacts).strip()
    if not raw.isdigit() or int(raw) > MAX_DEMO_CONTACTS:
        raise CommandError(
            f"--contacts must be a whole number from 0 to {MAX_DEMO_CONTACTS}, got {raw!r}"
        )
    port = check_port(args.port)
    call_command("migrate", interactive=False, verbosity=0)
    print(f"Loading {int(raw)} demo contacts…", flush=True)
    result = load_demo(int(raw), progress=lambda line: print(line, flush=True))
    print(
        f"Demo data ready in {result.seconds:.1f} s: {result.created} contacts added, "
        f"{result.existing} already there.\n"
        f"  admin login: {result.admin} / {result.admin_password}\n"
        f"  sales login: {result.sales} / {result.sales_password}  (sees only own contacts)",
        flush=True,
    )
    if not args.no_serve:
        serve(DEFAULT_HOST, port, with_worker=not args.no_worker)
    return 0
