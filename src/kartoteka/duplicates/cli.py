"""CLI: `kartoteka duplicates [--json] [--merge-exact]`: scans now, stores and prints the groups."""

import argparse
import json
import sys

from kartoteka.core.scope import SYSTEM
from kartoteka.duplicates.models import ScanState
from kartoteka.duplicates.queries import (
    contact_names,
    running_scan,
    stored_groups,
    with_contact_ids,
)
from kartoteka.duplicates.services import merge_exact_groups, scan_now


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "duplicates", help="list contacts that are probably the same person"
    )
    parser.add_argument("--json", action="store_true", help="print the groups as JSON")
    parser.add_argument(
        "--merge-exact",
        action="store_true",
        help="scan, then merge every group matched by exact conditions only (the oldest stays)",
    )
    parser.set_defaults(handler=run_duplicates)


def run_duplicates(args: argparse.Namespace) -> int:
    # The same scan the page's "Scan now" queues, run here; the page then shows its groups too.
    # One scan at a time: a scan already under way is waited for, and its groups are shown.
    running = running_scan()
    if running is not None and running.state != ScanState.QUEUED:
        print(
            f"A scan for duplicates is already under way (scan #{running.pk},"
            f" {running.get_state_display().lower()}); waiting for it to finish.",
            file=sys.stderr,
        )
    scan = scan_now(SYSTEM)
    if args.merge_exact:
        merges = merge_exact_groups(SYSTEM, actor_label="cli")
        print(f"Merged {len(merges)} contacts; each merge can be undone for 30 days.")
        return 0
    groups = with_contact_ids(stored_groups(SYSTEM, scan))
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "contact_ids": g.contact_ids,
                        "reason": "; ".join(g.reasons),
                        "reasons": g.reasons,
                        "confidence": g.confidence,
                        "exact": g.exact,
                    }
                    for g in groups
                ],
                ensure_ascii=False,
            )
        )
        return 0
    if not groups:
        print("No duplicates found.")
        return 0
    names = contact_names(SYSTEM, [i for g in groups for i in g.contact_ids])
    for group in groups:
        people = ", ".join(f"#{i} {names.get(i, '')}".strip() for i in group.contact_ids)
        print(f"{group.confidence:>3}%  {'; '.join(group.reasons)}: {people}")
    print(f"{len(groups)} groups.")
    return 0
