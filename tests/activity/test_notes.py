"""Notes on a contact: add, edit, delete, each on the timeline; only author or admin may change."""

import pytest

from kartoteka.activity import queries, services
from kartoteka.core.errors import Forbidden, InvalidInput, NotFound


def test_adding_a_note_lands_on_the_timeline_with_a_summary(sales, contact):
    note = services.add_note(sales, contact, body="Called about the **offer**.")
    entry = queries.timeline(sales, contact.pk, kinds=["note_added"]).get()
    assert entry.kind == "note_added"
    assert entry.payload["summary"] == "Called about the **offer**."
    assert (entry.detail_type, entry.detail_id) == ("activity.note", note.pk)


def test_editing_a_note_rerenders_it_and_records_the_edit(sales, contact):
    note = services.add_note(sales, contact, body="first")
    services.edit_note(sales, note, body="*second*")
    note.refresh_from_db()
    assert note.body_html == "<p><em>second</em></p>\n"
    kinds = list(queries.timeline(sales, contact.pk).values_list("kind", flat=True))
    assert kinds[:2] == ["note_edited", "note_added"]


def test_deleting_a_note_removes_it_and_records_the_deletion(sales, contact):
    note = services.add_note(sales, contact, body="to go")
    services.delete_note(sales, note)
    assert not queries.notes_of(sales, contact.pk).exists()
    assert queries.timeline(sales, contact.pk).first().kind == "note_deleted"


def test_empty_note_is_refused_and_nothing_is_written(sales, contact):
    with pytest.raises(InvalidInput) as error:
        services.add_note(sales, contact, body="   \n ")
    assert "body" in error.value.errors
    assert not queries.timeline(sales, contact.pk, kinds=["note_added"]).exists()


def test_only_the_author_or_an_admin_may_edit_a_note(sales, admin, contact):
    note = services.add_note(admin, contact, body="admin's note")
    with pytest.raises(Forbidden):
        services.edit_note(sales, note, body="mine now")
    services.edit_note(admin, note, body="still admin's")


def test_sales_user_cannot_add_a_note_to_another_users_contact(sales, others_contact):
    with pytest.raises(NotFound):
        services.add_note(sales, others_contact, body="sneaky")


def test_notes_of_an_invisible_contact_are_empty(sales, admin, others_contact):
    services.add_note(admin, others_contact, body="private")
    assert not queries.notes_of(sales, others_contact.pk).exists()
