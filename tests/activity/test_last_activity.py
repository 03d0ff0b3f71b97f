"""A contact's last activity moves forward with every timeline entry that counts as activity,
row by row and in bulk, and never back."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from kartoteka.activity import services
from kartoteka.activity.timeline import TimelineKind
from kartoteka.contacts import services as contacts
from kartoteka.contacts.models import Contact
from tests.factories import make_contact
from tests.transfer.helpers import run, write

LONG_AGO = timezone.now() - dt.timedelta(days=90)


def _aged(contact) -> Contact:
    """The contact as if nothing had happened to it for 90 days."""
    Contact.objects.filter(pk=contact.pk).update(last_activity_at=LONG_AGO)
    return Contact.objects.get(pk=contact.pk)


def _last_activity(contact) -> dt.datetime:
    return Contact.objects.values_list("last_activity_at", flat=True).get(pk=contact.pk)


def _moved(contact, action) -> bool:
    contact = _aged(contact)
    before = timezone.now()
    action(contact)
    return _last_activity(contact) >= before


@pytest.mark.parametrize(
    "action",
    [
        pytest.param(lambda s, c: services.add_note(s, c, body="Called, wants a quote"), id="note"),
        pytest.param(lambda s, c: services.add_comment(s, c, body="Agreed"), id="comment"),
        pytest.param(
            lambda s, c: services.create_task(s, data={"title": "Call", "contacts": [c.pk]}),
            id="task",
        ),
        pytest.param(
            lambda s, c: services.upload_file(
                s, c, upload=SimpleUploadedFile("offer.txt", b"offer")
            ),
            id="file",
        ),
        pytest.param(
            lambda s, c: contacts.update_contact(s, c, data={"status": "qualified"}),
            id="status change",
        ),
    ],
)
def test_work_on_a_contact_moves_its_last_activity_forward(sales, contact, action):
    assert _moved(contact, lambda c: action(sales, c))


def test_completing_a_task_moves_the_last_activity_of_its_contacts(sales, contact):
    task = services.create_task(sales, data={"title": "Call", "contacts": [contact.pk]})
    assert _moved(contact, lambda c: services.update_task(sales, task, data={"status": "done"}))


def test_an_edit_or_a_tag_is_not_activity(sales, contact):
    contact = _aged(contact)
    contacts.update_contact(sales, contact, data={"city": "Kraków"})
    contacts.add_tags(sales, contact, names=["vip"])
    assert _last_activity(contact) == LONG_AGO


def test_an_entry_dated_in_the_past_does_not_move_it_back(sales, contact):
    services.add_note(sales, contact, body="Today")
    today = _last_activity(contact)
    services.record(contact, "note_added", occurred_at=today - dt.timedelta(days=30))
    assert _last_activity(contact) == today


def test_a_kind_a_later_app_registers_counts_as_activity_unless_it_says_otherwise(
    registry, sales, contact
):
    visit = TimelineKind("visit_for_test", "Visit")
    consent = TimelineKind("consent_for_test", "Consent", counts_as_activity=False)
    registry.register(visit, consent)
    contact = _aged(contact)
    services.record_entry(consent.entry(contact))
    assert _last_activity(contact) == LONG_AGO
    services.record_entry(visit.entry(contact))
    assert _last_activity(contact) > LONG_AGO


def test_bulk_entries_move_each_contact_to_its_own_newest_time_and_never_back(admin):
    now = timezone.now()
    people = [_aged(make_contact(admin)) for _ in range(8)]
    # Each contact gets its own times (the statement for many different times), the first
    # two only times older than what they hold.
    Contact.objects.filter(pk__in=[p.pk for p in people[:2]]).update(last_activity_at=now)
    entries = []
    for n, person in enumerate(people):
        for hours in (n + 1, n + 2):
            entries.append(
                services.activity_entry(
                    person, "note_added", occurred_at=now - dt.timedelta(hours=hours)
                )
            )
    with transaction.atomic():
        services.record_many(entries)
    stored = dict(
        Contact.objects.filter(pk__in=[p.pk for p in people]).values_list("pk", "last_activity_at")
    )
    assert stored[people[0].pk] == now
    assert stored[people[1].pk] == now
    for n, person in enumerate(people[2:], start=2):
        assert stored[person.pk] == now - dt.timedelta(hours=n + 1)


def test_bulk_entries_that_are_not_activity_leave_it(admin):
    person = _aged(make_contact(admin))
    with transaction.atomic():
        services.record_many([services.activity_entry(person, "tag_added")])
    assert _last_activity(person) == LONG_AGO


def test_an_import_that_changes_the_status_moves_the_last_activity(admin, tmp_path):
    person = _aged(make_contact(admin, email="ana@example.com"))
    before = timezone.now()
    run(admin, write(tmp_path, "status.csv", "Email,Status\nana@example.com,won\n"))
    assert _last_activity(person) >= before


def test_an_import_that_only_edits_a_field_leaves_it(admin, tmp_path):
    person = _aged(make_contact(admin, email="ana@example.com"))
    run(admin, write(tmp_path, "city.csv", "Email,City\nana@example.com,Sevilla\n"))
    assert _last_activity(person) == LONG_AGO


def test_imported_contacts_start_with_their_creation_as_last_activity(admin, tmp_path):
    run(admin, write(tmp_path, "new.csv", "Email\nnew@example.com\n"))
    person = Contact.objects.get(email="new@example.com")
    assert person.last_activity_at == person.created_at
