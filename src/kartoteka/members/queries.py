"""Every read of members: a contact's membership for the card and the API, the groups, the
columns of the contact list and the filter fields' rows."""

from dataclasses import dataclass
from typing import Any

from django.db.models import Count
from django.utils.translation import gettext as _

from kartoteka.contacts.queries import get_contact
from kartoteka.core.errors import NotFound
from kartoteka.members.models import GroupMembership, Member, MemberGroup, MembersSettings


@dataclass
class Membership:
    member: Member | None
    groups: list[str]

    @property
    def enabled(self) -> bool:
        return bool(self.member and self.member.enabled)

    def as_dict(self) -> dict[str, Any]:
        member = self.member
        return {
            "enabled": self.enabled,
            "member_since": member.member_since if member else None,
            "last_sign_in_at": member.last_sign_in_at if member else None,
            "has_password": bool(member and hasattr(member, "credential")),
            "groups": self.groups,
        }


def membership(actor: Any, contact_id: int) -> Membership:
    """The membership of a contact the actor sees (NotFound otherwise)."""
    contact = get_contact(actor, contact_id)
    return membership_of(contact.pk)


def membership_of(contact_id: int) -> Membership:
    member = (
        Member.objects.select_related("credential").filter(contact_id=contact_id).first()
        if contact_id
        else None
    )
    groups = sorted(
        GroupMembership.objects.filter(contact_id=contact_id).values_list("group__name", flat=True)
    )
    return Membership(member, groups)


def groups() -> list[MemberGroup]:
    return list(MemberGroup.objects.annotate(size=Count("memberships")).order_by("name", "pk"))


def get_group(group_id: Any) -> MemberGroup:
    found = MemberGroup.objects.filter(pk=group_id).first() if str(group_id).isdigit() else None
    if found is None:
        raise NotFound(_("No such group."))
    return found


def group_choices() -> list[tuple[str, str]]:
    return [
        (name, name) for name in MemberGroup.objects.order_by("name").values_list("name", flat=True)
    ]


def members_for_assignment() -> list[dict[str, Any]]:
    """The enabled members, for the settings page's assignment (name, e-mail, groups)."""
    rows = (
        Member.objects.filter(enabled=True)
        .select_related("contact")
        .order_by("contact__last_name", "contact__first_name", "pk")
    )
    in_groups: dict[int, set[int]] = {}
    for contact_id, group_id in GroupMembership.objects.values_list("contact_id", "group_id"):
        in_groups.setdefault(contact_id, set()).add(group_id)
    return [
        {
            "contact": m.contact,
            "groups": in_groups.get(m.contact_id, set()),
        }
        for m in rows
    ]


def settings_row() -> MembersSettings | None:
    return MembersSettings.objects.prefetch_related("registering_lists").first()


def registering_list_ids() -> set[int]:
    found = settings_row()
    return {mailing_list.pk for mailing_list in found.registering_lists.all()} if found else set()


def self_forget_allowed() -> bool:
    found = settings_row()
    return bool(found and found.self_forget)


def is_member(contact_id: int) -> bool:
    """Whether the contact is a member who may sign in (membership enabled)."""
    return Member.objects.filter(contact_id=contact_id, enabled=True).exists()


def members_among(contact_ids: list[int]) -> dict[int, Member]:
    return {
        m.contact_id: m for m in Member.objects.filter(contact_id__in=contact_ids, enabled=True)
    }


def group_names_among(contact_ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for contact_id, name in (
        GroupMembership.objects.filter(contact_id__in=contact_ids)
        .order_by("group__name")
        .values_list("contact_id", "group__name")
    ):
        found.setdefault(contact_id, []).append(name)
    return found


def enabled_member_contacts():
    return Member.objects.filter(enabled=True).values_list("contact_id", flat=True)


def contacts_in_groups(names: list[str] | None):
    rows = GroupMembership.objects.all()
    if names is not None:
        rows = rows.filter(group__name__in=names)
    return rows.values_list("contact_id", flat=True)
