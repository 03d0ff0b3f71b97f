"""The contacts write plan gives the same tables, timeline and events whichever way it runs:
row by row (contacts.services, the card and the API) or in bulk (contacts.bulk, imports)."""

import datetime as dt

import pytest
from django.db import connection, transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kartoteka.accounts.models import User
from kartoteka.activity.models import Activity
from kartoteka.contacts import plan, services
from kartoteka.contacts.bulk import BulkOptions, clean_row, upsert_contacts
from kartoteka.contacts.models import (
    Contact,
    ContactEmail,
    ContactOwner,
    ContactPhone,
    ContactTag,
    MessengerHandle,
    Source,
    Tag,
    TagOrigin,
)
from kartoteka.core import events
from kartoteka.core.scope import SYSTEM, system_label
from kartoteka.core.writeplan import Plan
from kartoteka.segments.models import ActivityRecency

PHONES = ["+48600100200", "+48601200300", "+34612345678", "+34699888777"]
NAMES = st.text(alphabet="abcÁłńó -", max_size=12)
TAGS = ["vip", "VIP", "newsletter", "Trade fair", "cold"]
COMPANIES = ["Acme", "ACME", "Globex", "Łódź Sp. z o.o."]


@st.composite
def contact_inputs(draw):
    """Distinct contacts as a form or an import row gives them."""
    count = draw(st.integers(min_value=1, max_value=6))
    rows = []
    for index in range(count):
        row = {
            "email": f"{draw(st.sampled_from(['ana', 'Ola', 'jan.KOWALSKI']))}{index}@example.com",
            "first_name": draw(NAMES),
            "last_name": draw(NAMES),
        }
        if draw(st.booleans()):
            row["emails"] = [f"other{index}@example.org"]
        if draw(st.booleans()):
            row["phones"] = draw(st.lists(st.sampled_from(PHONES), max_size=3, unique=True))
        if draw(st.booleans()):
            row["company"] = draw(st.sampled_from(COMPANIES))
        if draw(st.booleans()):
            row["tags"] = draw(st.lists(st.sampled_from(TAGS), max_size=3, unique=True))
        if draw(st.booleans()):
            row["status"] = draw(st.sampled_from(["new", "lead", "won"]))
        if draw(st.booleans()):
            row["score"] = str(draw(st.integers(min_value=0, max_value=100)))
        if draw(st.booleans()):
            row["birthday"] = draw(
                st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2000, 1, 1))
            ).isoformat()
        if draw(st.booleans()):
            row["country"] = draw(st.sampled_from(["PL", "es", "Germany"]))
        if draw(st.booleans()):
            row["messengers"] = [{"network": "telegram", "handle": f"@h{index}"}]
        if draw(st.booleans()):
            row["owners"] = ["ola"]
        rows.append(row)
    return rows


def _row_by_row(rows):
    for row in rows:
        services.create_contact(SYSTEM, data=row)


def _in_bulk(rows):
    today = dt.date.today()
    cleaned = [(number, clean_row(row, {}, today=today)) for number, row in enumerate(rows, 1)]
    options = BulkOptions(
        actor=SYSTEM, label=system_label(SYSTEM), source=Source.MANUAL, tag_origin=TagOrigin.USER
    )
    result = upsert_contacts(cleaned, options)
    assert not result.failures


# Columns that hold the moment of writing, which differs between two runs: compared as set
# or not.
_MOMENTS = {"created_at", "updated_at", "last_activity_at", "won_at"}


def _tables(published):
    """Every contacts table, the timeline, the recency ladder and the events, with ids
    replaced by what they stand for (ids differ between two runs)."""
    email_of = dict(Contact.objects.values_list("pk", "email"))
    contacts = {}
    for contact in Contact.objects.select_related("company"):
        values = {}
        for field in Contact._meta.concrete_fields:
            value = getattr(contact, field.attname)
            if field.primary_key:
                continue
            if field.name == "company":
                value = contact.company.name if contact.company else None
            elif field.name in _MOMENTS:
                value = value is not None
            values[field.name] = value
        contacts[contact.email] = values
    timeline = sorted(
        (email_of.get(contact_id), kind, actor_id, label, sorted(payload.items()))
        for contact_id, kind, actor_id, label, payload in Activity.objects.values_list(
            "contact_id", "kind", "actor_id", "actor_label", "payload"
        )
    )
    return {
        "contacts": contacts,
        "emails": sorted(
            (email_of[c], e, f, p)
            for c, e, f, p in ContactEmail.objects.values_list(
                "contact_id", "email", "email_folded", "is_primary"
            )
        ),
        "phones": sorted(
            (email_of[c], n, p)
            for c, n, p in ContactPhone.objects.values_list("contact_id", "number", "is_primary")
        ),
        "messengers": sorted(
            (email_of[c], n, h)
            for c, n, h in MessengerHandle.objects.values_list("contact_id", "network", "handle")
        ),
        "owners": sorted(
            (email_of[c], u)
            for c, u in ContactOwner.objects.values_list("contact_id", "user__username")
        ),
        "tags": sorted(
            (email_of[c], t, str(by), o, label)
            for c, t, by, o, label in ContactTag.objects.values_list(
                "contact_id", "tag__name", "added_by_id", "origin", "origin_label"
            )
        ),
        "timeline": timeline,
        "recency": sorted(
            (email_of[c], k, r)
            for c, k, r in ActivityRecency.objects.values_list("contact_id", "kind", "rank")
        ),
        "search": _found_by_search(email_of),
        "tag_ids": _tag_ids_on_rows(email_of),
        # A contact's "created" entry is dated when it was created (a time stamp, however the
        # rows hold their values).
        "created_when_created": sorted(
            (email_of[entry.contact_id], entry.occurred_at == entry.contact.created_at)
            for entry in Activity.objects.filter(kind="created").select_related("contact")
        ),
        "events": sorted(
            (
                name,
                sorted(
                    (key, email_of.get(value, value) if key == "contact_id" else value)
                    for key, value in payload.items()
                ),
            )
            for name, payloads in published
            for payload in payloads
        ),
    }


def _tag_ids_on_rows(email_of):
    """PostgreSQL: each contact's tag ids on its row (segments' trigger, suspended in bulk), as
    tag names; they must equal the link table's."""
    if connection.vendor != "postgresql":
        return []
    names = dict(Tag.objects.values_list("pk", "name"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, tag_ids FROM contacts_contact")
        on_rows = {pk: sorted(names[tag] for tag in ids) for pk, ids in cursor.fetchall()}
    linked = {pk: [] for pk in on_rows}
    for contact_id, tag in ContactTag.objects.values_list("contact_id", "tag__name"):
        linked[contact_id].append(tag)
    assert on_rows == {pk: sorted(tags) for pk, tags in linked.items()}
    return sorted((email_of[pk], tags) for pk, tags in on_rows.items())


def _found_by_search(email_of):
    """SQLite: the contacts its text search index finds by their e-mail (PostgreSQL searches
    the column itself)."""
    if connection.vendor != "sqlite":
        return []
    found = []
    with connection.cursor() as cursor:
        for contact_id, email in email_of.items():
            cursor.execute(
                "SELECT rowid FROM segments_contact_search WHERE segments_contact_search MATCH %s",
                [f'"{email.lower()}"'],
            )
            found.append((email, [row[0] == contact_id for row in cursor.fetchall()]))
    return sorted(found)


def _after(write, rows, monkeypatch):
    published = []
    monkeypatch.setattr(
        events, "publish_many", lambda name, payloads: published.append((name, list(payloads)))
    )
    with transaction.atomic():
        write(rows)
        tables = _tables(published)
        transaction.set_rollback(True)
    monkeypatch.undo()
    return tables


def _owner() -> None:
    """The user some inputs name as owner (without a password: hashing one per example is
    most of an example's time)."""
    User.objects.get_or_create(username="ola", defaults={"role": "admin"})


@pytest.mark.django_db
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=contact_inputs())
def test_row_by_row_and_bulk_write_the_same_tables_timeline_and_events(rows, monkeypatch):
    _owner()
    by_rows = _after(_row_by_row, rows, monkeypatch)
    in_bulk = _after(_in_bulk, rows, monkeypatch)
    assert by_rows == in_bulk
    assert len(by_rows["contacts"]) == len(rows)


@st.composite
def contact_changes(draw):
    """Changes to existing contacts as the card, the API or an import row give them."""
    change = {}
    if draw(st.booleans()):
        change["first_name"] = draw(NAMES)
    if draw(st.booleans()):
        # Names of addresses of the contact's own (see _changing).
        change["emails"] = draw(
            st.lists(st.sampled_from(["x", "Y"]), min_size=1, max_size=2, unique=True)
        )
    if draw(st.booleans()):
        change["phones"] = draw(st.lists(st.sampled_from(PHONES), max_size=2, unique=True))
    if draw(st.booleans()):
        change["company"] = draw(st.sampled_from(["", *COMPANIES]))
    if draw(st.booleans()):
        change["tags"] = draw(st.lists(st.sampled_from(TAGS), max_size=2, unique=True))
    if draw(st.booleans()):
        change["status"] = draw(st.sampled_from(["lead", "won", "lost"]))
    if draw(st.booleans()):
        change["messengers"] = [
            {"network": "whatsapp", "handle": draw(st.sampled_from(["@ana", "ola 2", "Jk"]))}
        ]
    if draw(st.booleans()):
        change["owners"] = draw(st.sampled_from([[], ["ola"]]))
    return change


def _changing(run, changes, merge):
    def write(rows):
        _row_by_row(rows)
        contacts = list(Contact.objects.select_related("company").order_by("pk"))
        current = plan.read_current(contacts, tags=True, messengers=True, owners=True)
        names = plan.Names()
        author = plan.Author(SYSTEM, system_label(SYSTEM))
        whole = Plan()
        for index, (contact, change) in enumerate(zip(contacts, changes, strict=False)):
            if "emails" in change:
                change = {**change, "emails": [f"{n}{index}@example.net" for n in change["emails"]]}
            cleaned = services.validate_contact_data(change, partial=True)
            whole.extend(
                plan.plan_contact_changes(
                    author,
                    current[contact.pk],
                    cleaned,
                    names=names,
                    now=timezone.now(),
                    merge=merge,
                ).plan
            )
        run(whole)

    return write


@pytest.mark.django_db
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=contact_inputs(), changes=st.lists(contact_changes(), max_size=6), merge=st.booleans())
def test_a_change_plan_run_row_by_row_and_in_bulk_writes_the_same(
    rows, changes, merge, monkeypatch
):
    _owner()
    by_rows = _after(_changing(plan.run_rows, changes, merge), rows, monkeypatch)
    in_bulk = _after(_changing(plan.run_bulk, changes, merge), rows, monkeypatch)
    assert by_rows == in_bulk
