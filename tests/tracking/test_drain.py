"""The worker's drain with helper processes (PostgreSQL): the same visits, page views, timeline
entries and totals as one process writes, each visitor's hits in order by one process at a
time, two drains at once sharing the queue, and no helper outliving a killed drain. On SQLite
the drain keeps one writer, so only the first test runs there."""

import datetime as dt
import json
import multiprocessing
import os
import signal
import time
from pathlib import Path

import pytest
from django.db import connection, connections
from django.utils import timezone

from kartoteka.activity.models import Activity
from kartoteka.contacts.models import Contact
from kartoteka.core.scope import SYSTEM
from kartoteka.privacy.services import set_monitoring
from kartoteka.tracking import kinds, services
from kartoteka.tracking.models import Hit, MonitoringLink, PageView, Visit, Visitor, VisitTotals
from tests.factories import make_contact
from tests.procfs import alive
from tests.tracking.helpers import CHROME, make_site

pytestmark = pytest.mark.django_db(transaction=True)
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite drains with one writer"
)

# Twelve browsers; the first two are Ana's (in different partitions), the third Ben's, the
# fourth opens a monitoring link that starts monitoring Cid; the others stay anonymous.
VISITORS = [f"visitor-drain-{n:02d}" for n in range(12)]
LANDING = "https://shop.example.com/?utm_source=google&utm_campaign=winter&gclid=Cj0"
# When the queue starts: the same for every queue of the same test run.
START = timezone.now() - dt.timedelta(days=2)
# Waits for other processes poll until this many seconds have passed (pytest-timeout bounds
# the test as a whole).
WAIT_S = 60


def _people():
    site = make_site()
    make_contact(email="ana@example.com")
    make_contact(email="ben@example.com")
    cid = make_contact(email="cid@example.com")
    set_monitoring(SYSTEM, cid, enabled=False)
    link = services.create_monitoring_link(
        SYSTEM, cid, url="https://shop.example.com/", starts_monitoring=True
    )
    Activity.objects.all().delete()  # what the drain writes is compared, not this
    return site, link


def _queue(site, link) -> int:
    """Hits of the twelve visitors interleaved in order of arrival, 7 s apart: page views,
    "left the page" hits, identifications half-way through a visit (Ana twice, Ben, Cid by the
    link) and a 40-minute pause that starts new visits, a campaign landing for Ben after it.
    Returns how many page views were queued."""
    rows, at, views = [], START, 0
    for step in range(40):
        if step == 25:
            at += dt.timedelta(minutes=40)
        for n, visitor in enumerate(VISITORS):
            if (step + n) % 3 == 0:
                continue
            at += dt.timedelta(seconds=7)
            url = f"https://shop.example.com/p/{(step * 7 + n) % 11}"
            if n == 2 and step == 26:
                url = LANDING
            rows.append(_hit(site, visitor, "view", at, url=url, title=f"P{step}", ua=CHROME))
            views += 1
            if step % 4 == 3 and n % 2:
                rows.append(_hit(site, visitor, "leave", at, url=url, seconds=5 + n, ua=CHROME))
        if step == 12:
            for visitor, email in zip(VISITORS[:3], ["ana@", "ana@", "ben@"], strict=True):
                rows.append(
                    _hit(site, visitor, "identify", at, url="", email=email + "example.com")
                )
            rows.append(_hit(site, VISITORS[3], "identify", at, url="", link=link.pk))
    Hit.objects.bulk_create(rows)
    return views


def _hit(site, visitor, kind, at, **data):
    return Hit(site=site, visitor=visitor, kind=kind, received_at=at, data=data)


def _outcome() -> dict:
    """What the drain wrote, in terms that do not depend on ids or on when it ran."""
    keys = dict(Visitor.objects.values_list("pk", "key"))
    visit_fields = ["site_id", "contact_id", "started_at", "ended_at", "pages", "entry_url"]
    visit_fields += ["utm_source", "gclid", "device_type"]
    visits = {
        pk: (keys[visitor], *values)
        for pk, visitor, *values in Visit.objects.values_list("pk", "visitor_id", *visit_fields)
    }
    views = PageView.objects.values_list("visit_id", "url", "title", "viewed_at", "seconds")
    # Entries the drain itself dates (a visit, a download) with their time; the others (the
    # link starting monitoring, campaign fields filled) are dated when written.
    entries = [
        (contact, kind, json.dumps(payload, sort_keys=True), at if kind in _DATED else None)
        for contact, kind, payload, at in Activity.objects.values_list(
            "contact_id", "kind", "payload", "occurred_at"
        )
    ]
    return {
        "visits": sorted(visits.values()),
        "views": sorted((visits[visit], *rest) for visit, *rest in views),
        "entries": sorted(entries, key=repr),
        "totals": sorted(VisitTotals.objects.values_list()),
        "contacts": sorted(
            Contact.objects.values_list("pk", "is_monitored", "utm_source", "gclid")
        ),
        "queued": Hit.objects.count(),
    }


_DATED = {kinds.VISITED.key, kinds.DOWNLOADED.key}


def _forget_outcome(link) -> None:
    """Back to before the drain: no visitors (nor their visits), totals, timeline entries or
    campaign fields, Cid unmonitored and the link unopened."""
    Visitor.objects.all().delete()
    VisitTotals.objects.all().delete()
    Activity.objects.all().delete()
    Contact.objects.update(utm_source="", utm_campaign="", gclid="", last_activity_at=None)
    Contact.objects.filter(pk=link.contact_id).update(is_monitored=False)
    MonitoringLink.objects.filter(pk=link.pk).update(opened_at=None)


def _partition(visitor: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {services._PARTITION_OF} FROM (SELECT %s::text AS visitor) v", [visitor]
        )
        return cursor.fetchone()[0]


@pytest.fixture
def small_batches(monkeypatch):
    """Batches of 5 hits, so each partition takes several, one after the other."""
    monkeypatch.setattr(services, "BATCH", 5)


def test_a_drain_by_partition_and_with_helpers_writes_what_one_in_order_of_arrival_does(
    monkeypatch,
):
    site, link = _people()
    views = _queue(site, link)
    queued = Hit.objects.count()
    # The whole queue in one batch, in order of arrival by one writer, as SQLite drains it.
    monkeypatch.setattr(services, "BATCH", queued)
    assert services._drain(None, None) == queued
    in_order = _outcome()
    assert in_order["queued"] == 0
    assert len(in_order["views"]) == views
    # Every path of a batch was taken: visits joined to the three contacts, Cid's monitoring
    # started by the link, Ben's campaign fields filled, pages left after some seconds.
    assert len(in_order["totals"]) == 3
    assert [c[1:] for c in in_order["contacts"]] == [
        (True, "", ""),
        (True, "google", "Cj0"),
        (True, "", ""),
    ]
    assert any(seconds for *_view, seconds in in_order["views"])
    _forget_outcome(link)
    _queue(site, link)
    assert services.process_hits(processes=1) == queued
    assert _outcome() == in_order
    # Batches of 5: each partition takes several, one after the other. A visit's timeline
    # entry counts the pages its first batch held, so batches cut elsewhere write other
    # counts there; all the rest is the same, and helpers write what one process writes.
    monkeypatch.setattr(services, "BATCH", 5)
    _forget_outcome(link)
    _queue(site, link)
    assert services.process_hits(processes=1) == queued
    one_process = _outcome()
    assert {**one_process, "entries": None} == {**in_order, "entries": None}
    _forget_outcome(link)
    _queue(site, link)
    assert services.process_hits(processes=3) == queued
    with_helpers = _outcome()
    for key in with_helpers:
        assert with_helpers[key] == one_process[key], key
    if connection.vendor == "postgresql":
        assert _partition(VISITORS[0]) != _partition(VISITORS[1])
        assert len({_partition(visitor) for visitor in VISITORS}) >= 6


def _drain_when_told(go, processes: int) -> None:
    """A drain in a forked process, as a second worker would run it."""
    go.wait(WAIT_S)
    services.process_hits(processes=processes)


@postgresql_only
def test_two_drains_at_once_take_every_hit_once(small_batches):
    site, link = _people()
    _queue(site, link)
    services.process_hits(processes=1)
    one_process = _outcome()
    _forget_outcome(link)
    _queue(site, link)
    connections.close_all()  # the drains are forked: none may share this connection
    context = multiprocessing.get_context("fork")
    go = context.Event()
    drains = [context.Process(target=_drain_when_told, args=(go, 2)) for _ in range(2)]
    for drain in drains:
        drain.start()
    go.set()
    for drain in drains:
        drain.join(WAIT_S)
    assert [drain.exitcode for drain in drains] == [0, 0]
    assert _outcome() == one_process


@postgresql_only
def test_a_partition_another_process_holds_is_left_to_it():
    site, link = _people()
    _queue(site, link)
    held = _partition(VISITORS[5])
    other = connection.get_new_connection(connection.get_connection_params())
    try:
        other.execute("BEGIN")
        other.execute("SELECT pg_advisory_xact_lock(%s, %s)", [services._PARTITION_LOCK, held])
        services.process_hits(processes=2)
        left = set(Hit.objects.values_list("visitor", flat=True))
        assert VISITORS[5] in left
        assert {_partition(visitor) for visitor in left} == {held}
    finally:
        other.close()
    services.process_hits(processes=2)
    assert not Hit.objects.exists()


def _children(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _waiting_for(condition) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, "waited too long"
        time.sleep(0.02)


def _others_on_this_database(state_filter: str = "") -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            f" WHERE datname = current_database() AND pid <> pg_backend_pid() {state_filter}"
        )
        return cursor.fetchone()[0]


@postgresql_only
def test_a_killed_drain_leaves_no_helpers_and_no_hit_half_done():
    site, link = _people()
    views = _queue(site, link)
    ana = Contact.objects.get(email="ana@example.com")
    # Another transaction holds Ana's row: a batch with her visitors waits for it in a helper.
    blocker = connection.get_new_connection(connection.get_connection_params())
    try:
        blocker.execute("BEGIN")
        blocker.execute("SELECT id FROM contacts_contact WHERE id = %s FOR UPDATE", [ana.pk])
        connections.close_all()  # the drain is forked: it may not share this connection
        worker = multiprocessing.get_context("fork").Process(
            target=services.process_hits, kwargs={"processes": 2}
        )
        worker.start()
        _waiting_for(lambda: _others_on_this_database("AND wait_event_type = 'Lock'") >= 1)
        helpers = _children(worker.pid)
        assert len(helpers) == 2 and all(alive(helper) for helper in helpers)
        os.kill(worker.pid, signal.SIGKILL)
        worker.join(WAIT_S)
        _waiting_for(lambda: not any(alive(helper) for helper in helpers))
    finally:
        blocker.close()
    # The batch the helper was writing is rolled back once its connection is seen gone.
    _waiting_for(lambda: _others_on_this_database() == 0)
    assert Hit.objects.filter(visitor__in=VISITORS[:2]).exists()
    services.process_hits()
    assert not Hit.objects.exists()
    assert PageView.objects.count() == views


@postgresql_only
def test_a_long_queue_is_drained_by_a_helper_per_core_and_a_limit_by_one_process(monkeypatch):
    pools = []
    real_pool = services.helper_pool

    def counted(size, *args, **kwargs):
        pools.append(size)
        return real_pool(size, *args, **kwargs)

    monkeypatch.setattr(services, "helper_pool", counted)
    monkeypatch.setattr(services.os, "cpu_count", lambda: 2)
    site, link = _people()
    _queue(site, link)
    queued = Hit.objects.count()
    monkeypatch.setattr(services, "PARALLEL_FROM", queued + 1)
    assert services.process_hits(limit=10) == 10
    assert services.process_hits(limit=queued) == queued - 10
    assert pools == []
    _forget_outcome(link)
    _queue(site, link)
    assert services.process_hits() == queued
    assert pools == []
    _forget_outcome(link)
    _queue(site, link)
    monkeypatch.setattr(services, "PARALLEL_FROM", queued)
    assert services.process_hits() == queued
    assert pools == [2]


@postgresql_only
def test_the_drains_helpers_yield_the_cores_to_the_collector(monkeypatch):
    """Each helper runs DRAIN_NICENESS steps below the worker (os.nice), so that requests are
    served first while the drain runs."""
    monkeypatch.setattr(services.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(services, "PARALLEL_FROM", 1)
    site, link = _people()
    _queue(site, link)
    here = os.nice(0)
    # Helpers are forked: each runs this stand-in for a drain, which reports its niceness.
    monkeypatch.setattr(services, "_drain", lambda partitions, limit: os.nice(0) - here)
    assert services.process_hits() == 2 * (min(here + services.DRAIN_NICENESS, 19) - here)
    assert os.nice(0) == here
