"""Benchmark: loading the demo data, and the contacts API over it.

Loads 5,000 demo contacts into a fresh SQLite database (the bulk path behind `kartoteka demo`),
re-runs the load (which must find everything there), then times API requests through Django's
WSGI handler: a list page, a search, a filtered page, one contact and an upsert. Each figure is
the median of several rounds. Writes bench/results/contacts.json.
Run: .venv/bin/python bench/contacts.py
"""

import json
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

CONTACTS = 5000
LOAD_ROUNDS = 3
REQUEST_ROUNDS = 30
RESULTS = Path(__file__).resolve().parent / "results" / "contacts.json"


def timed(call, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="kt-bench-contacts-"))
    os.environ["KARTOTEKA_DATA_DIR"] = str(workdir)
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("KARTOTEKA_ALLOWED_HOSTS", "testserver")  # the test client's host
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kartoteka.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from kartoteka.accounts.models import User
    from kartoteka.accounts.services import create_token
    from kartoteka.contacts.demo import load_demo
    from kartoteka.core.scope import SYSTEM

    try:
        call_command("migrate", verbosity=0)
        loads, reloads = [], []
        for _ in range(LOAD_ROUNDS):
            db = workdir / "kartoteka.sqlite3"
            from django.db import connection

            connection.close()
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
            call_command("migrate", verbosity=0)
            loads.append(load_demo(CONTACTS, progress=lambda _line: None).seconds)
            reloads.append(load_demo(CONTACTS, progress=lambda _line: None).seconds)

        admin = User.objects.get(username="admin")
        sales = User.objects.get(username="sales")
        clients = {
            "admin": Client(HTTP_AUTHORIZATION=f"Bearer {create_token(SYSTEM, admin)[1]}"),
            "sales": Client(HTTP_AUTHORIZATION=f"Bearer {create_token(SYSTEM, sales)[1]}"),
        }
        some_id = clients["admin"].get("/api/v1/contacts?limit=1").json()["items"][0]["id"]
        requests = {
            "list 50 (admin)": ("admin", "get", "/api/v1/contacts?limit=50"),
            "list 50 (sales)": ("sales", "get", "/api/v1/contacts?limit=50"),
            "search 'garcia'": ("admin", "get", "/api/v1/contacts?search=garcia&limit=50"),
            "filter status=won & tag=vip": (
                "admin",
                "get",
                "/api/v1/contacts?status=won&tag=vip&limit=50",
            ),
            "read one contact": ("admin", "get", f"/api/v1/contacts/{some_id}"),
            "timeline of one contact": ("admin", "get", f"/api/v1/contacts/{some_id}/timeline"),
        }
        results = {}
        for label, (who, method, url) in requests.items():
            client = clients[who]
            response = getattr(client, method)(url)
            assert response.status_code == 200, (label, response.status_code)
            results[label] = round(
                timed(lambda c=client, u=url: c.get(u), REQUEST_ROUNDS) * 1000, 1
            )
        counter = iter(range(10**6))
        results["upsert by e-mail (create)"] = round(
            timed(
                lambda: clients["admin"].put(
                    f"/api/v1/contacts/by-email/bench{next(counter)}@example.com",
                    {"first_name": "Bench", "tags": ["bench"]},
                    content_type="application/json",
                ),
                REQUEST_ROUNDS,
            )
            * 1000,
            1,
        )
        output = {
            "database": "sqlite",
            "contacts": CONTACTS,
            "demo_load_seconds_median": round(statistics.median(loads), 2),
            "demo_reload_seconds_median": round(statistics.median(reloads), 2),
            "load_rounds": LOAD_ROUNDS,
            "request_ms_median": results,
            "request_rounds": REQUEST_ROUNDS,
        }
        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.write_text(json.dumps(output, indent=2) + "\n")
        print(json.dumps(output, indent=2))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
