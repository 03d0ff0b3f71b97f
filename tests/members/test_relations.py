"""Merge keeps the membership and the groups on the survivor; forget erases the membership, its
password hash and its sessions."""

from kartoteka.core.scope import SYSTEM
from kartoteka.duplicates.services import merge_contacts
from kartoteka.members import services
from kartoteka.members.models import Credential, GroupMembership, Member, MemberToken
from kartoteka.privacy.services import forget_contact
from tests.factories import make_contact
from tests.members.conftest import make_member


def test_merging_moves_the_membership_and_groups_to_the_survivor(admin):
    a = services.create_group(admin, name="Course A")
    b = services.create_group(admin, name="Course B")
    survivor = make_contact(email="survivor@example.com")
    merged = make_member("merged@example.com")
    services.set_membership(admin, merged.contact, enabled=True, groups=["Course A", "Course B"])
    merge_contacts(admin, survivor_id=survivor.pk, merged_ids=[merged.contact.pk])
    member = Member.objects.get()
    assert member.contact_id == survivor.pk
    assert Credential.objects.filter(member=member).exists()
    groups = set(GroupMembership.objects.filter(contact=survivor).values_list("group", flat=True))
    assert groups == {a.pk, b.pk}


def test_merging_two_members_keeps_the_survivors_and_both_groups(admin):
    services.create_group(admin, name="Course A")
    services.create_group(admin, name="Course B")
    survivor = make_member("one@example.com")
    merged = make_member("two@example.com")
    services.set_membership(admin, survivor.contact, enabled=True, groups=["Course A"])
    services.set_membership(admin, merged.contact, enabled=True, groups=["Course A", "Course B"])
    merge_contacts(admin, survivor_id=survivor.contact.pk, merged_ids=[merged.contact.pk])
    assert list(Member.objects.values_list("pk", flat=True)) == [survivor.pk]
    assert services.group_names(survivor.contact) == ["Course A", "Course B"]


def test_forgetting_erases_the_member_password_and_sessions(admin):
    member = make_member()
    services.create_group(admin, name="Course A")
    services.set_membership(admin, member.contact, enabled=True, groups=["Course A"])
    services.start_api_session(member)
    forget_contact(admin, member.contact)
    assert not Member.objects.exists()
    assert not Credential.objects.exists()
    assert not MemberToken.objects.exists()
    assert not GroupMembership.objects.exists()


def test_groups_deleted_leave_members(admin):
    member = make_member()
    group = services.create_group(admin, name="Course A")
    services.set_membership(SYSTEM, member.contact, enabled=True, groups=["Course A"])
    services.delete_group(admin, group)
    assert Member.objects.filter(pk=member.pk).exists()
    assert services.group_names(member.contact) == []
