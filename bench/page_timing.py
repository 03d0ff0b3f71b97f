"""Shared by the page benchmarks: a fresh SQLite database, and timing a page with its SQL count."""

import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


@contextmanager
def fresh_database(prefix: str) -> Iterator[Path]:
    """Django set up on a new SQLite database in a temporary data folder, removed afterwards."""
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ["KARTOTEKA_DATA_DIR"] = str(workdir)
    os.environ["KARTOTEKA_TASKS"] = "immediate"
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("KARTOTEKA_ALLOWED_HOSTS", "testserver")  # the test client's host
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kartoteka.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    try:
        call_command("migrate", verbosity=0)
        yield workdir
    finally:
        connection.close()
        shutil.rmtree(workdir, ignore_errors=True)


def count_queries(call: Callable[[], object]) -> int:
    """SQL statements `call` runs. Counted with an execute wrapper: the connection is closed
    after each request, as in production, which empties the log CaptureQueriesContext reads."""
    from django.db import connection

    statements = []

    def wrapper(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        call()
    return len(statements)


def time_page(
    client, url: str, *, rounds: int, warm_ups: int = 3, cpu: Callable[[], float] | None = None
) -> dict:
    """Median and 95th percentile of `rounds` GETs of `url` after warm-ups, and its SQL count;
    with `cpu` (a clock of CPU seconds), the median CPU time too."""
    for _ in range(warm_ups):
        assert client.get(url).status_code == 200, url
    queries = count_queries(lambda: client.get(url))
    times, cpu_times = [], []
    for _ in range(rounds):
        began, began_cpu = time.perf_counter(), cpu() if cpu else 0.0
        assert client.get(url).status_code == 200, url
        times.append((time.perf_counter() - began) * 1000)
        if cpu:
            cpu_times.append((cpu() - began_cpu) * 1000)
    times.sort()
    found = {
        "url": url,
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 1),
        "queries": queries,
    }
    if cpu_times:
        found["cpu_median_ms"] = round(statistics.median(cpu_times), 1)
    return found
