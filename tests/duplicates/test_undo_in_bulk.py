"""An undo gives the merged contact's rows back in bulk: its statements do not grow with the
rows, and a row that clashes with data added since is still named in the report, alone."""

from django.db import connection

from kartoteka.activity import services as activity
from kartoteka.contacts import services as contacts
from kartoteka.contacts import statuses
from kartoteka.contacts.models import Contact, ContactEmail, ContactPhone, ContactTag
from kartoteka.contacts.queries import search_contacts
from kartoteka.core import bulkwrite
from kartoteka.duplicates.services import merge_contacts, undo_merge
from kartoteka.segments.queries import filter_contacts
from tests.factories import make_contact

CLASH = "A card entry could not be put back: it clashes with data added since."


def _merged_contact(admin, *, rows: int, entries: int, name: str = "gone"):
    """A pair to merge: the merged one with `rows` phones and tags (half of the tags the
    survivor has too, so the merge drops them), `rows - 1` e-mails (the survivor's one makes
    the most a contact has) and `entries` timeline entries."""
    survivor = make_contact(
        admin, email=f"keep-{name}@example.com", tags=[f"shared-{n}" for n in range(0, rows, 2)]
    )
    merged = make_contact(
        admin,
        email=f"{name}@example.com",
        first_name="Zofia",
        emails=[f"{name}{n}@example.org" for n in range(rows - 2)],
        phones=[f"+486001{n:05d}" for n in range(rows)],
        tags=[f"shared-{n}" if n % 2 == 0 else f"own-{n}" for n in range(rows)],
    )
    activity.record_many(
        [activity.activity_entry(merged, "note_added", payload={"n": n}) for n in range(entries)]
    )
    return survivor, merged


def _undo_statements(admin, monkeypatch, *, rows: int, entries: int) -> int:
    """Statements an undo sends: through Django's cursor, and each bulk write (a multi-row
    INSERT or a COPY) that goes to the driver directly."""
    survivor, merged = _merged_contact(admin, rows=rows, entries=entries, name=f"gone{rows}")
    (record,) = merge_contacts(admin, survivor_id=survivor.pk, merged_ids=[merged.pk])
    count = 0

    def counted(execute, sql, params, many, context):
        nonlocal count
        count += 1
        return execute(sql, params, many, context)

    for name in ("_insert_rows", "_copy_rows"):
        write = getattr(bulkwrite, name)

        def counted_write(*args, write=write):
            nonlocal count
            count += 1
            return write(*args)

        monkeypatch.setattr(bulkwrite, name, counted_write)
    statuses.forget()  # kept for a few seconds: each undo reads them once, however slow the test
    with connection.execute_wrapper(counted):
        undo_merge(admin, record)
    monkeypatch.undo()
    restored = Contact.objects.get(pk=merged.pk)
    assert restored.emails.count() == rows - 1
    assert restored.phones.count() == rows
    assert restored.tags.count() == rows
    assert restored.activities.filter(kind="note_added").count() == entries
    record.refresh_from_db()
    assert record.undo_report == []
    return count


def test_undo_statements_do_not_grow_with_the_merged_contacts_rows(admin, monkeypatch):
    few = _undo_statements(admin, monkeypatch, rows=2, entries=2)
    many = _undo_statements(admin, monkeypatch, rows=20, entries=200)
    assert many == few


def test_undo_names_each_email_taken_since_and_gives_back_the_rest(admin):
    survivor, merged = _merged_contact(admin, rows=5, entries=1)
    own = {e.email: e.pk for e in merged.emails.all()}
    phones = sorted(merged.phones.values_list("pk", flat=True))
    (record,) = merge_contacts(admin, survivor_id=survivor.pk, merged_ids=[merged.pk])
    # Since the merge, two of its addresses (its primary one among them) left the survivor
    # for another contact.
    taken = ["gone@example.com", "gone1@example.org"]
    contacts.update_contact(
        admin,
        survivor,
        data={"emails": ["keep-gone@example.com", "gone0@example.org", "gone2@example.org"]},
    )
    other = make_contact(admin, email=taken[0], emails=[taken[1]])

    undo_merge(admin, record)

    record.refresh_from_db()
    assert record.undo_report == [
        {"table": "contacts.ContactEmail", "id": own[email], "problem": CLASH} for email in taken
    ]
    restored = Contact.objects.get(pk=merged.pk)
    assert sorted(restored.emails.values_list("email", flat=True)) == [
        "gone0@example.org",
        "gone2@example.org",
    ]
    assert sorted(restored.phones.values_list("pk", flat=True)) == phones
    assert sorted(other.emails.values_list("email", flat=True)) == sorted(taken)
    assert list(survivor.emails.values_list("email", flat=True)) == ["keep-gone@example.com"]


def _rows(model, contact, stamp: str) -> list[tuple]:
    """Ids and time stamps of a contact's rows, to the millisecond (as a merge keeps them)."""
    return sorted(
        (pk, at.replace(microsecond=at.microsecond // 1000 * 1000))
        for pk, at in model.objects.filter(contact=contact).values_list("pk", stamp)
    )


def test_restored_rows_keep_their_ids_and_times_and_are_found_again(admin):
    survivor, merged = _merged_contact(admin, rows=3, entries=1)
    make_contact(admin)  # a contact newer than the merged one
    before = {model: _rows(model, merged, "created_at") for model in (ContactEmail, ContactPhone)}
    tags = _rows(ContactTag, merged, "added_at")
    (record,) = merge_contacts(admin, survivor_id=survivor.pk, merged_ids=[merged.pk])

    undo_merge(admin, record)

    for model, rows in before.items():
        assert _rows(model, merged, "created_at") == rows
    assert _rows(ContactTag, merged, "added_at") == tags
    # The search index and the tag filters know the restored contact again.
    assert list(search_contacts(admin, "Zofia").values_list("pk", flat=True)) == [merged.pk]
    tagged = filter_contacts(admin, {"field": "tags", "op": "has_any", "value": ["own-1"]})
    assert list(tagged.values_list("pk", flat=True)) == [merged.pk]


def test_undo_with_every_email_taken_reports_the_missing_address(admin):
    survivor, merged = _merged_contact(admin, rows=2, entries=0)
    email_pk = merged.emails.get().pk
    (record,) = merge_contacts(admin, survivor_id=survivor.pk, merged_ids=[merged.pk])
    contacts.update_contact(admin, survivor, data={"emails": ["keep-gone@example.com"]})
    make_contact(admin, email="gone@example.com")

    undo_merge(admin, record)

    record.refresh_from_db()
    assert record.undo_report == [
        {"table": "contacts.ContactEmail", "id": email_pk, "problem": CLASH},
        {"field": "email", "problem": "no e-mail address could be given back"},
    ]
