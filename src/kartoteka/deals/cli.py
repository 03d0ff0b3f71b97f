"""`kartoteka deals import FILE`: deals from a CSV or XLSX file, by the contacts' import rules."""

import argparse
from pathlib import Path

from kartoteka.core.errors import CommandError


def register(commands) -> None:
    deals = commands.add_parser("deals", help="deals: import them from a file")
    actions = deals.add_subparsers(dest="action", metavar="ACTION", required=True)
    importer = actions.add_parser(
        "import",
        help="import deals from CSV or XLSX, or revert an import",
        description="Import deals from a CSV or XLSX file; contacts are named by e-mail"
        " (several separated by ';', the first is the primary one).",
    )
    importer.add_argument("file", nargs="?", help="the file to import")
    importer.add_argument("--revert", type=int, metavar="IMPORT_ID", help="revert an import")
    importer.add_argument("--dry-run", action="store_true", help="show what would happen")
    importer.add_argument(
        "--errors",
        metavar="REPORT.csv",
        help="write the rows with problems here (line, level, problems, the row's cells)",
    )
    importer.add_argument(
        "--strict",
        action="store_true",
        help="reject any row with a problem (default: import a row without its bad optional"
        " values, each reported as a warning)",
    )
    importer.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="COLUMN=FIELD",
        help="map a column (header or number from 1) to a field: name, amount, currency,"
        " owner, pipeline, stage, type, expected_close_date, contacts, properties.KEY;"
        " FIELD may be 'ignore'",
    )
    importer.add_argument("--user", metavar="USERNAME", help="act as this user")
    importer.set_defaults(handler=_import)


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
    from kartoteka.deals import imports

    actor = _actor(args.user)
    if args.revert is not None:
        found = imports.get_import(actor, args.revert)
        kept = imports.revert_import(actor, found)
        for line in kept:
            print(line)
        print(f"reverted deal import #{found.pk}; {len(kept)} changed since and kept")
        return 0
    if not args.file:
        raise CommandError("give a FILE to import, or --revert IMPORT_ID")
    path = Path(args.file)
    if not path.is_file():
        raise CommandError(f"no such file: {path}")
    result = imports.import_deals(
        actor,
        path,
        file_name=path.name,
        pairs=args.map,
        strict=args.strict,
        dry_run=args.dry_run,
    )
    mapped = ", ".join(f"{result.headers[i]} → {t}" for i, t in sorted(result.mapping.items()))
    print(f"{path.name}: {mapped}{'; strict' if args.strict else ''}")
    for problem in result.problems:
        column = f"{problem.column}: " if problem.column else ""
        print(f"line {problem.line}: {problem.level}: {column}{problem.message}")
    if args.errors:
        with open(args.errors, "w", encoding="utf-8", newline="") as out:
            out.writelines(imports.problems_csv(result))
    verb = "would create" if args.dry_run else "created"
    print(f"{verb} {result.created}, failed {result.failed}, with warnings {result.warned}")
    if result.deal_import is not None:
        print(f"deal import #{result.deal_import.pk} (revert: --revert {result.deal_import.pk})")
    return 0
