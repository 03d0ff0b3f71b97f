"""Benchmark: filters at scale — count + first page of 50 over N synthetic contacts.

Builds (once) a separate database of N contacts (default 1,000,000) with about 3 tags each out
of 50, 10 custom details of mixed types, owners, sources, countries and 3·N timeline entries,
through a bulk path (SQLite: executemany in large transactions; PostgreSQL: COPY). Then runs a
fixed set of filters through `segments.queries.search` and reports the median time of count +
first page for each, writing bench/results/segments.json (one key per database).

    .venv/bin/python bench/segments.py --db sqlite [--contacts N] [--runs R]
    .venv/bin/python bench/segments.py --db postgresql [--contacts N] [--runs R]
    .venv/bin/python bench/segments.py --db postgresql --side-tables [--runs R] [--label L]

With --side-tables it also fills eCommerce totals, deals, consents and a mailing list once
(then VACUUM ANALYZE) and times the filters those tables answer, count alone and count with the
first page, as an admin and a sales user, each count checked against the plain query's:
bench/results/segments_side_tables.json, under "<db>, <label>" (run the code before a change
with its own label to compare).

SQLite data goes to bench/data/segments-<N>.sqlite3 (git-ignored); PostgreSQL to kt_bench.
"""

import argparse
import datetime as dt
import json
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

TAGS = [f"tag{i:02d}" for i in range(47)] + ["vip", "newsletter", "churned"]
COUNTRIES = ["ES"] * 30 + ["PL"] * 25 + ["US"] * 10 + ["DE", "FR", "IT", "PT", "GB", "MX", "AR"] * 5
SOURCES = (
    ["manual"] * 3
    + ["form"] * 4
    + ["landing_page", "chatbot", "api", "import"] * 2
    + [
        "payment",
        "integration",
        "automation",
    ]
)
STATUSES = ["new"] * 5 + ["lead"] * 3 + ["qualified"] * 2 + ["opportunity", "won", "won", "lost"]
KINDS = (
    ["visit"] * 10 + ["email_opened"] * 5 + ["purchase"] * 2 + ["note_added", "call", "form_sent"]
)
PLANS = ["free"] * 6 + ["basic"] * 3 + ["pro"] * 2 + ["enterprise"]
INDUSTRIES = [f"industry{i}" for i in range(12)]
LANGUAGES = ["es", "pl", "en", "de"]
CITIES = ["Madrid", "Barcelona", "Sevilla", "Warszawa", "Kraków", "Gdańsk", "New York", "Berlin"]
PROPERTIES = [
    ("plan", "Plan", "dictionary", ["free", "basic", "pro", "enterprise"]),
    ("seats", "Seats", "number", None),
    ("mrr", "Monthly revenue", "decimal", None),
    ("renewal", "Renewal", "date", None),
    ("newsletter", "Newsletter", "boolean", None),
    ("industry", "Industry", "dictionary", INDUSTRIES),
    ("languages", "Languages", "multi_choice", LANGUAGES),
    ("nps", "NPS", "number", None),
    ("referrer", "Referrer", "text", None),
    ("trial_end", "Trial end", "date", None),
]
SALES_USERS = 10
CHUNK = 50_000
FIRST_CHUNK = 1_000

FILTERS = {
    "single tag": {"field": "tags", "op": "has_any", "value": ["tag07"]},
    "tag + country + recent": {
        "all": [
            {"field": "tags", "op": "has_any", "value": ["vip"]},
            {"field": "country", "op": "in", "value": ["ES", "PL"]},
            {"field": "created_at", "op": "in_last_days", "value": 30},
        ]
    },
    "detail equality (plan = pro)": {"field": "properties.plan", "op": "eq", "value": "pro"},
    "detail range (seats 10..20)": {
        "field": "properties.seats",
        "op": "between",
        "value": [10, 20],
    },
    "decimal detail > 900": {"field": "properties.mrr", "op": "gt", "value": 900},
    "yes / no detail (newsletter)": {
        "field": "properties.newsletter",
        "op": "eq",
        "value": True,
    },
    "text search (one word)": {"field": "text", "op": "contains", "value": "garcía"},
    "text search (two words)": {"field": "text", "op": "contains", "value": "ana garcía"},
    "visited 3+ times in 7 days": {"activity": "visit", "min_count": 3, "within_days": 7},
    "nested any / not": {
        "any": [
            {
                "all": [
                    {"field": "tags", "op": "has_any", "value": ["vip"]},
                    {"not": {"field": "country", "op": "eq", "value": "ES"}},
                ]
            },
            {
                "all": [
                    {"field": "score", "op": "gte", "value": 95},
                    {"field": "properties.newsletter", "op": "eq", "value": True},
                ]
            },
        ]
    },
    "status + active in 14 days": {
        "all": [
            {"field": "status", "op": "in", "value": ["won", "qualified"]},
            {"field": "last_activity_at", "op": "in_last_days", "value": 14},
        ]
    },
    "no churned tag, source form": {
        "all": [
            {"field": "tags", "op": "has_none", "value": ["churned"]},
            {"field": "source", "op": "eq", "value": "form"},
        ]
    },
    "owner": {"field": "owner", "op": "has_any", "value": ["bench_sales3"]},
    "text form (sales user)": "tag:vip country:PL score>50",
}
# Filters answered by another app's table (--side-tables): eCommerce totals, deals, consents.
SIDE_FILTERS = {
    "eCommerce total > 500": {"field": "ecommerce.total_value", "op": "gt", "value": 500},
    "open deal in pipeline": "deal-pipeline:{pipeline}",
    "consent:email": {"field": "consent", "op": "has_any", "value": ["email"]},
    "-consent:email": "-consent:email",
    "consent.email:none": "consent.email:none",
    "consent.email:withdrawn": "consent.email:withdrawn",
    "list:newsletter": "list:newsletter",
    "-list:newsletter": "-list:newsletter",
    "list.newsletter:unsubscribed": "list.newsletter:unsubscribed",
    "list:newsletter status:won": "list:newsletter status:won",
}


def configure(db: str, contacts: int) -> None:
    os.environ.setdefault("KARTOTEKA_DATA_DIR", "/tmp/kt-seg-bench")
    if db == "sqlite":
        data = ROOT / "bench" / "data"
        data.mkdir(parents=True, exist_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{data / f'segments-{contacts}.sqlite3'}"
    else:
        os.environ["DATABASE_URL"] = os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kt_bench"
        )
    os.environ.setdefault("KARTOTEKA_ALLOWED_HOSTS", "testserver")  # the test client's host
    os.environ["DJANGO_SETTINGS_MODULE"] = "kartoteka.settings"
    import django

    django.setup()


def ensure_database(db: str) -> None:
    if db != "postgresql":
        return
    import psycopg

    url = os.environ["DATABASE_URL"]
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def build(contacts: int, seed: int = 7) -> None:
    """Fill the database once; a second run finds the contacts there and skips."""
    from django.core.management import call_command
    from django.db import connection

    from kartoteka.accounts.models import User
    from kartoteka.contacts import services as contact_services
    from kartoteka.contacts.detail_columns import index_all_properties
    from kartoteka.contacts.models import Contact, PropertyDefinition, Tag

    call_command("migrate", verbosity=0)
    if Contact.objects.exists():
        return
    admin, _ = User.objects.get_or_create(username="bench_admin", defaults={"role": "admin"})
    sales = [
        User.objects.get_or_create(username=f"bench_sales{i}", defaults={"role": "sales"})[0]
        for i in range(SALES_USERS)
    ]
    for key, label, kind, choices in PROPERTIES:
        if not PropertyDefinition.objects.filter(key=key).exists():
            contact_services.define_property(
                admin, key=key, label=label, type=kind, choices=choices
            )
    for name in TAGS:
        Tag.objects.get_or_create(name_folded=name, defaults={"name": name})
    tag_ids = dict(Tag.objects.values_list("name_folded", "id"))
    # Tags are skewed: a few popular, a long tail (like real CRMs).
    tag_pool = [tag_ids[t] for t in TAGS for _ in range(1 + (50 - TAGS.index(t)) // 10)]
    from faker.providers.person.es_ES import Provider as Spanish
    from faker.providers.person.pl_PL import Provider as Polish

    def names(provider, attribute):
        value = getattr(provider, attribute)
        return list(value.keys() if isinstance(value, dict) else value)

    first = names(Spanish, "first_names") + names(Polish, "first_names")
    last = names(Spanish, "last_names") + names(Polish, "last_names")
    rng = random.Random(seed)
    now = dt.datetime.now(dt.UTC)
    started = time.perf_counter()
    vendor = connection.vendor
    if vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous=OFF")
    # PostgreSQL plans each foreign-key check once per connection; planned on empty tables it
    # scans them, and a chunk's checks grow with the table. A small first chunk, ANALYZE and a
    # new connection give the later chunks' checks the primary-key index.
    starts = [1, *range(1 + FIRST_CHUNK, contacts + 1, CHUNK)] if contacts > FIRST_CHUNK else [1]
    for start, end in zip(starts, [*starts[1:], contacts + 1], strict=True):
        ids = range(start, end)
        rows, owners, links, entries = _chunk(
            ids, rng, now, first, last, tag_pool, [u.pk for u in sales]
        )
        _write(vendor, rows, owners, links, entries)
        if start == 1 and vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            connection.close()
        done = ids[-1]
        print(f"  {done:>9} contacts  {time.perf_counter() - started:7.1f}s", flush=True)
    with connection.cursor() as cursor:
        if vendor == "postgresql":
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('contacts_contact', 'id'), %s)", [contacts]
            )
    index_all_properties()
    with connection.cursor() as cursor:
        # On PostgreSQL, VACUUM also sets the visibility map, so index-only scans stay index-only.
        cursor.execute("VACUUM ANALYZE" if vendor == "postgresql" else "ANALYZE")
    print(f"built in {time.perf_counter() - started:.0f}s", flush=True)


def fill_side_tables() -> None:
    """Once: eCommerce totals for 30% of the contacts (three quarters of them above 500), an
    open deal in the Sales pipeline for 2% and a won one for another 2%, marketing consent on
    e-mail granted by 40% and withdrawn by 10%; then ANALYZE (VACUUM ANALYZE on PostgreSQL),
    as the worker's periodic refresh would."""
    from django.db import connection

    from kartoteka.commerce.models import Totals
    from kartoteka.deals.models import Pipeline, Stage, StageKind
    from kartoteka.deals.services import install_defaults

    if Totals.objects.exists():
        return
    install_defaults()
    pipeline = Pipeline.objects.get(key="sales")
    stages = Stage.objects.filter(pipeline=pipeline)
    open_stage = stages.filter(kind=StageKind.OPEN).order_by("position").first()
    won = stages.filter(kind=StageKind.WON).first()
    when = dt.datetime.now(dt.UTC)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO commerce_totals (contact_id, total, transactions, average_cart, refunds,"
            " cancellations, converted, first_purchase_at, last_purchase_at)"
            " SELECT id, (id * 7919) %% 200000, 1 + id %% 5,"
            " ((id * 7919) %% 200000) / (1 + id %% 5), 0, 0, 0, %s, %s"
            " FROM contacts_contact WHERE id %% 10 < 3",
            [when, when],
        )
        for remainder, stage in ((0, open_stage), (25, won)):
            cursor.execute(
                "INSERT INTO deals_deal (id, name, amount, currency, status, close_reason,"
                " properties, stage_entered_at, closed_at, created_at, updated_at, version,"
                " pipeline_id, stage_id) SELECT id, 'Deal', 1000, 'EUR', %s, '', %s, %s, %s, %s,"
                " %s, 1, %s, %s FROM contacts_contact WHERE id %% 50 = %s",
                [
                    stage.kind,
                    "{}",
                    when,
                    None if stage.kind == StageKind.OPEN else when,
                    when,
                    when,
                    pipeline.pk,
                    stage.pk,
                    remainder,
                ],
            )
        cursor.execute(
            "INSERT INTO deals_dealcontact (deal_id, contact_id, is_primary)"
            " SELECT id, id, %s FROM deals_deal",
            [True],
        )
        cursor.execute(
            "INSERT INTO consents_consentstate (contact_id, channel, purpose, status, source,"
            " given_at, entry_id) SELECT id, 'email', 'marketing',"
            " CASE WHEN id %% 10 < 4 THEN 'granted' ELSE 'withdrawn' END, 'import', %s, id"
            " FROM contacts_contact WHERE id %% 10 < 5",
            [when],
        )
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('deals_deal', 'id'), MAX(id)) FROM deals_deal"
            )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    print(f"side tables filled in {time.perf_counter() - started:.0f}s", flush=True)


def fill_lists() -> None:
    """Once: a mailing list "newsletter" with 2 in 7 contacts subscribed, 1 in 7 unsubscribed
    and 1 in 14 pending; then ANALYZE (VACUUM ANALYZE on PostgreSQL)."""
    from django.db import connection

    from kartoteka.mailing.models import MailingList

    if MailingList.objects.filter(key="newsletter").exists():
        return
    newsletter = MailingList.objects.create(key="newsletter", name="Newsletter")
    when = dt.datetime.now(dt.UTC)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO mailing_subscription (mailing_list_id, contact_id, status, source,"
            " status_at, created_at, request_agent, request_url) SELECT %s, id,"
            " CASE WHEN id %% 7 < 2 THEN 'subscribed' WHEN id %% 7 = 2 THEN 'unsubscribed'"
            " ELSE 'pending' END, 'import', %s, %s, '', '' FROM contacts_contact"
            " WHERE id %% 7 < 3 OR (id %% 7 = 3 AND id %% 2 = 0)",
            [newsletter.pk, when, when],
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    print(f"mailing list filled in {time.perf_counter() - started:.0f}s", flush=True)


def contact_columns() -> list[str]:
    from kartoteka.contacts.models import ATTRIBUTION_FIELDS

    return (
        [
            "id",
            "email",
            "phone",
            "first_name",
            "last_name",
            "job_title",
            "street",
            "city",
            "postal_code",
            "region",
            "country",
            "fax",
            "birthday",
            "score",
            "status",
            "won_at",
            "source",
        ]
        + list(ATTRIBUTION_FIELDS)
        + [
            "created_url",
            "properties",
            "search_text",
            "is_monitored",
            "version",
            "created_at",
            "updated_at",
            "last_activity_at",
        ]
    )


def _chunk(ids, rng, now, first, last, tag_pool, sales_ids):
    from kartoteka.contacts.models import ATTRIBUTION_FIELDS
    from kartoteka.core.normalise import fold_search

    blank_attribution = [""] * len(ATTRIBUTION_FIELDS)
    rows, owners, links, entries = [], [], [], []
    for pk in ids:
        first_name, last_name = rng.choice(first), rng.choice(last)
        email = f"c{pk}@example.com"
        created = now - dt.timedelta(days=rng.random() ** 1.5 * 1500, seconds=rng.randrange(86400))
        status = rng.choice(STATUSES)
        properties = {"plan": rng.choice(PLANS), "newsletter": rng.random() < 0.4}
        if rng.random() < 0.7:
            properties["seats"] = int(rng.paretovariate(1.2))
        if rng.random() < 0.6:
            properties["mrr"] = f"{rng.uniform(0, 1000):.2f}"
        if rng.random() < 0.5:
            properties["renewal"] = (
                (now + dt.timedelta(days=rng.randrange(-200, 400))).date().isoformat()
            )
        if rng.random() < 0.8:
            properties["industry"] = rng.choice(INDUSTRIES)
        if rng.random() < 0.5:
            properties["languages"] = sorted(rng.sample(LANGUAGES, rng.randint(1, 2)))
        if rng.random() < 0.3:
            properties["nps"] = rng.randint(0, 10)
        if rng.random() < 0.2:
            properties["referrer"] = rng.choice(["google", "linkedin", "partner", "event"])
        if rng.random() < 0.1:
            properties["trial_end"] = (
                (now - dt.timedelta(days=rng.randrange(0, 60))).date().isoformat()
            )
        phone = f"+346{rng.randrange(10**7, 10**8)}"
        # Timeline: 3 entries per contact on average, skewed towards recent days.
        last_activity = created
        for _ in range(rng.choice((0, 1, 2, 3, 3, 4, 5, 6))):
            when = now - dt.timedelta(days=rng.random() ** 2 * 365, seconds=rng.randrange(86400))
            entries.append((pk, rng.choice(KINDS), when))
            last_activity = max(last_activity, when)
        rows.append(
            (
                pk,
                email,
                phone,
                first_name,
                last_name,
                "",
                "",
                rng.choice(CITIES),
                f"{rng.randrange(10000, 99999)}",
                "",
                rng.choice(COUNTRIES),
                "",
                None,
                rng.randint(0, 100),
                status,
                created if status == "won" else None,
                rng.choice(SOURCES),
                *blank_attribution,
                "",
                json.dumps(properties),
                fold_search(f"{first_name} {last_name} {email} {phone}"),
                True,
                1,
                created,
                created,
                last_activity,
            )
        )
        owners.append((pk, rng.choice(sales_ids), now))
        for tag_id in {rng.choice(tag_pool) for _ in range(rng.choice((1, 2, 3, 3, 4, 5)))}:
            links.append((pk, tag_id, created, "user", ""))
    return rows, owners, links, entries


def _write(vendor, rows, owners, links, entries) -> None:
    from django.db import connection, transaction

    tables = [
        ("contacts_contact", contact_columns(), rows),
        ("contacts_contactowner", ["contact_id", "user_id", "added_at"], owners),
        (
            "contacts_contacttag",
            ["contact_id", "tag_id", "added_at", "origin", "origin_label"],
            links,
        ),
        (
            "activity_activity",
            [
                "contact_id",
                "kind",
                "occurred_at",
                "actor_label",
                "detail_type",
                "payload",
            ],
            [(c, k, w, "", "", "{}") for c, k, w in entries],
        ),
    ]
    with transaction.atomic():
        for table, columns, data in tables:
            if vendor == "postgresql":
                raw = connection.connection  # psycopg 3: COPY is the bulk path
                statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
                with raw.cursor() as cursor, cursor.copy(statement) as copy:
                    for row in data:
                        copy.write_row(row)
            else:
                data = [tuple(_sqlite_value(v) for v in row) for row in data]
                placeholders = ", ".join(["%s"] * len(columns))
                with connection.cursor() as cursor:
                    cursor.executemany(
                        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})",
                        data,
                    )


def _sqlite_value(value):
    # Django keeps naive UTC text in SQLite; the driver's own adapter would add an offset.
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")
    return value


def measure(runs: int) -> dict:
    from kartoteka.accounts.models import User
    from kartoteka.contacts.models import Contact
    from kartoteka.segments import queries, text

    admin = User.objects.get(username="bench_admin")
    sales = User.objects.get(username="bench_sales3")
    results = {"contacts": Contact.objects.count(), "filters": {}}
    load_before, probe_before = os.getloadavg(), host_probe_ms()
    for name, document in FILTERS.items():
        actor = sales if isinstance(document, str) else admin
        timings, count = [], 0
        for _ in range(runs + 1):  # the first run warms the cache and is not counted
            started = time.perf_counter()
            parsed = text.parse(document) if isinstance(document, str) else document
            count, items, _next = queries.search(actor, parsed, limit=50)
            timings.append((time.perf_counter() - started) * 1000)
        median = statistics.median(timings[1:])
        results["filters"][name] = {
            "median_ms": round(median, 1),
            "count": count,
            "first_page": len(items),
            "actor": actor.role,
        }
        print(f"  {name:<32} {median:8.1f} ms  count {count}", flush=True)
    # The machine is shared: the 1-minute load average before and after says how busy it was.
    results["load_average"] = [round(load_before[0], 2), round(os.getloadavg()[0], 2)]
    # The host is shared too: the same fixed loop takes from about 360 to 640 ms at a load
    # average under 1, and every timing above moves with it.
    results["host_probe_ms"] = [probe_before, host_probe_ms()]
    return results


def backend_cpu_ms() -> float:
    """CPU time of this connection's PostgreSQL backend so far (0 on SQLite)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def measure_side(runs: int, only: list[str]) -> dict:
    """Each side-table filter as an admin and as a sales user: its count checked once against
    the plain query's (the contacts in the actor's scope that match), then the count alone and
    the whole search (count and first page of 50), alternated run by run: medians of wall and
    CPU time (this process plus the PostgreSQL backend, not its parallel workers)."""
    from kartoteka.accounts.models import User
    from kartoteka.deals.models import Pipeline
    from kartoteka.segments import queries, text

    actors = {
        "admin": User.objects.get(username="bench_admin"),
        "sales": User.objects.get(username="bench_sales3"),
    }
    pipeline = Pipeline.objects.get(key="sales").pk
    ways = {
        "count": queries.count_contacts,
        "search": lambda actor, document: queries.search(actor, document, limit=50)[0],
    }
    results = {}
    for name, document in SIDE_FILTERS.items():
        if only and name not in only:
            continue
        if isinstance(document, str):
            document = text.parse(document.format(pipeline=pipeline))
        for role, actor in actors.items():
            expected = queries.filter_contacts(actor, document).count()
            timings = {way: {"wall": [], "cpu": []} for way in ways}
            load = os.getloadavg()[0]
            for run in range(runs + 1):
                for way, call in ways.items():
                    cpu, backend = time.process_time(), backend_cpu_ms()
                    started = time.perf_counter()
                    found = call(actor, document)
                    wall = (time.perf_counter() - started) * 1000
                    used = (time.process_time() - cpu) * 1000 + backend_cpu_ms() - backend
                    assert found == expected, (name, role, way, found, expected)
                    if run:  # the first run warms the cache
                        timings[way]["wall"].append(wall)
                        timings[way]["cpu"].append(used)
            entry = {
                "matches": expected,
                "load_average": [round(load, 2), round(os.getloadavg()[0], 2)],
            }
            for way, got in timings.items():
                entry[way] = {
                    "wall_ms": round(statistics.median(got["wall"]), 1),
                    "cpu_ms": round(statistics.median(got["cpu"]), 1),
                }
            results[f"{name} ({role})"] = entry
            print(f"  {name} ({role}): {entry}", flush=True)
    return results


def host_probe_ms() -> float:
    """The median time of a fixed CPU-bound loop (sum of 20,000,000 integers), three runs."""
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        sum(range(20_000_000))
        timings.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(timings))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument(
        "--side-tables",
        action="store_true",
        help="fill eCommerce totals, deals, consents and a mailing list once, then time the "
        "filters those tables answer",
    )
    parser.add_argument("--only", action="append", default=[], help="a side-table filter's name")
    parser.add_argument(
        "--label", default="", help="kept with the side-table results (e.g. the code measured)"
    )
    args = parser.parse_args()
    configure(args.db, args.contacts)
    ensure_database(args.db)
    build(args.contacts)
    if args.side_tables:
        fill_side_tables()
        fill_lists()
    if args.build_only:
        return
    if args.side_tables:
        probe = host_probe_ms()
        results = {"filters": measure_side(args.runs, args.only)}
        results.update(
            host_probe_ms=[probe, host_probe_ms()],
            runs=args.runs,
            contacts=args.contacts,
            machine=f"{os.cpu_count()} cores",
        )
        out = ROOT / "bench" / "results" / "segments_side_tables.json"
        existing = json.loads(out.read_text()) if out.exists() else {}
        existing[f"{args.db}, {args.label}" if args.label else args.db] = results
        out.write_text(json.dumps(existing, indent=2, ensure_ascii=False) + "\n")
        return
    results = measure(args.runs)
    results.update(
        runs=args.runs, python=platform.python_version(), machine=f"{os.cpu_count()} cores"
    )
    out = ROOT / "bench" / "results" / "segments.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    existing = json.loads(out.read_text()) if out.exists() else {}
    existing[args.db] = results
    out.write_text(json.dumps(existing, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
