"""Helper processes end when told to and when the process that started them dies."""

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kartoteka.core.processes import helper_pool
from tests.procfs import alive

SRC = str(Path(__file__).resolve().parents[2] / "src")
STARTS_HELPERS_AND_WAITS = """
import multiprocessing, os, time
from kartoteka.core.processes import helper_pool
with helper_pool(2) as pool:
    pool.map(abs, range(10))
    busy = pool.map_async(time.sleep, [600, 600], chunksize=1)
    time.sleep(1)  # both helpers are asleep in their task
    print(" ".join(str(p.pid) for p in multiprocessing.active_children()), flush=True)
    busy.wait()
"""


@pytest.fixture
def graceful_sigterm():
    """The SIGTERM handler `kartoteka worker` (django-tasks' db_worker) has while a task runs:
    it only notes that the worker should stop once the task is done."""
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: None)
    yield
    signal.signal(signal.SIGTERM, previous)


def test_leaving_the_pool_waits_for_its_work_and_each_helper_ends_by_itself(graceful_sigterm):
    with helper_pool(2) as pool:
        results = [pool.apply_async(abs, (-n,)) for n in range(50)]
        helpers = multiprocessing.active_children()
    assert [r.get(timeout=0) for r in results] == list(range(50))
    assert helpers and all(h.exitcode == 0 for h in helpers)


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_busy_helpers_die_with_the_process_that_started_them():
    parent = subprocess.Popen(
        [sys.executable, "-c", STARTS_HELPERS_AND_WAITS],
        env={**os.environ, "PYTHONPATH": SRC},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        helpers = [int(pid) for pid in parent.stdout.readline().split()]
        assert len(helpers) == 2 and all(alive(pid) for pid in helpers)
    finally:
        parent.kill()
        parent.wait()
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in helpers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(alive(pid) for pid in helpers)


def _niceness(_item: object) -> int:
    return os.nice(0)


def test_helpers_run_the_niceness_asked_for_below_this_process():
    here = os.nice(0)
    with helper_pool(2, niceness=5) as pool:
        niced = pool.map(_niceness, range(2), chunksize=1)
    with helper_pool(1) as pool:
        plain = pool.map(_niceness, range(1))
    assert niced == [min(here + 5, 19)] * 2
    assert plain == [here]
    assert os.nice(0) == here
