"""CLI: `kartoteka segments` — count contacts matching a filter, and index custom details."""

import argparse
import json

from kartoteka.core.errors import CommandError


def register(commands: argparse._SubParsersAction) -> None:
    segments = commands.add_parser("segments", help="filters and segments")
    actions = segments.add_subparsers(dest="action", metavar="ACTION", required=True)
    count = actions.add_parser("count", help="count the contacts matching a filter (as admin)")
    source = count.add_mutually_exclusive_group(required=True)
    source.add_argument("--q", help='the text form, e.g. "tag:vip country:ES"')
    source.add_argument("--filter", help="a JSON filter document")
    count.set_defaults(handler=run_count)
    index = actions.add_parser(
        "index", help="create the expression index of every custom detail (safe to run twice)"
    )
    index.set_defaults(handler=run_index)


def run_count(args: argparse.Namespace) -> int:
    from kartoteka.contacts.models import Contact
    from kartoteka.segments.compile import to_q
    from kartoteka.segments.queries import document_from
    from kartoteka.segments.schema import parse

    try:
        document = json.loads(args.filter) if args.filter else None
    except ValueError as exc:
        raise CommandError(f"--filter is not valid JSON: {exc}") from None
    checked = document_from(document=document, q=args.q or "")
    # The command line acts for the whole workspace, like an admin.
    print(Contact.objects.filter(to_q(parse(checked))).count())
    return 0


def run_index(args: argparse.Namespace) -> int:
    from kartoteka.segments.services import index_all_properties

    print(f"{index_all_properties()} custom details indexed")
    return 0
