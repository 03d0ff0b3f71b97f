"""The same batch sent by several retries at once is written once: every other copy counts
its events as duplicates, and the totals and the timeline hold each event once (real threads;
PostgreSQL makes a second writer wait on the first's ids, SQLite serialises the writers)."""

import threading

import pytest
from django.db import connections
from django.test import Client

from kartoteka.accounts.services import create_token
from kartoteka.activity.models import Activity
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
