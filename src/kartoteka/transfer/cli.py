"""`kartoteka import` and `kartoteka export`."""

import argparse
import json
import sys
import time
from pathlib import Path

from kartoteka.core.errors import CommandError


def register(commands) -> None:
    importer = commands.add_parser(
        "import",
        help="import contacts from CSV, XLSX or vCard, or revert an import",
        description="Import contacts from a CSV, XLSX or vCard file, matched by e-mail.",
    )
    importer.add_argument("file", nargs="?", help="the file to import")
    importer.add_argument("--revert", type=int, metavar="IMPORT_ID", help="revert an import")
    importer.add_argument(
        "--resume", type=int, metavar="IMPORT_ID", help="finish an interrupted import here"
    )
    importer.add_argument("--dry-run", action="store_true", help="show what would happen")
    importer.add_argument(
        "--errors",
        metavar="REPORT.csv",
        help="write the report here: rows rejected (errors) and rows imported without some"
        " values (warnings), each with its line and cells, to fix and import again",
    )
    importer.add_argument(
        "--phone-region",
        metavar="CC",
        help="country of phone numbers without a prefix in rows that name no country"
        " (e.g. PL; default: guessed from the file, else KARTOTEKA_DEFAULT_PHONE_REGION)",
    )
    importer.add_argument(
        "--strict",
        action="store_true",
        help="reject any row with a problem (default: import a row with a valid e-mail"
        " without its bad values, each reported as a warning)",
    )
    importer.add_argument("--owner", metavar="USERNAME", help="owner of new contacts")
    importer.add_argument("--tag", action="append", default=[], help="tag every contact")
    existing = importer.add_mutually_exclusive_group()
    existing.add_argument("--update-existing", dest="update", action="store_true", default=True)
    existing.add_argument("--skip-existing", dest="update", action="store_false")
    importer.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="COLUMN=FIELD",
        help="map a column (header or number from 1) to a field; FIELD may be 'ignore'",
    )
    importer.add_argument("--encoding", help="override the detected encoding")
    importer.add_argument("--delimiter", help="override the detected delimiter (use 'tab')")
    importer.add_argument("--user", metavar="USERNAME", help="act as this user")
    importer.set_defaults(handler=_import)

    exporter = commands.add_parser(
        "export",
        help="export contacts to CSV, XLSX or vCard",
        description="Export the contacts a filter selects (all by default).",
    )
    exporter.add_argument("out", help="OUT.csv, OUT.xlsx or OUT.vcf")
    exporter.add_argument(
        "--q", default="", help="filter in the text form, e.g. 'tag:vip country:ES'"
    )
    exporter.add_argument(
        "--filter", default="", help="filter as a JSON document (with --q: both must hold)"
    )
    exporter.add_argument("--columns", default="", help="comma-separated columns")
    exporter.add_argument("--user", metavar="USERNAME", help="export what this user sees")
    exporter.set_defaults(handler=_export)


def _user(username: str | None, *, default_admin: bool):
    """The named user; without a name an admin (default_admin) or the system actor."""
    from kartoteka.accounts.queries import active_users
    from kartoteka.core.scope import SYSTEM

    if not username:
        if not default_admin:
            return SYSTEM
        user = active_users().filter(role="admin").first()
        if user is None:
            raise CommandError("no admin user exists; create one or pass --user")
        return user
    user = active_users().filter(username__iexact=username).first()
    if user is None:
        raise CommandError(f"no active user named {username!r}")
    return user


def _column_map(imp, pairs: list[str]) -> dict[str, str]:
    result = dict(imp.mapping)
    folded = [h.casefold() for h in imp.headers]
    for pair in pairs:
        column, sep, field = pair.partition("=")
        if not sep:
            raise CommandError(f"--map needs COLUMN=FIELD, got {pair!r}")
        column, field = column.strip(), field.strip()
        if column.isdigit() and 1 <= int(column) <= len(imp.headers):
            index = int(column) - 1
        elif column.casefold() in folded:
            index = folded.index(column.casefold())
        else:
            raise CommandError(f"no column {column!r}; the columns are: {', '.join(imp.headers)}")
        result[str(index)] = "" if field in ("ignore", "-") else field
    return result


def _import(args: argparse.Namespace) -> int:
    from kartoteka.transfer import queries, services

    actor = _user(args.user, default_admin=False)
    if args.revert is not None:
        imp = queries.get_import(actor, args.revert)
        kept = services.revert_import(actor, imp)
        for line in kept:
            print(line)
        print(f"reverted import #{imp.pk}; {len(kept)} edited since and kept")
        return 0
    if args.resume is not None:
        imp = services.resume_import(
            actor, queries.get_import(actor, args.resume), in_background=False
        )
        return _run_and_report(imp, args)
    if not args.file:
        raise CommandError("give a FILE to import, --revert IMPORT_ID or --resume IMPORT_ID")
    path = Path(args.file)
    if not path.is_file():
        raise CommandError(f"no such file: {path}")
    # Checked before the file is kept, so a mistyped option leaves no import behind.
    region = services.phone_region_code(args.phone_region) if args.phone_region else None
    imp = services.upload_import(actor, upload=path, file_name=path.name)
    delimiter = "\t" if args.delimiter == "tab" else args.delimiter
    services.configure_import(
        actor,
        imp,
        encoding=args.encoding,
        delimiter=delimiter,
        column_map=_column_map(imp, args.map),
        update_existing=args.update,
        tags=args.tag,
        owner=args.owner or "",
        phone_region=region,
        strict=args.strict,
    )
    mapped = ", ".join(
        f"{imp.headers[int(i)]} → {t}"
        for i, t in sorted(imp.mapping.items(), key=lambda x: int(x[0]))
        if t
    )
    print(
        f"{imp.file_name}: {imp.format} {imp.encoding} {_delimiter_name(imp.delimiter)}; {mapped}"
    )
    print(
        f"numbers without a prefix: {imp.phone_region}"
        f"{'; strict: rows with any problem are rejected' if imp.strict else ''}"
    )
    if args.dry_run:
        plan = services.dry_run_import(actor, imp)
        for problem in [*plan["problems"], *plan["warnings"]]:
            print(_problem_line(problem))
        print(
            f"would create {plan['created']}, update {plan['updated']}, "
            f"leave {plan['unchanged']} unchanged, fail {plan['failed']}, "
            f"{plan['warned']} with warnings"
        )
        return 0
    return _run_and_report(imp, args)


def _run_and_report(imp, args: argparse.Namespace) -> int:
    """Run the import in this process with progress on a terminal, then print its summary."""
    from kartoteka.transfer import services

    imp = services.run_import(imp.pk, progress=_progress if sys.stderr.isatty() else None)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    if args.errors:
        with open(args.errors, "w", encoding="utf-8", newline="") as out:
            out.writelines(services.problems_csv(imp))
    if imp.status != "done":
        raise CommandError(f"import #{imp.pk} stopped: {imp.message}")
    print(f"import #{imp.pk}")
    print(
        f"created {imp.created_count}, updated {imp.updated_count}, "
        f"unchanged {imp.unchanged_count}, failed {imp.failed_count}, "
        f"with warnings {imp.warned_count}"
    )
    if (imp.failed_count or imp.warned_count) and not args.errors:
        print("add --errors REPORT.csv for the rows with problems, to fix and import again")
    return 0


def _problem_line(problem: dict) -> str:
    column = f"{problem['column']}: " if problem["column"] else ""
    return f"line {problem['row']}: {problem['level']}: {column}{problem['message']}"


def _delimiter_name(delimiter: str) -> str:
    from kartoteka.transfer.formats import DELIMITERS

    return f"{DELIMITERS[delimiter]}-separated" if delimiter else ""


_last_shown = 0.0


def _progress(imp) -> None:
    global _last_shown
    from kartoteka.transfer.services import progress_of

    now = time.monotonic()
    if now - _last_shown < 0.5 and imp.status == "running":
        return
    _last_shown = now
    shown = progress_of(imp)
    left = f", {shown['seconds_left']} s left" if shown["seconds_left"] is not None else ""
    print(
        f"\r{shown['rows_done']:,}/{shown['total_rows'] or 0:,} rows ({shown['percent']}%), "
        f"{shown['rows_per_second']:,.0f} rows/s{left}   ",
        end="",
        file=sys.stderr,
        flush=True,
    )


def _export(args: argparse.Namespace) -> int:
    from kartoteka.transfer import queries, services

    actor = _user(args.user, default_admin=True)
    out = Path(args.out)
    format = out.suffix.lower().lstrip(".")
    services.check_format(format)
    document = None
    if args.filter:
        try:
            document = json.loads(args.filter)
        except json.JSONDecodeError as exc:
            raise CommandError(f"--filter is not JSON: {exc}") from None
    columns = queries.check_columns([c for c in args.columns.split(",") if c] or None)
    contacts = queries.contacts_to_export(actor, q=args.q, document=document)
    written = services.write_export(out, format=format, contacts=contacts, columns=columns)
    print(f"exported {written} contacts to {out}")
    return 0
