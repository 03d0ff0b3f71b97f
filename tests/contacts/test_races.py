"""Idempotent requests stay idempotent when many arrive at once (real threads, PostgreSQL).

On SQLite every write transaction starts with BEGIN IMMEDIATE (settings), so two writers never
run at the same time and these races cannot happen there; the tests run on PostgreSQL only."""

import threading

import pytest
from django.db import connection, connections
from django.test import Client

from kartoteka.accounts.services import create_token
from kartoteka.contacts.models import Contact, ContactEmail, ContactTag
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


def _all_at_once(request) -> list:
    """Run `request(client)` from CALLERS threads released together; their responses."""
    admin = UserFactory(username="racer", role="admin")
    _row, token = create_token(SYSTEM, admin, name="race")
    barrier = threading.Barrier(CALLERS)
    responses: list = [None] * CALLERS

    def call(index: int) -> None:
        client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
        try:
            barrier.wait()
            responses[index] = request(client)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=call, args=(i,)) for i in range(CALLERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return responses


def test_concurrent_adds_of_one_tag_all_succeed_and_link_it_once():
    contact = make_contact(SYSTEM, email="tagged@example.com")
    responses = _all_at_once(
        lambda client: client.post(
            f"/api/v1/contacts/{contact.pk}/tags", {"tags": ["vip"]}, "application/json"
        )
    )
    assert [r.status_code for r in responses] == [200] * CALLERS
    assert sum(r.json()["added"] == ["vip"] for r in responses) == 1
    assert ContactTag.objects.filter(contact=contact).count() == 1


def test_concurrent_identical_upserts_make_one_contact_and_all_succeed():
    responses = _all_at_once(
        lambda client: client.put(
            "/api/v1/contacts/by-email/same@example.com",
            {"first_name": "Ana", "tags": ["vip"]},
            "application/json",
        )
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * (CALLERS - 1) + [201]
    assert ContactEmail.objects.filter(email_folded="same@example.com").count() == 1
    assert Contact.objects.count() == 1
    assert {r.json()["id"] for r in responses} == {Contact.objects.get().pk}
