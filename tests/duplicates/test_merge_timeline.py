"""What a merge and its undo leave on the timelines, and on the survivor's last activity."""

import datetime as dt

from django.utils import timezone

from kartoteka.activity.models import Activity
from kartoteka.contacts.models import Contact
from kartoteka.duplicates.services import merge_contacts, undo_merge
from tests.factories import make_contact


def test_the_survivor_takes_the_merged_contacts_later_activity(admin):
    survivor, merged = make_contact(admin), make_contact(admin)
    long_ago = timezone.now() - dt.timedelta(days=200)
    Contact.objects.filter(pk=survivor.pk).update(last_activity_at=long_ago)
    merged_activity = Contact.objects.get(pk=merged.pk).last_activity_at
    merge_contacts(admin, survivor_id=survivor.pk, merged_ids=[merged.pk])
    assert Contact.objects.get(pk=survivor.pk).last_activity_at == merged_activity


def test_an_older_merged_contact_does_not_move_the_survivors_activity_back(admin):
    survivor, merged = make_contact(admin), make_contact(admin)
    Contact.objects.filter(pk=merged.pk).update(
        last_activity_at=timezone.now() - dt.timedelta(days=200)
    )
    before = Contact.objects.get(pk=survivor.pk).last_activity_at
    merge_contacts(admin, survivor_id=survivor.pk, merged_ids=[merged.pk])
    assert Contact.objects.get(pk=survivor.pk).last_activity_at == before


def test_undo_tells_the_survivor_and_the_restored_contact_apart(admin):
    survivor, merged = make_contact(admin), make_contact(admin)
    (record,) = merge_contacts(admin, survivor_id=survivor.pk, merged_ids=[merged.pk])
    undo_merge(admin, record)
    on_survivor = Activity.objects.get(contact=survivor, kind="merge_undone")
    on_restored = Activity.objects.get(contact_id=merged.pk, kind="restored_from_merge")
    assert on_survivor.payload["restored_contact_id"] == merged.pk
    assert on_restored.payload["survivor_contact_id"] == survivor.pk
