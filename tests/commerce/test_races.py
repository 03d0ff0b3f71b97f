"""The same batch sent by several retries at once is written once: every other copy counts
its events as duplicates, and the totals and the timeline hold each event once (real threads;
PostgreSQL makes a second writer wait on the first's ids, SQLite serialises the writers)."""

import threading
import time

import pytest
from django.db import connection, connections, transaction
from django.test import Client

from kartoteka.accounts.services import create_token
from kartoteka.activity.models import Activity
from kartoteka.commerce import services
from kartoteka.commerce.models import ExternalEvent, Totals
from kartoteka.contacts.models import Contact
from kartoteka.core.scope import SYSTEM
from tests.commerce.conftest import purchase
from tests.factories import UserFactory, make_contact

pytestmark = pytest.mark.django_db(transaction=True)

RETRIES = 6


def test_concurrent_retries_of_one_batch_write_it_once():
    admin = UserFactory(username="shop", role="admin")
    _row, token = create_token(SYSTEM, admin, name="shop")
    contact = make_contact()
    batch = [purchase(contact, value="10.00") for _ in range(50)]
    batch.append(purchase("first.time@example.com", value="5.00"))
    barrier = threading.Barrier(RETRIES)
    answers: list = [None] * RETRIES

    def send(index: int) -> None:
        client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
        try:
            barrier.wait()
            answers[index] = client.post(
                "/api/v1/events", {"events": batch}, content_type="application/json"
            ).json()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=(i,)) for i in range(RETRIES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a["accepted"] for a in answers) == [0] * (RETRIES - 1) + [51]
    assert all(a["accepted"] + a["duplicates"] == 51 and not a["rejected"] for a in answers)
    assert ExternalEvent.objects.count() == 51
    assert Activity.objects.filter(kind="purchase").count() == 51
    assert Totals.objects.get(contact=contact).total == 50000
    assert Contact.objects.filter(email="first.time@example.com").count() == 1


def test_two_batches_naming_one_new_address_at_once_make_one_contact():
    """The second batch looks the address up before the first commits, then waits for it:
    its event lands on the contact the first created (PostgreSQL holds its insert on the
    address's unique index until the first commits; SQLite holds it at the write lock)."""
    services.record_events(SYSTEM, [purchase("earlier@example.com")])  # settings created
    first, second = purchase("same.new@example.com"), purchase("same.new@example.com")
    answers: list = []

    def send_second() -> None:
        try:
            answers.append(services.record_events(SYSTEM, [second]))
        finally:
            connections.close_all()

    thread = threading.Thread(target=send_second)
    with transaction.atomic():
        services.record_events(SYSTEM, [first])
        thread.start()
        _until_waiting(thread)
    thread.join()
    (outcome,) = answers
    assert (outcome.accepted, outcome.rejected) == (1, [])
    contact = Contact.objects.get(emails__email_folded="same.new@example.com")
    assert ExternalEvent.objects.filter(contact=contact).count() == 2
    assert Activity.objects.filter(kind="created", contact=contact).count() == 1


def _until_waiting(thread: threading.Thread) -> None:
    """Until the other connection waits on a lock (PostgreSQL: the new address's entry in the
    unique index, which this transaction holds), or a
    moment (SQLite, where it waits for the write lock before its first statement)."""
    if connection.vendor != "postgresql":
        time.sleep(0.5)
        return
    for _ in range(200):
        with connection.cursor() as cursor:
            # The statistics are read once per transaction unless the snapshot is dropped.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                " AND datname = current_database() AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                return
        assert thread.is_alive()
        time.sleep(0.05)
    raise AssertionError("the second batch never waited for the first")
