"""The migration that gives existing contacts the last activity their timeline shows."""

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from kartoteka.activity import services as timeline
from kartoteka.activity.models import Activity
from kartoteka.contacts.models import Contact
from tests.factories import make_contact

pytestmark = pytest.mark.django_db


def _migrate_forward() -> None:
    from importlib import import_module

    migration = import_module("kartoteka.contacts.migrations.0005_last_activity_from_timeline")
    with connection.cursor() as cursor:
        cursor.execute(migration.FORWARD)


def test_existing_notes_move_the_last_activity_and_edits_do_not(admin):
    long_ago = timezone.now() - dt.timedelta(days=300)
    noted, edited = make_contact(admin), make_contact(admin)
    Contact.objects.filter(pk__in=[noted.pk, edited.pk]).update(last_activity_at=long_ago)
    Activity.objects.filter(contact__in=[noted, edited]).update(occurred_at=long_ago)
    when = timezone.now() - dt.timedelta(days=10)
    timeline.record(noted, "note_added", occurred_at=when)
    timeline.record(edited, "updated", occurred_at=when)
    # As the data stood before this release: the note had not moved it.
    Contact.objects.filter(pk__in=[noted.pk, edited.pk]).update(last_activity_at=long_ago)

    _migrate_forward()

    assert Contact.objects.get(pk=noted.pk).last_activity_at == when
    assert Contact.objects.get(pk=edited.pk).last_activity_at == long_ago


def test_the_migration_never_moves_a_last_activity_back(admin):
    person = make_contact(admin)
    timeline.record(person, "note_added", occurred_at=timezone.now() - dt.timedelta(days=50))
    before = Contact.objects.get(pk=person.pk).last_activity_at
    _migrate_forward()
    assert Contact.objects.get(pk=person.pk).last_activity_at == before
