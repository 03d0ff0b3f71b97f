"""core.database.tested_per_row: on PostgreSQL, `id IN (subquery)` conditions become tests of
each row (EXISTS … OFFSET 0, which the planner does not turn into a join); the rows found
are the same, and conditions it must not touch (negated, sliced, grouped) are left alone."""

import pytest
from django.db import connection
from django.db.models import Count, Q, Subquery

from kartoteka.contacts.models import Contact, ContactOwner
from kartoteka.core import database
from tests.factories import make_contact

pytestmark = pytest.mark.django_db


def _sql(rows) -> str:
    return str(rows.query)


def test_an_id_in_subquery_becomes_a_test_of_each_row_with_the_same_rows(admin, sales):
    people = [make_contact() for _ in range(6)]
    ContactOwner.objects.bulk_create(ContactOwner(contact=c, user=sales) for c in people[::2])
    theirs = ContactOwner.objects.filter(user=sales).values("contact_id")
    newest = Contact.objects.order_by("-pk").values("pk")[:4]
    rows = Contact.objects.filter(Q(pk__in=newest) & Q(pk__in=Subquery(theirs))).order_by("pk")

    rewritten = database.tested_per_row(rows)

    assert list(rewritten.values_list("pk", flat=True)) == list(rows.values_list("pk", flat=True))
    assert list(rewritten.values_list("pk", flat=True)) == [c.pk for c in people[2::2]]
    if connection.vendor == "postgresql":
        assert _sql(rewritten).count("OFFSET 0") == 1  # the slice stays an IN
        assert "EXISTS" in _sql(rewritten)
    else:
        assert _sql(rewritten) == _sql(rows)
    assert "EXISTS" not in _sql(rows)  # the original is left as it was


def test_negated_and_grouped_subqueries_are_left_as_they_are(sales):
    people = [make_contact() for _ in range(3)]
    ContactOwner.objects.create(contact=people[0], user=sales)
    theirs = ContactOwner.objects.filter(user=sales).values("contact_id")
    grouped = (
        ContactOwner.objects.values("contact_id")
        .annotate(owners=Count("user"))
        .filter(owners__gte=1)
        .values("contact_id")
    )
    rows = Contact.objects.filter(~Q(pk__in=Subquery(theirs)), pk__in=Subquery(grouped))
    assert _sql(database.tested_per_row(rows)) == _sql(rows)
