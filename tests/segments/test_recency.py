"""The recency ladder behind behaviour conditions stays equal to the timeline it is derived from,
whichever way the timeline is written: one entry, many at once, a raw multi-row INSERT (as the
bulk import writes), deletes, moves to another contact (merge) and detaching (forget)."""

import datetime as dt
import random
from collections import defaultdict

import pytest
from django.db import connection, transaction
from django.utils import timezone

from kartoteka.activity import services as timeline
from kartoteka.activity.models import Activity
from kartoteka.contacts import services as contact_services
from kartoteka.segments.models import RECENCY_RANKS, ActivityRecency
from kartoteka.segments.queries import filter_contacts
from tests.factories import make_contact

KINDS = ["visit", "email_opened", "purchase"]


def expected_ladder() -> list[tuple]:
    """The ladder computed the slow obvious way from the timeline."""
    times = defaultdict(list)
    for contact_id, kind, when in Activity.objects.filter(contact__isnull=False).values_list(
        "contact_id", "kind", "occurred_at"
    ):
        times[contact_id, kind].append(when)
    return sorted(
        (contact_id, kind, rank, when)
        for (contact_id, kind), whens in times.items()
        for rank, when in enumerate(sorted(whens, reverse=True)[:RECENCY_RANKS], start=1)
    )


def ladder() -> list[tuple]:
    return sorted(ActivityRecency.objects.values_list("contact_id", "kind", "rank", "occurred_at"))


@pytest.fixture
def people(admin):
    return [make_contact(admin) for _ in range(4)]


def _at(days: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


def test_single_entries_and_bulk_entries_fill_the_ladder(people):
    rng = random.Random(3)
    for _ in range(30):
        timeline.record(rng.choice(people), rng.choice(KINDS), occurred_at=_at(rng.random() * 40))
    timeline.record_many(
        [
            timeline.activity_entry(rng.choice(people), "visit", occurred_at=_at(rng.random() * 40))
            for _ in range(40)
        ]
    )
    assert ladder() == expected_ladder()
    # More than RECENCY_RANKS entries of one kind keep only the newest ranks.
    assert ActivityRecency.objects.filter(kind="visit").order_by("-rank").first().rank == 10


def test_a_bulk_batch_of_entries_keeps_the_ladder_and_then_its_trigger(people, monkeypatch):
    # Written in bulk (the ladder's trigger suspended, the batch ranked at once), over
    # histories long enough that the new entries push older rungs down and off the ladder.
    monkeypatch.setattr(timeline, "BULK_FROM", 5)
    rng = random.Random(5)
    for _ in range(50):
        timeline.record(rng.choice(people), rng.choice(KINDS), occurred_at=_at(rng.random() * 40))
    with transaction.atomic():
        timeline.record_many(
            [
                timeline.activity_entry(rng.choice(people), rng.choice(KINDS), occurred_at=_at(d))
                for d in (rng.random() * 50 for _ in range(30))
            ]
        )
    assert ladder() == expected_ladder()
    timeline.record(people[0], "visit", occurred_at=_at(0))
    assert ladder() == expected_ladder()


def test_a_raw_multi_row_insert_keeps_the_ladder(people):
    field = Activity._meta.get_field("occurred_at")
    rows = [
        (people[i % 2].pk, "visit", field.get_db_prep_value(_at(i), connection), "", "", "{}")
        for i in range(14)
    ]
    marks = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(rows))
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO activity_activity"
            " (contact_id, kind, occurred_at, actor_label, detail_type, payload)"
            f" VALUES {marks}",
            [value for row in rows for value in row],
        )
    assert ladder() == expected_ladder()


def test_deletes_moves_and_detaching_keep_the_ladder(people):
    rng = random.Random(4)
    for _ in range(60):
        timeline.record(rng.choice(people), rng.choice(KINDS), occurred_at=_at(rng.random() * 40))
    first, second, third, fourth = people
    Activity.objects.filter(contact=first, kind="visit").order_by("occurred_at")[0].delete()
    Activity.objects.filter(contact=second, kind="purchase").delete()
    assert ladder() == expected_ladder()
    Activity.objects.filter(contact=third).update(contact=first)  # what a merge does
    assert ladder() == expected_ladder()
    Activity.objects.filter(contact=fourth).update(contact=None)  # what forget does
    assert ladder() == expected_ladder()
    Activity.objects.filter(contact=first, kind="visit").update(occurred_at=_at(100))
    assert ladder() == expected_ladder()


def test_deleting_a_contact_removes_its_rungs(admin, people):
    for days in (1, 2, 3):
        timeline.record(people[0], "visit", occurred_at=_at(days))
    contact_services.delete_contact(admin, people[0])
    assert not ActivityRecency.objects.filter(contact_id=people[0].pk).exists()
    assert ladder() == expected_ladder()


def test_behaviour_beyond_the_ladder_counts_the_timeline(admin, people):
    for days in range(12):
        timeline.record(people[0], "visit", occurred_at=_at(days + 0.5))
    for days in range(11):
        timeline.record(people[1], "visit", occurred_at=_at(days + 0.5))

    def matching(min_count: int, within_days: int) -> set[int]:
        document = {"activity": "visit", "min_count": min_count, "within_days": within_days}
        return set(filter_contacts(admin, document).values_list("pk", flat=True))

    assert matching(12, 30) == {people[0].pk}
    assert matching(11, 30) == {people[0].pk, people[1].pk}
    assert matching(10, 30) == {people[0].pk, people[1].pk}
    assert matching(10, 10) == {people[0].pk, people[1].pk}
    assert matching(10, 9) == set()
