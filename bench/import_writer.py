"""Benchmark: the import writer's CPU alone (contacts.bulk.upsert_contacts), this code against
other trees' (older commits exported with `git archive`), alternately, on SQLite.

The CSV of bench/import.py is cleaned and prepared as an import's helper processes do it
(clean_row, prepare_new_contact) and pickled as they send it; then only the writer is timed:
unpickling and writing 2,000-row batches into a new database, one transaction each, with the
process's CPU clock (time.process_time), so other work on the machine barely moves it. Each
run is a process of its own; runs of the two trees alternate.

    .venv/bin/python bench/import_writer.py [N] --other DIR [--other DIR…] [--runs R]

writes bench/results/import_writer.json.
"""

import argparse
import csv
import importlib.util
import json
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BATCH = 2000
FIELDS = {
    "Email": "email",
    "First name": "first_name",
    "Last name": "last_name",
    "Phone": "phone",
    "Company": "company",
    "Job title": "job_title",
    "Street": "street",
    "City": "city",
    "Postal code": "postal_code",
    "Region": "region",
    "Country": "country",
    "Birthday": "birthday",
    "Score": "score",
    "Status": "status",
    "Tags": "tags",
}


def _csv(rows: int) -> Path:
    """bench/import.py's CSV of `rows` rows, generated once."""
    path = ROOT / "bench" / "data" / f"import-{rows}.csv"
    if not path.exists():
        spec = importlib.util.spec_from_file_location("bench_import", ROOT / "bench" / "import.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        path.parent.mkdir(parents=True, exist_ok=True)
        module.generate(path, rows)
    return path


def run_once(csv_path: Path) -> dict:
    """In a process whose sys.path starts with the tree under test: prepare, then time."""
    import django
    from django.core.management import call_command
    from django.db import transaction

    django.setup()
    call_command("migrate", verbosity=0)
    from kartoteka.accounts.models import User
    from kartoteka.contacts.bulk import BulkOptions, clean_row, prepare_new_contact, upsert_contacts
    from kartoteka.core.errors import InvalidInput

    admin = User.objects.create(username="bench", role="admin")
    batches: list[bytes] = []
    rows: list = []
    with csv_path.open(newline="", encoding="utf-8") as handle:
        for number, raw in enumerate(csv.DictReader(handle), start=2):
            try:
                cleaned = clean_row({FIELDS[k]: v for k, v in raw.items() if v}, {})
            except InvalidInput:
                continue
            prepare_new_contact(cleaned)
            rows.append((number, cleaned))
            if len(rows) == BATCH:
                batches.append(pickle.dumps(rows))
                rows = []
    if rows:
        batches.append(pickle.dumps(rows))
    options = BulkOptions(actor=admin, label="import #1")
    load_before = os.getloadavg()[0]
    cpu = 0.0
    created = 0
    for batch in batches:
        started = time.process_time()
        with transaction.atomic():
            created += len(upsert_contacts(pickle.loads(batch), options).created)
        cpu += time.process_time() - started
    return {
        "writer_cpu_seconds": round(cpu, 3),
        "created": created,
        "load_average_at_start": round(load_before, 1),
        "load_average_at_end": round(os.getloadavg()[0], 1),
    }


def _child(tree: Path, csv_path: Path) -> dict:
    work = Path(tempfile.mkdtemp(prefix="kt-bench-writer-"))
    env = {
        **os.environ,
        "PYTHONPATH": str(tree / "src"),
        "KARTOTEKA_DATA_DIR": str(work),
        "DATABASE_URL": f"sqlite:///{work / 'bench.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "kartoteka.settings",
        "KARTOTEKA_TASKS": "immediate",
    }
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(csv_path)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", nargs="?", type=int, default=20_000)
    parser.add_argument(
        "--other", type=Path, action="append", default=[], help="a tree to compare with"
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_once(args.child)))
        return
    csv_path = _csv(args.rows)
    trees = {"this": ROOT, **{tree.name: tree.resolve() for tree in args.other}}
    runs: dict[str, list[dict]] = {name: [] for name in trees}
    for _ in range(args.runs):
        for name, tree in trees.items():
            result = _child(tree, csv_path)
            runs[name].append(result)
            print(name, json.dumps(result), flush=True)
    summary = {
        "benchmark": "import_writer",
        "database": "sqlite",
        "rows": args.rows,
        "trees": {name: str(tree) for name, tree in trees.items()},
        "runs": runs,
        "median_writer_cpu_seconds": {
            name: statistics.median(r["writer_cpu_seconds"] for r in results)
            for name, results in runs.items()
        },
    }
    out = ROOT / "bench" / "results" / "import_writer.json"
    out.write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary["median_writer_cpu_seconds"]))


if __name__ == "__main__":
    main()
