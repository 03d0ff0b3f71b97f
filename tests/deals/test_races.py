"""Moves of one deal arriving at once never overwrite each other silently (real threads,
PostgreSQL; SQLite serialises write transactions, so there is no race to lose there)."""

import threading

import pytest
from django.db import connection, connections
from django.test import Client

from kartoteka.accounts.services import create_token
from kartoteka.core.scope import SYSTEM
from kartoteka.deals.models import Deal, StageMove
from tests.factories import UserFactory, make_deal, sales_pipeline

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite serialises write transactions (BEGIN IMMEDIATE): no race to lose",
    ),
]

CALLERS = 24


def _at_once(work) -> None:
    """`work(index)` in CALLERS threads of their own connections, started together."""
    barrier = threading.Barrier(CALLERS)

    def call(index: int) -> None:
        try:
            barrier.wait()
            work(index)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=call, args=(i,)) for i in range(CALLERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _all_at_once(request) -> list:
    admin = UserFactory(username="racer", role="admin")
    _row, token = create_token(SYSTEM, admin, name="race")
    responses: list = [None] * CALLERS

    def call(index: int) -> None:
        client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
        responses[index] = request(client, index)

    _at_once(call)
    return responses


def _open_stages():
    return list(sales_pipeline().stages.filter(kind="open"))


def test_concurrent_moves_with_one_version_let_exactly_one_through():
    deal = make_deal()
    stages = _open_stages()[1:]
    responses = _all_at_once(
        lambda client, i: client.post(
            f"/api/v1/deals/{deal.pk}/move",
            {"stage": stages[i % len(stages)].pk},
            "application/json",
            HTTP_IF_MATCH='"1"',
        )
    )
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] + [409] * (CALLERS - 1)
    winner = next(r for r in responses if r.status_code == 200).json()
    stored = Deal.objects.get(pk=deal.pk)
    assert (stored.version, stored.stage_id) == (2, winner["stage"])
    assert StageMove.objects.filter(deal=deal).count() == 2


def test_concurrent_moves_without_if_match_each_write_a_version_of_their_own():
    deal = make_deal()
    stages = _open_stages()
    responses = _all_at_once(
        lambda client, i: client.post(
            f"/api/v1/deals/{deal.pk}/move",
            {"stage": stages[1 + i % (len(stages) - 1)].pk},
            "application/json",
        )
    )
    assert {r.status_code for r in responses} <= {200, 409}
    moved = [r.json() for r in responses if r.status_code == 200]
    stored = Deal.objects.get(pk=deal.pk)
    # Every version an accepted move answered is in the history, once: none was lost. A move
    # to the stage the deal is already in changes nothing and answers the version it found.
    history = StageMove.objects.filter(deal=deal).exclude(from_stage=None)
    versions = {m["version"] for m in moved} - {1}
    assert history.count() == len(versions) >= 1
    assert stored.version == 1 + history.count() == max(versions)


def test_owner_changes_and_link_changes_at_once_leave_deal_viewers_exact():
    """Owners of contacts changing while deals are linked to them: each write recomputes who
    sees the deals from what the other committed, never from what it is changing
    (tests/deals/test_viewers.py holds the rule)."""
    from kartoteka.contacts import services as contacts
    from kartoteka.deals import services
    from tests.deals.test_viewers import assert_viewers_exact
    from tests.factories import make_contact

    sales_pipeline()
    user = UserFactory(username="owner")
    people = [make_contact() for _ in range(CALLERS // 2)]
    deals = [make_deal(contacts=[people[0]]) for _ in range(CALLERS // 2)]
    failed: list = []

    def change(index: int) -> None:
        try:
            if index % 2:
                contacts.set_owners(SYSTEM, people[index // 2], owners=[user])
            else:
                deal = Deal.objects.get(pk=deals[index // 2].pk)
                linked = [p.pk for p in people[index // 2 % 3 :: 3]] or [people[0].pk]
                services.update_deal(SYSTEM, deal, data={"contacts": linked})
        except Exception as exc:  # noqa: BLE001 - reported below
            failed.append(exc)

    _at_once(change)
    assert failed == []
    assert_viewers_exact()
