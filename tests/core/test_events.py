"""Domain events reach subscribers only after the write commits."""

import pytest
from django.db import transaction

from kartoteka.core import events


@pytest.fixture
def received():
    seen: list[dict] = []

    def handler(**payload):
        seen.append(payload)

    events.subscribe("test.happened", handler)
    yield seen
    events.unsubscribe("test.happened", handler)


@pytest.mark.django_db(transaction=True)
def test_event_is_delivered_after_commit(received):
    with transaction.atomic():
        events.publish("test.happened", contact_id=1)
        assert received == []
    assert received == [{"event": "test.happened", "contact_id": 1}]


@pytest.mark.django_db(transaction=True)
def test_rolled_back_write_announces_nothing(received):
    with pytest.raises(RuntimeError), transaction.atomic():
        events.publish("test.happened", contact_id=1)
        raise RuntimeError("write failed")
    assert received == []


@pytest.mark.django_db(transaction=True)
def test_a_failing_subscriber_does_not_stop_the_others(received):
    def broken(**payload):
        raise ValueError("boom")

    events.subscribe("test.happened", broken)
    try:
        events.publish("test.happened", contact_id=2)
    finally:
        events.unsubscribe("test.happened", broken)
    assert received == [{"event": "test.happened", "contact_id": 2}]


@pytest.mark.django_db(transaction=True)
def test_many_payloads_are_delivered_in_order_after_commit(received):
    with transaction.atomic():
        events.publish_many("test.happened", [{"contact_id": 1}, {"contact_id": 2}])
        assert received == []
    assert [payload["contact_id"] for payload in received] == [1, 2]
