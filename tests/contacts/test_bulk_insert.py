"""insert_values writes every row in many-row statements, ids in row order, defaults filled."""

import pytest
from django.db import transaction
from django.utils import timezone

from kartoteka.activity.models import Activity, Kind
from kartoteka.contacts.bulk import _PARAMETERS_PER_STATEMENT, db_value, insert_values
from kartoteka.contacts.models import Contact
from tests.factories import make_contact


@pytest.mark.django_db(transaction=True)
def test_rows_beyond_one_statement_all_arrive_in_order_with_their_ids():
    names = ["email", "first_name", "score", "created_at", "updated_at"]
    per_statement = _PARAMETERS_PER_STATEMENT // len(Contact._meta.concrete_fields[1:])
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
    count = 3 * (_PARAMETERS_PER_STATEMENT // width) - 1
    at = timezone.now()
    with transaction.atomic():
        insert_values(
            Activity,
            ["contact_id", "kind", "occurred_at", "payload"],
            [(contact.pk, Kind.NOTE_ADDED, at, {"n": n}) for n in range(count)],
        )

    payloads = Activity.objects.filter(contact=contact, kind=Kind.NOTE_ADDED)
    assert sorted(p["n"] for p in payloads.values_list("payload", flat=True)) == list(range(count))
