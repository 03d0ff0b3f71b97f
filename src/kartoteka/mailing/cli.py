"""CLI: `kartoteka lists` — the lists with their counts, and subscribing a filter or a segment."""

import argparse
import json

from kartoteka.core.errors import CommandError


def register(commands: argparse._SubParsersAction) -> None:
    lists = commands.add_parser("lists", help="mailing lists: counts, and subscribing contacts")
    lists.set_defaults(handler=run_lists)
    actions = lists.add_subparsers(dest="action", metavar="ACTION")
    subscribe = actions.add_parser(
        "subscribe", help="subscribe the contacts of a filter or a segment to LIST (key or id)"
    )
    subscribe.add_argument("list", metavar="LIST")
    source = subscribe.add_mutually_exclusive_group(required=True)
    source.add_argument("--filter", help="a JSON filter document")
    source.add_argument("--segment", type=int, metavar="ID", help="a segment's id")
    subscribe.add_argument(
        "--double-opt-in",
        action="store_true",
        help="ask contacts without e-mail marketing consent to confirm by e-mail",
    )
    subscribe.set_defaults(handler=run_subscribe)


def run_lists(args: argparse.Namespace) -> int:
    from kartoteka.core.scope import SYSTEM
    from kartoteka.mailing.queries import lists_with_counts

    rows = lists_with_counts(SYSTEM)
    if not rows:
        print("No mailing lists.")
        return 0
    print(f"{'id':>5}  {'key':<24} {'subscribed':>10} {'pending':>8} {'unsubscribed':>12}  name")
    for item, counts in rows:
        print(
            f"{item.pk:>5}  {item.key:<24} {counts['subscribed']:>10} {counts['pending']:>8}"
            f" {counts['unsubscribed']:>12}  {item.name}"
        )
    return 0


def run_subscribe(args: argparse.Namespace) -> int:
    from kartoteka.core.errors import KartotekaError
    from kartoteka.core.scope import SYSTEM
    from kartoteka.mailing import queries, services

    try:
        document = json.loads(args.filter) if args.filter else None
    except ValueError as exc:
        raise CommandError(f"--filter is not valid JSON: {exc}") from None
    try:
        mailing_list = queries.find_list(args.list)
        # The command line acts for the whole workspace, as the system.
        result = services.subscribe_matching(
            SYSTEM,
            mailing_list,
            document=document,
            segment_id=args.segment,
            double_opt_in=args.double_opt_in,
        )
    except KartotekaError as exc:
        raise CommandError(exc.message) from None
    print(
        f"{result.subscribed} subscribed, {result.pending} waiting for confirmation,"
        f" {result.already} already on the list"
    )
    reasons = services.reasons()
    for reason, count in sorted(result.refused.items()):
        print(f"{count} refused: {reasons.get(reason, reason)}")
    return 0
