"""Benchmark: the duplicates scan over N synthetic contacts (default 1,000,000), as the
background task runs it.

Contacts are generated (names from Faker's es_ES, pl_PL and en_US lists) with a known set of
planted duplicates — same phone with a typo in the name, same name at the same company, a typo
in the name with the same e-mail domain, swapped names in the same city — and written once into
a SQLite database in bench/data/ (kept for later runs). Each timed run is the scan task's
service: read every contact, e-mail and phone, find the groups with the workspace's matching
rules (the defaults the migrations install), store them and drop the previous scan's. The
script reports wall and CPU time per stage, precision and recall over pairs, and writes
bench/results/duplicates.json.

    flock /tmp/kt-bench.lock .venv/bin/python bench/duplicates.py [N] [--runs R]
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
from contextlib import contextmanager
from itertools import combinations
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from faker.providers.person.en_US import Provider as EnglishNames  # noqa: E402
from faker.providers.person.es_ES import Provider as SpanishNames  # noqa: E402
from faker.providers.person.pl_PL import Provider as PolishNames  # noqa: E402

FREE_MAIL = ["gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "wp.pl", "onet.pl"]
PLANT_SHARE = 0.02


def _names(provider, attribute: str) -> list[str]:
    value = getattr(provider, attribute)
    return list(value.keys()) if isinstance(value, dict) else list(value)


FIRST = sorted(
    {n for p in (SpanishNames, PolishNames, EnglishNames) for n in _names(p, "first_names")}
)
LAST = sorted(
    {n for p in (SpanishNames, PolishNames, EnglishNames) for n in _names(p, "last_names")}
)


def typo(rng: random.Random, word: str) -> str:
    if len(word) < 5:
        return word + rng.choice("aeiou")
    i = rng.randrange(1, len(word) - 1)
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]  # two letters swapped


def generate(n: int, seed: int = 7):
    """Return (people, planted pairs of their indexes). About PLANT_SHARE are duplicates."""
    rng = random.Random(seed)
    companies = [
        f"{rng.choice(LAST)} {rng.choice(['SL', 'SA', 'sp. z o.o.', 'Ltd', 'Inc'])} {i}"
        for i in range(n // 20)
    ]
    cities = [f"City {i}" for i in range(400)]
    base = n - int(n * PLANT_SHARE)
    people = []
    for i in range(base):
        first = rng.choice(FIRST)
        last = rng.choice(LAST) + (" " + rng.choice(LAST) if rng.random() < 0.5 else "")
        company = rng.choice(companies) if rng.random() < 0.6 else ""
        domain = rng.choice(FREE_MAIL) if not company or rng.random() < 0.5 else f"c{i % 5000}.com"
        person = {
            "first_name": first,
            "last_name": last,
            "emails": [f"p{i}@{domain}"],
            "phones": [f"+346{i:08d}"] if rng.random() < 0.7 else [],
            "company": company,
            "city": rng.choice(cities),
        }
        people.append(person)
    planted = set()
    for j in range(base, n):
        original_id = rng.randrange(base)
        original = people[original_id]
        kind = rng.randrange(4)
        copy = dict(original, emails=[f"d{j}@{original['emails'][0].split('@')[1]}"], phones=[])
        if kind == 0 and original["phones"]:
            copy.update(
                phones=original["phones"],
                first_name=typo(rng, original["first_name"]),
                emails=[f"d{j}@{rng.choice(FREE_MAIL)}"],
            )
        elif kind == 1 and original["company"]:
            copy.update(first_name=original["first_name"].upper(), city=rng.choice(cities))
        elif kind == 2:
            copy.update(last_name=typo(rng, original["last_name"]), city=rng.choice(cities))
        else:
            copy.update(
                first_name=original["last_name"],
                last_name=original["first_name"],
                emails=[f"d{j}@{rng.choice(FREE_MAIL)}"],
            )
        people.append(copy)
        planted.add((original_id, j))
    return people, planted


def score(groups, planted, min_confidence: int = 0) -> tuple[float, float, int]:
    """Precision and recall over pairs of contacts put in one group, at or above a confidence."""
    found = set()
    for group in groups:
        if group.confidence < min_confidence:
            continue
        for a, b in combinations(group.contact_ids, 2):
            found.add((a, b))
    true_positive = len(found & planted)
    precision = true_positive / len(found) if found else 1.0
    recall = true_positive / len(planted) if planted else 1.0
    return precision, recall, len(found)


def configure(contacts: int) -> Path:
    os.environ.setdefault("KARTOTEKA_DATA_DIR", "/tmp/kt-dups-bench")
    os.environ["KARTOTEKA_TASKS"] = "immediate"
    data = ROOT / "bench" / "data"
    data.mkdir(parents=True, exist_ok=True)
    database = data / f"duplicates-{contacts}.sqlite3"
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "kartoteka.settings"
    import django

    django.setup()
    return database


def _sqlite_value(value):
    # Django keeps naive UTC text in SQLite; the driver's own adapter would add an offset.
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")
    return value


def build(people: list[dict]) -> None:
    """Write the contacts, their companies, e-mails and phones with plain INSERTs (ids are the
    generator's indexes + 1), once: a database that already has them is kept."""
    from django.core.management import call_command
    from django.db import connection, transaction

    from kartoteka.contacts.models import Contact
    from kartoteka.core.normalise import fold_search

    call_command("migrate", verbosity=0)
    if Contact.objects.count() == len(people):
        return
    started = time.perf_counter()
    now = _sqlite_value(dt.datetime.now(dt.UTC))
    fields = Contact._meta.concrete_fields
    template = {}
    for model_field in fields:
        if model_field.primary_key or model_field.column in ("created_at", "updated_at"):
            template[model_field.column] = None  # set for each row below
            continue
        default = model_field.get_default() if model_field.has_default() else None
        if default is None and not model_field.null:
            default = ""
        template[model_field.column] = model_field.get_db_prep_save(default, connection)
    template.update(created_at=now, updated_at=now)
    columns = list(template)
    companies = {name: i for i, name in enumerate(sorted({p["company"] for p in people} - {""}), 1)}
    contacts, emails, phones = [], [], []
    for index, person in enumerate(people):
        pk = index + 1
        email = person["emails"][0]
        phone = person["phones"][0] if person["phones"] else ""
        row = dict(
            template,
            id=pk,
            email=email,
            phone=phone,
            first_name=person["first_name"],
            last_name=person["last_name"],
            company_id=companies.get(person["company"]),
            city=person["city"],
            search_text=fold_search(f"{person['first_name']} {person['last_name']} {email}"),
        )
        contacts.append(tuple(row[c] for c in columns))
        emails.append((pk, email, email.casefold(), True, now))
        if phone:
            phones.append((pk, phone, True, now))
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous=OFF")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO contacts_company (id, name, name_folded, domain, created_at)"
            " VALUES (%s, %s, %s, '', %s)",
            [(pk, name, name.casefold(), now) for name, pk in companies.items()],
        )
        cursor.executemany(
            f"INSERT INTO contacts_contact ({', '.join(columns)})"
            f" VALUES ({', '.join(['%s'] * len(columns))})",
            contacts,
        )
        cursor.executemany(
            "INSERT INTO contacts_contactemail (contact_id, email, email_folded, is_primary,"
            " created_at) VALUES (%s, %s, %s, %s, %s)",
            emails,
        )
        cursor.executemany(
            "INSERT INTO contacts_contactphone (contact_id, number, is_primary, created_at)"
            " VALUES (%s, %s, %s, %s)",
            phones,
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"database built in {time.perf_counter() - started:.0f} s", flush=True)


@contextmanager
def stage_timer(stages: dict[str, list[float]]):
    """Time the scan's three stages by wrapping the functions the service calls."""
    from kartoteka.duplicates import queries, services

    originals = {
        "read": (queries, "finder_records"),
        "match": (services, "find_groups"),
        "store": (services, "_store_groups"),
    }
    saved = {}
    for stage, (module, name) in originals.items():
        function = getattr(module, name)
        saved[(module, name)] = function

        def timed(*args, _function=function, _stage=stage, **kwargs):
            started = time.perf_counter()
            try:
                return _function(*args, **kwargs)
            finally:
                stages[_stage].append(time.perf_counter() - started)

        setattr(module, name, timed)
    try:
        yield
    finally:
        for (module, name), function in saved.items():
            setattr(module, name, function)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("contacts", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    configure(args.contacts)
    started = time.perf_counter()
    people, planted = generate(args.contacts)
    generated_s = time.perf_counter() - started
    build(people)
    del people
    # Database ids are the generator's indexes + 1.
    planted = {(a + 1, b + 1) for a, b in planted}

    from kartoteka.core.scope import SYSTEM
    from kartoteka.duplicates.queries import active_rules, stored_groups, with_contact_ids
    from kartoteka.duplicates.services import scan_now

    times, cpu_times = [], []
    load_at_start = os.getloadavg()
    stages: dict[str, list[float]] = {"read": [], "match": [], "store": []}
    for _ in range(args.runs):
        started, cpu_started = time.perf_counter(), time.process_time()
        with stage_timer(stages):
            scan = scan_now(SYSTEM, trigger="benchmark")
        times.append(time.perf_counter() - started)
        # CPU time tells the work apart from waiting for a core on a busy shared machine.
        cpu_times.append(time.process_time() - cpu_started)
        print(
            f"scan stored {scan.groups_found} groups in {times[-1]:.1f} s"
            f" ({cpu_times[-1]:.1f} s CPU; read {stages['read'][-1]:.1f} s,"
            f" match {stages['match'][-1]:.1f} s, store {stages['store'][-1]:.1f} s)",
            flush=True,
        )
    groups = with_contact_ids(stored_groups(SYSTEM, scan))
    precision, recall, predicted = score(groups, planted)
    report = {
        "contacts": args.contacts,
        "planted_pairs": len(planted),
        "predicted_pairs": predicted,
        "groups": len(groups),
        "scan_seconds_median": round(statistics.median(times), 2),
        "scan_seconds_runs": [round(t, 2) for t in times],
        "scan_cpu_seconds_median": round(statistics.median(cpu_times), 2),
        "stage_seconds_median": {
            stage: round(statistics.median(values), 2) for stage, values in stages.items()
        },
        "load_average_at_start": [round(x, 2) for x in load_at_start],
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "generate_seconds": round(generated_s, 1),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "by_confidence": {
            str(level): dict(
                zip(
                    ("precision", "recall", "pairs"),
                    (round(v, 4) for v in score(groups, planted, level)),
                    strict=True,
                )
            )
            for level in (70, 80, 90)
        },
        "pairs_compared_fuzzily": scan.pairs_compared,
        "oversized_blocks": scan.oversized_blocks,
        "rules": [r.name for r in active_rules()],
        "database": "SQLite",
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs,"
        f" Python {platform.python_version()}",
    }
    out = Path(__file__).resolve().parent / "results" / "duplicates.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
