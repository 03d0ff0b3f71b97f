"""Periodic work: an app registers a task to enqueue every so often, and every worker runs a small
clock that enqueues what is due. Several workers may run; a conditional UPDATE lets exactly one
of them claim each due run, so nothing is enqueued twice."""

import datetime as dt
import logging
import threading
from dataclasses import dataclass
from typing import Any

from django.db import DatabaseError, close_old_connections
from django.utils import timezone

from kartoteka.core.models import PeriodicRun

logger = logging.getLogger(__name__)

CLOCK_TICK_SECONDS = 30
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


def enqueue_due(now: dt.datetime | None = None) -> list[str]:
    """Enqueue each periodic task whose interval has passed; the names of those enqueued."""
    now = now or timezone.now()
    enqueued = []
    for job in _periodic.values():
        PeriodicRun.objects.get_or_create(name=job.name, defaults={"last_enqueued_at": NEVER})
        claimed = PeriodicRun.objects.filter(
            name=job.name, last_enqueued_at__lte=now - job.interval
        ).update(last_enqueued_at=now)
        if claimed:
            job.task.enqueue()
            enqueued.append(job.name)
    return enqueued


def start_clock(tick_seconds: float = CLOCK_TICK_SECONDS) -> threading.Event:
    """Run enqueue_due now and then every tick in a daemon thread; set the event to stop it."""
    stop = threading.Event()

    def tick() -> None:
        while True:
            try:
                enqueue_due()
            except DatabaseError:  # the database is briefly away: try again next tick
                logger.exception("periodic tasks could not be enqueued")
            finally:
                close_old_connections()
            if stop.wait(tick_seconds):
                return

    threading.Thread(target=tick, name="kartoteka-clock", daemon=True).start()
    return stop
