"""The consent in force under concurrent writes: 24 API calls at once, in shuffled order of
their `given_at`, end with the latest one in force and all 24 in the ledger (PostgreSQL; SQLite
serialises write transactions, so there is no race to lose there)."""

import random
import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, connections
from django.test import Client

from kartoteka.accounts.services import create_token
from kartoteka.consents import queries
from kartoteka.consents.models import ConsentEntry, ConsentState
from kartoteka.core.scope import SYSTEM
from tests.factories import UserFactory, make_contact

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite serialises write transactions (BEGIN IMMEDIATE): no race to lose",
    ),
]

CALLERS = 24
START = datetime(2026, 1, 1, tzinfo=UTC)


def test_concurrent_writes_in_any_order_leave_the_latest_in_force():
    admin = UserFactory(username="racer", role="admin")
    _row, token = create_token(SYSTEM, admin, name="race")
    contact = make_contact(SYSTEM, email="raced@example.com")
    # Alternate statuses by time, the latest a grant; sent in shuffled order.
    bodies = [
        {
            "channel": "email",
            "purpose": "marketing",
            "status": "granted" if i % 2 else "withdrawn",
            "source": "form",
            "given_at": (START + timedelta(minutes=i)).isoformat(),
        }
        for i in range(CALLERS)
    ]
    random.Random(20).shuffle(bodies)
    barrier = threading.Barrier(CALLERS)
    statuses: list = [None] * CALLERS

    def call(index: int) -> None:
        client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
        try:
            barrier.wait()
            statuses[index] = client.post(
                f"/api/v1/contacts/{contact.pk}/consents", bodies[index], "application/json"
            ).status_code
        finally:
            connections.close_all()

    threads = [threading.Thread(target=call, args=(i,)) for i in range(CALLERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [201] * CALLERS
    assert ConsentEntry.objects.filter(contact=contact).count() == CALLERS
    state = ConsentState.objects.get(contact=contact)
    assert state.given_at == START + timedelta(minutes=CALLERS - 1)
    assert queries.consent_status(contact, channel="email", purpose="marketing") == "granted"
