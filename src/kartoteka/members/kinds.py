"""The timeline kinds of members and their typed constructors; registered from
MembersConfig.ready()."""

from typing import Any

from django.utils.translation import gettext_lazy

from kartoteka.activity.timeline import Context, Description, Entry, TimelineKind


def _groups(payload: dict, _context: Context) -> Description:
    return Description(text=", ".join(str(g) for g in payload.get("groups") or []))


def _nothing(_payload: dict, _context: Context) -> Description:
    return Description(text="")


MEMBER_ENABLED = TimelineKind(
    "member_enabled",
    gettext_lazy("Became a member"),
    icon="★",
    describe=_groups,
    counts_as_activity=False,
)
MEMBER_DISABLED = TimelineKind(
    "member_disabled",
    gettext_lazy("Membership ended"),
    icon="☆",
    describe=_nothing,
    counts_as_activity=False,
)
GROUPS_CHANGED = TimelineKind(
    "member_groups_changed",
    gettext_lazy("Member groups changed"),
    icon="★",
    describe=_groups,
    counts_as_activity=False,
)
FORGET_REQUESTED = TimelineKind(
    "member_forget_requested",
    gettext_lazy("Asked to be forgotten"),
    icon="✗",
    describe=_nothing,
    counts_as_activity=False,
)

KINDS = [MEMBER_ENABLED, MEMBER_DISABLED, GROUPS_CHANGED, FORGET_REQUESTED]


def membership_changed(
    contact: Any, *, enabled: bool, groups: list[str], actor: Any, actor_label: str
) -> Entry:
    kind = MEMBER_ENABLED if enabled else MEMBER_DISABLED
    return kind.entry(
        contact, actor=actor, actor_label=actor_label, payload={"groups": sorted(groups)}
    )


def groups_changed(contact: Any, *, groups: list[str], actor: Any, actor_label: str) -> Entry:
    return GROUPS_CHANGED.entry(
        contact, actor=actor, actor_label=actor_label, payload={"groups": sorted(groups)}
    )


def forget_requested(contact: Any) -> Entry:
    return FORGET_REQUESTED.entry(contact, actor=None, actor_label="member", payload={})
