"""Filters `member` and `member_group`, the text form, and the list and export columns."""

import datetime as dt

from kartoteka.core.scope import SYSTEM
from kartoteka.members import services
from kartoteka.segments import text
from kartoteka.segments.queries import filter_contacts
from kartoteka.web.registry import contact_columns
from tests.factories import make_contact
from tests.members.conftest import make_member


def _ids(admin, query: str) -> set[int]:
    return set(filter_contacts(admin, text.parse(query)).values_list("pk", flat=True))


def test_member_and_member_group_filters(admin):
    services.create_group(admin, name="Course A")
    services.create_group(admin, name="Course B")
    a = make_member("a@example.com")
    b = make_member("b@example.com")
    nobody = make_contact(email="c@example.com")
    services.set_membership(SYSTEM, a.contact, enabled=True, groups=["Course A"])
    services.set_membership(SYSTEM, b.contact, enabled=True, groups=["Course B"])
    assert _ids(admin, "member:yes") == {a.contact.pk, b.contact.pk}
    assert nobody.pk in _ids(admin, "member:no")
    assert a.contact.pk not in _ids(admin, "member:no")
    assert _ids(admin, 'member_group:"Course A"') == {a.contact.pk}
    services.set_membership(SYSTEM, b.contact, enabled=False)
    assert _ids(admin, "member:yes") == {a.contact.pk}


def test_columns(admin):
    member = make_member("a@example.com")
    services.create_group(admin, name="Course A")
    services.set_membership(SYSTEM, member.contact, enabled=True, groups=["Course A"])
    columns = {c.key: c for c in contact_columns()}
    since = columns["member"].load([member.contact.pk])
    # A moment: the export writes it as ISO 8601 (CSV) or a date cell (XLSX).
    assert isinstance(columns["member"].export(since[member.contact.pk]), dt.datetime)
    groups = columns["member_groups"].load([member.contact.pk])
    assert columns["member_groups"].export(groups[member.contact.pk]) == "Course A"
