"""Benchmark: the deals board, a move, the list, the reports and the contact list with deals.

Builds a fresh database (SQLite in a temporary folder, or PostgreSQL in kt_deals_bench) with
N contacts and D deals (default 1,000,000 contacts and 100,000 deals, the issue's size)
written in bulk: the default "Sales" pipeline holds 10,000 open deals and 30,000 closed ones,
a second pipeline the rest; each deal has one contact and its stage history. Then times,
through Django's test client (the full middleware stack, no network): the board's first
render of the Sales pipeline for an admin and for a sales user, a column's next page, moves
from the board by an admin and by a sales user (the JSON answer with the changed columns'
new totals) and a move through the service alone, the deals list, the sales reports, the
contact list with the "Open deals" column, and the "has an open deal" filter. Each figure is
the median of R requests after 3 warm-ups, as wall time and CPU time (this process's, plus
PostgreSQL's backend's), with its SQL count and the load average.
Writes bench/results/deals.json (one key per database).

    .venv/bin/python bench/deals.py --db sqlite|postgresql [--contacts N] [--deals D] [--rounds R]
        [--keep DIR] [--only NAME…]   (BENCH_PG_NAME: the PostgreSQL database, kt_deals_bench)
"""

import argparse
import datetime as dt
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from bench.page_timing import count_queries, time_page  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "deals.json"
OPEN_IN_SALES = 10_000
CLOSED_IN_SALES = 30_000
CHUNK = 20_000
# The PostgreSQL database it builds (BENCH_PG_NAME names another, e.g. one per engineer).
PG_NAME = os.environ.get("BENCH_PG_NAME", "kt_deals_bench")


def setup_django(database: str, keep: Path | None) -> None:
    """Django on a fresh database, or with `keep` on the one a run before built and kept
    (SQLite in that folder, PostgreSQL kt_deals_bench as it was left)."""
    if keep:
        keep.mkdir(parents=True, exist_ok=True)
    os.environ["KARTOTEKA_DATA_DIR"] = str(keep or tempfile.mkdtemp(prefix="kt-bench-deals-"))
    os.environ["KARTOTEKA_TASKS"] = "immediate"
    os.environ.setdefault("KARTOTEKA_ALLOWED_HOSTS", "testserver")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kartoteka.settings")
    if database == "postgresql":
        base = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
        if not keep:
            for sql in (f"DROP DATABASE IF EXISTS {PG_NAME}", f"CREATE DATABASE {PG_NAME}"):
                subprocess.run(["psql", f"{base}/postgres", "-qc", sql], check=True)
        else:
            exists = subprocess.run(
                [
                    "psql",
                    f"{base}/postgres",
                    "-tAc",
                    f"SELECT 1 FROM pg_database WHERE datname = '{PG_NAME}'",
                ],
                check=True,
                capture_output=True,
                text=True,
            ).stdout.strip()
            if not exists:
                subprocess.run(
                    ["psql", f"{base}/postgres", "-qc", f"CREATE DATABASE {PG_NAME}"], check=True
                )
        os.environ["DATABASE_URL"] = f"{base}/{PG_NAME}"
    else:
        os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def measure_before_commit() -> None:
    """On PostgreSQL, statistics of the rows this transaction wrote (ANALYZE counts its own):
    the foreign keys are checked at commit with plans made then, and with the statistics of
    the empty tables the checks of a million contacts' links ran for many minutes."""
    from django.db import connection

    from kartoteka.core.database import refresh_planner_statistics

    if connection.vendor == "postgresql":
        refresh_planner_statistics()


def settle() -> None:
    """The tables as a workspace has them some minutes after a bulk write: statistics, and on
    PostgreSQL vacuumed, as its autovacuum leaves a table after many inserts (until then no
    page is known all-visible, so no index answers alone, and the first reads of each page
    write its hint bits)."""
    from django.db import connection

    from kartoteka.core.database import refresh_planner_statistics

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    else:
        refresh_planner_statistics()


def build(contact_count: int, deal_count: int) -> dict:
    """The contacts, deals, links and histories, written in bulk; returns what the timings
    need."""
    from django.db import transaction
    from django.utils import timezone

    from kartoteka.accounts.services import create_user
    from kartoteka.contacts.models import Contact, ContactOwner
    from kartoteka.core.bulkwrite import insert_values
    from kartoteka.core.scope import SYSTEM
    from kartoteka.deals import services
    from kartoteka.deals.models import Deal, DealContact, Pipeline, StageMove

    rng = random.Random(23)
    admin = create_user(SYSTEM, username="alba", role="admin", password="bench pass 123")
    sales = create_user(SYSTEM, username="sergio", role="sales", password="bench pass 123")
    services.install_defaults()
    sales_pipeline = Pipeline.objects.get(key="sales")
    partners = services.create_pipeline(
        admin,
        name="Partners",
        stages=[
            {"name": "Contacted", "probability": 20},
            {"name": "Meeting", "probability": 40},
            {"name": "Contract", "probability": 80},
            {"name": "Signed", "probability": 100, "kind": "won"},
            {"name": "Dropped", "probability": 0, "kind": "lost"},
        ],
    )
    now = timezone.now()
    started = time.perf_counter()
    with transaction.atomic():
        contact_ids: list[int] = []
        for start in range(0, contact_count, CHUNK):
            # One contact a minute up to now, as a workspace fills: the list's newest-first
            # page is read from the created_at index only when creation times differ (a
            # million equal ones make PostgreSQL sort the whole table).
            rows = [
                (
                    f"bench{n}@example.com",
                    f"Name{n}",
                    f"Surname{n}",
                    f"name{n} surname{n}",
                    now - dt.timedelta(minutes=contact_count - n),
                    now,
                )
                for n in range(start, min(start + CHUNK, contact_count))
            ]
            contact_ids += insert_values(
                Contact,
                ["email", "first_name", "last_name", "search_text", "created_at", "updated_at"],
                rows,
                returning=True,
            )
        # The sales user owns one contact in ten.
        insert_values(
            ContactOwner,
            ["contact_id", "user_id", "added_at"],
            [(c, sales.pk, now) for c in contact_ids[::10]],
        )
        measure_before_commit()
    with transaction.atomic():
        stages = {p.pk: list(p.stages.all()) for p in (sales_pipeline, partners)}
        plan = []  # (pipeline, stage) per deal
        for n in range(deal_count):
            if n < OPEN_IN_SALES + CLOSED_IN_SALES:
                pipeline = sales_pipeline
                kinds = ("open",) if n < OPEN_IN_SALES else ("won", "lost")
            else:
                pipeline = partners
                kinds = ("open",) if n % 3 == 0 else ("won", "lost")
            choices = [s for s in stages[pipeline.pk] if s.kind in kinds]
            plan.append((pipeline, rng.choice(choices)))
        users = [admin.pk, sales.pk, None]
        for start in range(0, deal_count, CHUNK):
            chunk = plan[start : start + CHUNK]
            rows = []
            for offset, (pipeline, stage) in enumerate(chunk):
                n = start + offset
                created = now - dt.timedelta(days=rng.randint(1, 700))
                entered = created + (now - created) * rng.random()
                rows.append(
                    (
                        f"Deal {n}",
                        Decimal(rng.randint(1, 5000) * 10),
                        "EUR",
                        users[n % 3],
                        pipeline.pk,
                        stage.pk,
                        stage.kind,
                        (now + dt.timedelta(days=rng.randint(-200, 200))).date(),
                        entered,
                        entered if stage.kind != "open" else None,
                        created,
                        entered,
                    )
                )
            ids = insert_values(
                Deal,
                [
                    "name",
                    "amount",
                    "currency",
                    "owner_id",
                    "pipeline_id",
                    "stage_id",
                    "status",
                    "expected_close_date",
                    "stage_entered_at",
                    "closed_at",
                    "created_at",
                    "updated_at",
                ],
                rows,
                returning=True,
            )
            insert_values(
                DealContact,
                ["deal_id", "contact_id", "is_primary"],
                [(deal_id, rng.choice(contact_ids), True) for deal_id in ids],
            )
            moves = []
            for deal_id, (pipeline, stage), row in zip(ids, chunk, rows, strict=True):
                first = stages[pipeline.pk][0]
                moves.append((deal_id, None, first.pk, row[10], None, ""))
                if stage.pk != first.pk:
                    seconds = int((row[8] - row[10]).total_seconds())
                    moves.append((deal_id, first.pk, stage.pk, row[8], seconds, ""))
            insert_values(
                StageMove,
                [
                    "deal_id",
                    "from_stage_id",
                    "to_stage_id",
                    "moved_at",
                    "seconds_in_previous",
                    "reason",
                ],
                moves,
            )
        # Who may see each deal through its contacts, as the services keep it (written
        # here around them); code from before the table had none.
        if hasattr(services, "rebuild_viewers"):
            services.rebuild_viewers()
        measure_before_commit()
    settle()
    return {
        "seed_seconds": round(time.perf_counter() - started, 1),
        "admin": admin,
        "sales": sales,
        "pipeline": sales_pipeline,
    }


def built_before() -> dict | None:
    """What `build` returns, from a database a run before built and kept; None when empty."""
    from django.contrib.auth import get_user_model

    from kartoteka.deals.models import Pipeline

    users = {
        u.username: u for u in get_user_model().objects.filter(username__in=["alba", "sergio"])
    }
    if len(users) < 2:
        return None
    return {
        "seed_seconds": None,
        "admin": users["alba"],
        "sales": users["sergio"],
        "pipeline": Pipeline.objects.get(key="sales"),
    }


def server_clock():
    """CPU seconds spent on a request: this process's, plus on PostgreSQL the backend's
    (/proc/PID/schedstat of the connection's server process, kept open between requests)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return time.process_time

    def clock() -> float:
        connection.ensure_connection()
        pid = connection.connection.info.backend_pid
        on_cpu = int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])
        return time.process_time() + on_cpu / 1e9

    return clock


def _timed(calls: list, clock) -> dict:
    """Runs each of `calls` once: the first for its SQL count, the next two to warm up, the
    rest timed (wall and CPU)."""
    times, cpu_times, queries = [], [], 0
    for index, call in enumerate(calls):
        if index == 0:
            queries = count_queries(call)
            continue
        started, started_cpu = time.perf_counter(), clock()
        call()
        if index >= 3:
            times.append((time.perf_counter() - started) * 1000)
            cpu_times.append((clock() - started_cpu) * 1000)
    found = _summary(times, queries)
    found["cpu_median_ms"] = round(statistics.median(cpu_times), 1)
    return found


def _open_deals(actor, pipeline, count: int) -> list:
    from kartoteka.deals import queries

    return list(
        queries.visible_deals(actor)
        .filter(pipeline=pipeline, status="open")
        .order_by("-pk")
        .values_list("pk", flat=True)[:count]
    )


def time_moves(client, actor, pipeline, *, rounds: int, clock) -> dict:
    """Moves from the board by `actor` of deals they see: each POST carries the version the
    card showed; the target stages rotate through the open ones."""
    from kartoteka.deals.models import Deal

    open_stages = [s for s in pipeline.stages.all() if s.kind == "open"]
    calls = []
    for index, deal in enumerate(
        Deal.objects.filter(pk__in=_open_deals(actor, pipeline, rounds + 3))
    ):
        target = next(s for s in open_stages[index % 2 :] if s.pk != deal.stage_id)
        url = f"/deals/{deal.pk}/move/"
        data = {"stage": target.pk, "version": deal.version}

        def post(url=url, data=data):
            answer = client.post(url, data, HTTP_ACCEPT="application/json")
            assert answer.status_code == 200, answer.content

        calls.append(post)
    return _timed(calls, clock)


def time_service_moves(actor, pipeline, *, rounds: int, clock) -> dict:
    """The move alone (deals.services.move_deal: the version check, the history row and the
    timeline entries), without the page around it."""
    from kartoteka.deals import queries, services

    open_stages = [s for s in pipeline.stages.all() if s.kind == "open"]
    calls = []
    for deal_id in _open_deals(actor, pipeline, rounds + 3):
        deal = queries.get_deal(actor, deal_id)
        target = next(s for s in open_stages if s.pk != deal.stage_id)

        def move(deal=deal, target=target):
            services.move_deal(actor, deal, stage=target.pk, expected_version=deal.version)

        calls.append(move)
    return _timed(calls, clock)


def _summary(times: list[float], queries: int) -> dict:
    ordered = sorted(times)
    return {
        "median_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1], 1),
        "queries": queries,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--deals", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument(
        "--keep",
        type=Path,
        help="a folder for the SQLite database (PostgreSQL: keep kt_deals_bench) to build once "
        "and time again in later runs; the moves change its deals' stages",
    )
    parser.add_argument(
        "--only", nargs="*", help="time only the requests whose names contain one of these"
    )
    args = parser.parse_args()
    if args.deals < OPEN_IN_SALES + CLOSED_IN_SALES:
        parser.error(f"--deals must be at least {OPEN_IN_SALES + CLOSED_IN_SALES}")

    setup_django(args.db, args.keep)
    from django.test import Client

    built = (args.keep and built_before()) or build(args.contacts, args.deals)
    pipeline = built["pipeline"]
    admin_client, sales_client = Client(), Client()
    admin_client.force_login(built["admin"])
    sales_client.force_login(built["sales"])
    new_stage = pipeline.stages.get(key="new")
    from kartoteka.deals.models import Deal

    column_after = (
        Deal.objects.filter(stage=new_stage).order_by("-pk").values_list("pk", flat=True)[19]
    )
    pages = {
        "board, first render (admin)": (admin_client, f"/deals/board/{pipeline.pk}/"),
        "board, first render (sales user)": (sales_client, f"/deals/board/{pipeline.pk}/"),
        "board, filtered by owner": (admin_client, f"/deals/board/{pipeline.pk}/?owner=sergio"),
        "board column, next page": (
            admin_client,
            f"/deals/board/{pipeline.pk}/stages/{new_stage.pk}/more/?after={column_after}",
        ),
        "deals list, first page": (admin_client, "/deals/list/"),
        "sales reports": (admin_client, f"/deals/reports/?pipeline={pipeline.pk}"),
        "contact list with the deals column": (admin_client, "/contacts/"),
        "contacts with an open deal (filter)": (
            admin_client,
            "/contacts/?q=deal-pipeline:" + str(pipeline.pk),
        ),
    }
    built["admin"].preferences = {"list_columns": ["name", "email", "deals", "created_at"]}
    built["admin"].save()
    results = {}
    clock = server_clock()

    def show(name: str, result: dict) -> None:
        result["load_average_1min"] = round(os.getloadavg()[0], 1)
        results[name] = result
        print(
            f"{name:38} median {result['median_ms']:7.1f} ms  "
            f"p95 {result['p95_ms']:7.1f} ms  CPU {result['cpu_median_ms']:7.1f} ms  "
            f"{result['queries']} queries  load {result['load_average_1min']}"
        )

    for name, (client, url) in pages.items():
        if args.only and not any(part in name for part in args.only):
            continue
        show(name, time_page(client, url, rounds=args.rounds, cpu=clock))
    admin, sales = built["admin"], built["sales"]
    moves = {
        "move from the board (admin)": lambda: time_moves(
            admin_client, admin, pipeline, rounds=args.rounds, clock=clock
        ),
        "move from the board (sales user)": lambda: time_moves(
            sales_client, sales, pipeline, rounds=args.rounds, clock=clock
        ),
        "move, service alone": lambda: time_service_moves(
            admin, pipeline, rounds=args.rounds, clock=clock
        ),
    }
    for name, timed in moves.items():
        if not args.only or any(part in name for part in args.only):
            show(name, timed())

    report = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    report[args.db] = {
        "benchmark": "deals",
        "contacts": args.contacts,
        "deals": args.deals,
        "open_deals_in_board_pipeline": OPEN_IN_SALES,
        "rounds": args.rounds,
        "seed_seconds": built["seed_seconds"] or report.get(args.db, {}).get("seed_seconds"),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "load_average_1min": round(os.getloadavg()[0], 1),
        "results": results,
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
