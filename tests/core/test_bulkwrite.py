"""insert_values writes every row (many-row statements on SQLite, COPY on PostgreSQL), ids in
row order, defaults filled, every value as it was given."""

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from kartoteka.activity.models import Activity
from kartoteka.contacts.models import Contact, ContactEmail
from kartoteka.core.bulkwrite import PARAMETERS_PER_STATEMENT, db_value, insert_values
from tests.factories import make_contact


@pytest.mark.django_db(transaction=True)
def test_rows_beyond_one_statement_all_arrive_in_order_with_their_ids():
    names = ["email", "first_name", "score", "created_at", "updated_at"]
    per_statement = PARAMETERS_PER_STATEMENT // len(Contact._meta.concrete_fields[1:])
    # Two full statements and a remainder that does not fill a third.
    count = 2 * per_statement + per_statement // 2 + 1
    now = db_value(Contact, "created_at", timezone.now())
    rows = [(f"p{n}@example.com", f"Name {n}", n, now, now) for n in range(count)]
    with transaction.atomic():
        ids = insert_values(Contact, names, rows, returning=True, prepared=True)

    assert len(ids) == count == len(set(ids))
    stored = dict(Contact.objects.values_list("pk", "email"))
    assert [stored[i] for i in ids] == [row[0] for row in rows]
    last = Contact.objects.get(pk=ids[-1])
    assert (last.first_name, last.score, last.status, last.version) == (
        f"Name {count - 1}",
        count - 1,
        "new",
        1,
    )


@pytest.mark.django_db(transaction=True)
def test_rows_without_ids_are_written_once_each(admin):
    contact = make_contact(admin, email="a@example.com")
    width = len(Activity._meta.concrete_fields) - 1
    count = 3 * (PARAMETERS_PER_STATEMENT // width) - 1
    at = timezone.now()
    with transaction.atomic():
        insert_values(
            Activity,
            ["contact_id", "kind", "occurred_at", "payload"],
            [(contact.pk, "note_added", at, {"n": n}) for n in range(count)],
        )

    payloads = Activity.objects.filter(contact=contact, kind="note_added")
    assert sorted(p["n"] for p in payloads.values_list("payload", flat=True)) == list(range(count))


@pytest.mark.django_db(transaction=True)
def test_values_that_mean_something_to_copy_or_sql_arrive_unchanged(admin):
    """COPY's text format gives tabs, newlines, backslashes and \\N a meaning of their own."""
    awkward = ["tab\there", "two\nlines", "back\\slash", "\\N", "", "quote ' and \"", "żółć ñ €"]
    now = db_value(Contact, "created_at", timezone.now())
    details = db_value(Contact, "properties", {"note": "a\tb\\N", "n": 1.5, "yes": True})
    rows = [
        (f"v{n}@example.com", value, value, details, now, now) for n, value in enumerate(awkward)
    ]
    names = ["email", "first_name", "street", "properties", "created_at", "updated_at"]
    with transaction.atomic():
        ids = insert_values(Contact, names, rows, returning=True, prepared=True)
        insert_values(
            Activity,
            ["contact_id", "kind", "occurred_at", "payload"],
            [(ids[0], "note_added", timezone.now(), {"text": value}) for value in awkward],
        )

    stored = {c.pk: c for c in Contact.objects.filter(pk__in=ids)}
    assert [(stored[i].first_name, stored[i].street) for i in ids] == [(v, v) for v in awkward]
    assert stored[ids[0]].properties == {"note": "a\tb\\N", "n": 1.5, "yes": True}
    assert stored[ids[0]].company_id is None and stored[ids[0]].birthday is None
    texts = Activity.objects.filter(contact_id=ids[0], kind="note_added")
    assert sorted(p["text"] for p in texts.values_list("payload", flat=True)) == sorted(awkward)


@pytest.mark.django_db(transaction=True)
def test_a_row_that_breaks_a_constraint_raises_django_s_integrity_error(admin):
    """The import falls back to row by row on IntegrityError, whichever database raised it."""
    contact = make_contact(admin, email="taken@example.com")
    now = db_value(Contact, "created_at", timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_values(
            ContactEmail,
            ["contact_id", "email", "email_folded", "is_primary", "created_at"],
            [(contact.pk, "TAKEN@example.com", "taken@example.com", False, now)],
            prepared=True,
        )
    assert ContactEmail.objects.filter(email_folded="taken@example.com").count() == 1
