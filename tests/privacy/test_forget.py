import json

import pytest
from django.apps import apps
from django.core.files.storage import default_storage
from django.db import models

from kartoteka.activity.models import Activity
from kartoteka.contacts.models import Contact
from kartoteka.core.errors import Forbidden, NotFound
from kartoteka.duplicates.services import merge_contacts
from kartoteka.privacy.models import ForgetRecord
from kartoteka.privacy.services import forget_contact
from tests.duplicates.helpers import fill_related_tables
from tests.factories import make_contact

SECRET_WORDS = "Zbigniewski Quetzalcoatlova private matter"


@pytest.fixture
def person(admin, sales):
    contact = make_contact(
        admin,
        email="zbigniew.q@example.org",
        emails=["zbigniew.q@example.org", "zq.second@example.net"],
        first_name="Zbigniewski",
        last_name="Quetzalcoatlova",
        phone="+48601234567",
        created_ip="203.0.113.77",
        owners=[sales],
    )
    fill_related_tables(admin, contact, mention=sales, words=SECRET_WORDS)
    return contact


def _dump_database() -> str:
    """Every text, JSON, file name and IP address column of every table, as one string."""
    parts = []
    for model in apps.get_models(include_auto_created=True):
        columns = [
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(
                f,
                (
                    models.CharField,
                    models.TextField,
                    models.JSONField,
                    models.FileField,
                    models.GenericIPAddressField,
                ),
            )
        ]
        if not columns:
            continue
        for row in model._default_manager.values_list(*columns):
            parts.append(json.dumps(row, ensure_ascii=False, default=str))
    return "\n".join(parts).casefold()


def _dump_storage() -> str:
    parts = []

    def walk(path: str) -> None:
        directories, files = default_storage.listdir(path)
        for name in files:
            full = f"{path}/{name}" if path else name
            parts.append(full)
            with default_storage.open(full, "rb") as handle:
                parts.append(handle.read().decode("utf-8", "replace"))
        for directory in directories:
            walk(f"{path}/{directory}" if path else directory)

    if default_storage.exists(""):
        walk("")
    return "\n".join(parts).casefold()


PERSONAL = [
    "zbigniew.q@example.org",
    "zq.second@example.net",
    "+48601234567",
    "zbigniewski",
    "quetzalcoatlova",
    "private matter",
    "203.0.113.77",
]


def test_forget_leaves_no_personal_data_in_any_table_or_file(
    admin, person, django_capture_on_commit_callbacks
):
    before = _dump_database() + _dump_storage()
    assert [word for word in PERSONAL if word not in before] == []

    with django_capture_on_commit_callbacks(execute=True):
        forget_contact(admin, person)

    after = _dump_database() + _dump_storage()
    leftovers = [word for word in PERSONAL if word in after]
    assert leftovers == []


def test_forget_also_erases_what_a_merge_kept_for_undo(
    admin, sales, person, django_capture_on_commit_callbacks
):
    twin = make_contact(
        admin, email="zbigniewski.twin@example.org", first_name="Zbigniewski", last_name="Q"
    )
    merge_contacts(admin, survivor_id=person.pk, merged_ids=[twin.pk])
    with django_capture_on_commit_callbacks(execute=True):
        forget_contact(admin, person)
    after = _dump_database()
    assert "zbigniewski.twin@example.org" not in after
    assert "zbigniewski" not in after


def test_forget_erases_the_record_of_an_undone_merge(
    admin, person, django_capture_on_commit_callbacks
):
    from kartoteka.duplicates.services import undo_merge

    other = make_contact(admin, email="host@example.com", first_name="Host", last_name="Contact")
    (merge,) = merge_contacts(admin, survivor_id=other.pk, merged_ids=[person.pk])
    undo_merge(admin, merge)
    with django_capture_on_commit_callbacks(execute=True):
        forget_contact(admin, Contact.objects.get(pk=person.pk))
    after = _dump_database()
    assert [word for word in PERSONAL if word in after] == []


def test_forget_keeps_an_audit_record_without_personal_data(admin, person):
    person_id = person.pk
    record = forget_contact(admin, person)
    assert record.contact_id == person_id
    assert record.forgotten_by == admin
    assert record.erased["activity.Note"] == 1
    assert "zbigniew" not in json.dumps(record.erased).casefold()
    assert ForgetRecord.objects.count() == 1


def test_forget_keeps_timeline_rows_anonymous_for_aggregates(admin, person):
    kinds = sorted(Activity.objects.filter(contact=person).values_list("kind", flat=True))
    forget_contact(admin, person)
    kept = Activity.objects.filter(contact__isnull=True, kind__in=kinds)
    assert kept.count() >= len(kinds)
    assert all(
        payload == {} for payload in kept.exclude(kind="deleted").values_list("payload", flat=True)
    )


def test_forget_removes_the_contact(admin, person):
    forget_contact(admin, person)
    assert not Contact.objects.filter(pk=person.pk).exists()


def test_sales_owner_cannot_forget(sales, person):
    with pytest.raises(Forbidden):
        forget_contact(sales, person)
    assert Contact.objects.filter(pk=person.pk).exists()


def test_forget_of_an_unseen_contact_is_not_found(other_sales, person):
    with pytest.raises(NotFound):
        forget_contact(other_sales, person)
