"""Forget sweeps the person's whole name out of text and files that do not point at them, and
leaves texts that only share part of the name."""

from pathlib import Path

import pytest
from django.utils import timezone

from kartoteka.activity import services as timeline
from kartoteka.activity.models import Activity, Notification
from kartoteka.contacts.models import Contact
from kartoteka.privacy.services import forget_contact
from kartoteka.transfer import services as transfer
from kartoteka.transfer.models import Export
from tests.factories import make_contact
from tests.privacy.test_forget import _dump_database, _dump_storage


def _notify(user, text: str) -> Notification:
    return Notification.objects.create(
        recipient=user, kind="mention", text=text, created_at=timezone.now()
    )


def _stored_text(root: Path) -> str:
    return "\n".join(
        p.read_bytes().decode("utf-8", "replace") for p in root.rglob("*") if p.is_file()
    ).casefold()


@pytest.fixture
def named(admin, sales, settings, tmp_path):
    """A person whose name is quoted where no column points at them: another contact's
    timeline, a notification, and CSV and XLSX exports of names only."""
    settings.DATA_DIR = tmp_path
    person = make_contact(
        admin, email="z.q@example.org", first_name="Zbigniewski", last_name="Quetzalcoatlova"
    )
    other = make_contact(admin, email="colleague@example.org", first_name="Ola", last_name="Kos")
    timeline.record(
        other, "call", actor=admin, payload={"summary": "Called QUETZALCOATLOVA Zbigniewski back"}
    )
    _notify(sales, "Zbigniewski Quetzalcoatlova asked for a quote")
    for format in ("csv", "xlsx"):
        transfer.start_export(
            admin,
            format=format,
            columns=["first_name", "last_name"],
            query=transfer.export_query(ids=[person.pk, other.pk]),
        )
    return person, other


def test_forget_erases_the_whole_name_from_every_table_and_file(
    admin, named, tmp_path, django_capture_on_commit_callbacks
):
    person, other = named
    before = _dump_database() + _dump_storage() + _stored_text(tmp_path)
    assert before.count("quetzalcoatlova") >= 4

    with django_capture_on_commit_callbacks(execute=True):
        record = forget_contact(admin, person)

    after = _dump_database() + _dump_storage() + _stored_text(tmp_path)
    assert "zbigniewski" not in after and "quetzalcoatlova" not in after
    assert record.erased["mentions elsewhere"] == 2
    assert record.erased["import and export files"] == 2
    assert list(Export.objects.values_list("file_path", flat=True)) == ["", ""]
    # The colleague's card itself is untouched.
    assert Contact.objects.get(pk=other.pk).first_name == "Ola"


@pytest.mark.parametrize(
    ("first_name", "last_name", "kept"),
    [
        # A one-letter first name: only the e-mail and phone are swept, never "J" or "Smith".
        ("J", "Smith", ["Met J Smith at the fair", "Jane Smith called", "Smith & Sons"]),
        # Part of the name, or the name inside longer words, is somebody else.
        ("Anna", "Nowak", ["Anna called", "Annabelle Nowakowska called", "Mrs Nowak wrote"]),
    ],
)
def test_only_the_whole_name_of_someone_long_enough_is_swept(
    admin, sales, first_name, last_name, kept
):
    person = make_contact(
        admin, email="gone@example.org", first_name=first_name, last_name=last_name
    )
    other = make_contact(admin, email="stays@example.org")
    for text in kept:
        timeline.record(other, "call", actor=admin, payload={"summary": text})
        _notify(sales, text)

    forget_contact(admin, person)

    payloads = [
        a.payload.get("summary") for a in Activity.objects.filter(contact=other, kind="call")
    ]
    assert sorted(payloads) == sorted(kept)
    assert sorted(Notification.objects.values_list("text", flat=True)) == sorted(kept)


def test_the_name_in_either_order_and_with_punctuation_between_is_swept(admin, sales):
    person = make_contact(admin, email="a.n@example.org", first_name="Anna", last_name="Nowak")
    other = make_contact(admin, email="stays@example.org")
    quoted = ["Anna Nowak called", "NOWAK, Anna: invoice", "re: anna.nowak", "Nowak  Anna"]
    for text in quoted:
        _notify(sales, text)
    timeline.record(other, "call", actor=admin, payload={"summary": "Anna Nowak"})

    forget_contact(admin, person)

    assert sorted(Notification.objects.values_list("text", flat=True)) == sorted(
        ["[…] called", "[…]: invoice", "re: […]", "[…]"]
    )
    assert Activity.objects.get(contact=other, kind="call").payload == {"summary": "[…]"}
