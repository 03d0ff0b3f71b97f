"""Periodic work: an app registers a task to run every so often, and every worker runs a small
clock that runs what is due. Several workers may run; a conditional UPDATE lets exactly one of
them claim each due run, so nothing runs twice.

The clock runs the upkeep in a thread of its own instead of putting it on the task queue, where
an import started meanwhile waited for a recount of every segment to end. A second thread tells
the apps every few seconds that the worker runs (core.signals.worker_ticking), so they take over
work whose process died while this worker was running."""

import datetime as dt
import logging
import threading
from dataclasses import dataclass
from typing import Any

from django.db import DatabaseError, close_old_connections
from django.utils import timezone

from kartoteka.core.models import PeriodicRun
from kartoteka.core.signals import worker_ticking

logger = logging.getLogger(__name__)

CLOCK_TICK_SECONDS = 30
WATCH_TICK_SECONDS = 10
NEVER = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Periodic:
    name: str
    interval: dt.timedelta
    task: Any  # a django_tasks Task taking no arguments


_periodic: dict[str, Periodic] = {}


def every(interval: dt.timedelta, name: str, task: Any) -> None:
    """Enqueue `task` about once per `interval` while a worker runs; call from AppConfig.ready."""
    _periodic[name] = Periodic(name, interval, task)


def registered() -> list[Periodic]:
    return list(_periodic.values())


def run_due(now: dt.datetime | None = None) -> list[str]:
    """Run each periodic task whose interval has passed; the names of those run."""
    now = now or timezone.now()
    ran = []
    for job in _periodic.values():
        PeriodicRun.objects.get_or_create(name=job.name, defaults={"last_enqueued_at": NEVER})
        claimed = PeriodicRun.objects.filter(
            name=job.name, last_enqueued_at__lte=now - job.interval
        ).update(last_enqueued_at=now)
        if claimed:
            ran.append(job.name)
            try:
                job.task.call()
            except DatabaseError:
                raise
            except Exception:  # one failing task does not keep the others from their turn
                logger.exception("periodic task %s failed", job.name)
    return ran


def tell_apps_the_worker_runs() -> None:
    worker_ticking.send(sender=run_due)


def start_clock(
    tick_seconds: float = CLOCK_TICK_SECONDS, watch_seconds: float = WATCH_TICK_SECONDS
) -> threading.Event:
    """Run run_due now and then every tick, and tell the apps every `watch_seconds` that the
    worker runs, each in a daemon thread; set the event to stop both."""
    stop = threading.Event()
    _repeat("kartoteka-clock", tick_seconds, run_due, stop)
    _repeat("kartoteka-watch", watch_seconds, tell_apps_the_worker_runs, stop)
    return stop


def _repeat(name: str, seconds: float, work: Any, stop: threading.Event) -> None:
    def loop() -> None:
        while True:
            try:
                work()
            except DatabaseError:  # the database is briefly away: try again next tick
                logger.exception("%s: the database could not be reached", name)
            finally:
                close_old_connections()
            if stop.wait(seconds):
                return

    threading.Thread(target=loop, name=name, daemon=True).start()
