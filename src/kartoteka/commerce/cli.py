"""`kartoteka events import FILE` and `kartoteka events revert BATCH`."""

import argparse
import csv
import json
import sys
from pathlib import Path

from kartoteka.core.errors import CommandError


def register(commands) -> None:
    events = commands.add_parser("events", help="import events from CSV, or revert an import")
    actions = events.add_subparsers(dest="action", required=True)
    importer = actions.add_parser(
        "import",
        help="import events, one per row",
        description="Import events from a CSV file, one event per row; columns named as event"
        " fields (id, email, contact_id, external_id, type, occurred_at, value, currency, sku,"
        " name, price, quantity, category, url, location, coupon, order, method, status,"
        " details.<name>) are mapped to them.",
    )
    importer.add_argument("file", help="the CSV file")
    importer.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="COLUMN=FIELD",
        help="map a column (header or number from 1) to a field; FIELD may be 'ignore'",
    )
    importer.add_argument("--dry-run", action="store_true", help="check everything, write nothing")
    importer.add_argument(
        "--no-create-contacts",
        dest="create_contacts",
        action="store_false",
        help="reject events of unknown e-mail addresses instead of creating contacts",
    )
    importer.add_argument("--errors", metavar="REPORT.csv", help="write the rejected rows here")
    importer.add_argument("--user", metavar="USERNAME", help="act as this user")
    importer.set_defaults(handler=_import)
    revert = actions.add_parser("revert", help="take back every event of an import")
    revert.add_argument("batch", help="the import's batch, as the import printed it")
    revert.add_argument("--user", metavar="USERNAME", help="act as this user")
    revert.set_defaults(handler=_revert)


def _actor(username: str | None):
    from kartoteka.accounts.queries import active_users
    from kartoteka.core.scope import SYSTEM

    if not username:
        return SYSTEM
    user = active_users().filter(username__iexact=username).first()
    if user is None:
        raise CommandError(f"no active user named {username!r}")
    return user


def _import(args: argparse.Namespace) -> int:
    from kartoteka.commerce import imports, services

    path = Path(args.file)
    if not path.is_file():
        raise CommandError(f"no such file: {path}")
    chosen = {}
    for pair in args.map:
        column, sep, target = pair.partition("=")
        if not sep:
            raise CommandError(f"--map needs COLUMN=FIELD, got {pair!r}")
        chosen[column.strip()] = target.strip()
    _headers, rows = imports.read_rows(path, chosen)
    outcome = services.import_events(
        _actor(args.user), rows, create_contacts=args.create_contacts, dry_run=args.dry_run
    )
    if args.errors:
        with open(args.errors, "w", encoding="utf-8", newline="") as report:
            writer = csv.writer(report)
            writer.writerow(["row", "field", "message", "cells"])
            for item in outcome.rejected:
                for name, message in item["errors"].items():
                    writer.writerow([item["row"], name, message, json.dumps(item["cells"])])
    for item in outcome.rejected[:20]:
        problems = "; ".join(f"{k}: {v}" for k, v in item["errors"].items())
        print(f"row {item['row']}: {problems}", file=sys.stderr)
    print(
        json.dumps(
            {
                "batch": None if outcome.dry_run else outcome.batch,
                "dry_run": outcome.dry_run,
                "rows": outcome.rows,
                "accepted": outcome.accepted,
                "duplicates": outcome.duplicates,
                "rejected": len(outcome.rejected),
            }
        )
    )
    return 0


def _revert(args: argparse.Namespace) -> int:
    from kartoteka.commerce import services

    taken = services.revert_events_import(_actor(args.user), args.batch)
    print(f"reverted {taken} events of {args.batch}")
    return 0
