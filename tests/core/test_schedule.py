import datetime as dt
import time

import pytest
from django.db import DatabaseError
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from kartoteka.core import schedule
from kartoteka.core.models import PeriodicRun
from kartoteka.segments import services as segments
from kartoteka.segments.models import Segment
from tests.factories import make_contact

pytestmark = pytest.mark.django_db

runs: list[str] = []


@task()
def note_a_run() -> None:
    runs.append("ran")


@task()
def broken() -> None:
    raise ValueError("bad")


@pytest.fixture
def every_hour(monkeypatch):
    monkeypatch.setattr(schedule, "_periodic", {})
    runs.clear()
    schedule.every(dt.timedelta(hours=1), "test.note", note_a_run)


def test_a_periodic_task_runs_once_per_interval(every_hour):
    start = timezone.now()
    assert schedule.run_due(start) == ["test.note"]
    assert schedule.run_due(start + dt.timedelta(minutes=59)) == []
    assert schedule.run_due(start + dt.timedelta(hours=1)) == ["test.note"]
    assert runs == ["ran", "ran"]
    assert PeriodicRun.objects.get().last_enqueued_at == start + dt.timedelta(hours=1)


def test_periodic_work_runs_in_the_clock_not_ahead_of_queued_tasks(every_hour, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    assert schedule.run_due() == ["test.note"]
    assert runs == ["ran"]
    assert not DBTaskResult.objects.exists()


def test_a_failing_periodic_task_leaves_the_others_their_turn(every_hour):
    schedule.every(dt.timedelta(hours=1), "test.broken", broken)
    assert schedule.run_due() == ["test.note", "test.broken"]
    schedule._periodic.pop("test.broken")
    assert runs == ["ran"]


def test_of_two_workers_ticking_at_once_only_one_enqueues(every_hour):
    now = timezone.now()
    first, second = schedule.run_due(now), schedule.run_due(now)
    assert (first, second) == (["test.note"], [])
    assert runs == ["ran"]


def test_the_clock_ticks_at_start_and_keeps_ticking_after_a_database_error(monkeypatch):
    ticks: list[int] = []

    def run_due() -> None:
        ticks.append(1)
        if len(ticks) == 1:
            raise DatabaseError("server restarting")

    # The thread's own database connection is outside the test's transaction: stand it in.
    monkeypatch.setattr(schedule, "run_due", run_due)
    monkeypatch.setattr(schedule, "close_old_connections", lambda: None)
    monkeypatch.setattr(schedule, "tell_apps_the_worker_runs", lambda: None)
    stop = schedule.start_clock(tick_seconds=0.01)
    try:
        for _ in range(500):
            if len(ticks) >= 3:
                break
            time.sleep(0.01)
    finally:
        stop.set()
    assert len(ticks) >= 3


def test_segments_are_recounted_periodically_in_their_owners_scope(admin, sales):
    assert "segments.recount" in {job.name for job in schedule.registered()}
    document = {"field": "country", "op": "eq", "value": "PL"}
    mine = segments.create_segment(sales, name="Polish", document=document)
    everyone = segments.create_segment(admin, name="All Polish", document=document)
    make_contact(sales, country="PL")
    make_contact(admin, country="PL")
    make_contact(admin, country="ES")
    assert segments.recount_all_segments() == 2
    mine.refresh_from_db()
    everyone.refresh_from_db()
    assert (mine.count, everyone.count) == (1, 2)
    assert everyone.counted_at > mine.created_at


def test_a_segment_naming_a_deleted_detail_keeps_its_last_count(admin):
    segment = segments.create_segment(
        admin, name="Pro", document={"field": "country", "op": "eq", "value": "PL"}
    )
    Segment.objects.filter(pk=segment.pk).update(
        document={"field": "properties.gone", "op": "eq", "value": "x"}, count=7
    )
    assert segments.recount_all_segments() == 1
    segment.refresh_from_db()
    assert segment.count == 7


def test_the_segments_page_says_how_often_counts_are_refreshed(admin, client, settings):
    settings.KARTOTEKA_SEGMENT_RECOUNT_MINUTES = 30
    client.force_login(admin)
    page = client.get("/segments/").content.decode()
    assert "refreshed every 30 minutes while a worker runs" in page
