"""The timeline kinds of a contact's own life (created, edited, status, owners, tags, deleted)
and their typed constructors; registered from ContactsConfig.ready().

The row-by-row services and the bulk write path build their entries with the same
constructors, so both write the same entries.
"""

from datetime import datetime
from typing import Any

from django.utils.translation import gettext_lazy as _

from kartoteka.activity.timeline import Change, Context, Description, Entry, TimelineKind, shown
from kartoteka.contacts import statuses, tag_colors
from kartoteka.contacts.models import Source, Status
from kartoteka.contacts.queries import all_property_definitions, all_tags

FIELD_LABELS = {
    "first_name": _("First name"),
    "last_name": _("Last name"),
    "email": _("Primary e-mail"),
    "emails": _("E-mail addresses"),
    "phone": _("Primary phone"),
    "phones": _("Phone numbers"),
    "company": _("Company"),
    "job_title": _("Job title"),
    "street": _("Street"),
    "postal_code": _("Postal code"),
    "city": _("City"),
    "region": _("Region"),
    "country": _("Country"),
    "fax": _("Fax"),
    "birthday": _("Birthday"),
    "score": _("Score"),
    "source": _("Source"),
    "messengers": _("Messengers"),
    "created_url": _("Form URL"),
    "created_ip": _("Creation IP"),
    "utm_source": _("Source (UTM)"),
    "utm_medium": _("Medium"),
    "utm_campaign": _("Campaign"),
    "utm_term": _("Term"),
    "utm_content": _("Content"),
    "gclid": _("Google click ID"),
    "ads_campaign": _("Google Ads campaign"),
    "ads_group": _("Ad group"),
    "ads_keyword": _("Keyword"),
    "ads_network": _("Network"),
    "ads_device": _("Device"),
    "ads_id": _("Ad ID"),
}


def _detail_labels() -> dict[str, str]:
    return {d.key: d.label for d in all_property_definitions()}


def _field_label(name: str, context: Context) -> str:
    if name.startswith("properties."):
        key = name.removeprefix("properties.")
        return context.memo("contacts.detail_labels", _detail_labels).get(key, key)
    return str(FIELD_LABELS.get(name, name))


def _choice(choices: Any, value: Any) -> str:
    return str(dict(choices).get(value, value or ""))


def _created(payload: dict, _context: Context) -> Description:
    # The tags a contact arrived with are part of its "created" entry (bulk loads).
    tags = payload.get("tags")
    return Description(text=", ".join(str(t) for t in tags) if isinstance(tags, list) else "")


def _updated(payload: dict, context: Context) -> Description:
    changes = []
    for change in payload.get("changes", []):
        name = str(change.get("field", ""))
        new = change.get("new")
        old = change.get("old")
        if name == "source":
            old, new = _choice(Source.choices, old), _choice(Source.choices, new)
        changes.append(Change(_field_label(name, context), shown(old), shown(new)))
    return Description(changes=changes)


def _status_name(key: Any, stored: Any) -> Any:
    """A status's name now, or the one it had when the entry was written (it may be gone)."""
    if not key:
        return key
    known = statuses.load()
    if key in known.by_key:
        return known.label(key)
    return stored or _choice(Status.choices, key)


def _status_changed(payload: dict, _context: Context) -> Description:
    old = _status_name(payload.get("old"), payload.get("old_name"))
    new = _status_name(payload.get("new"), payload.get("new_name"))
    return Description(
        text=str(payload.get("reason") or ""), changes=[Change("", shown(old), shown(new))]
    )


def _owners_changed(payload: dict, _context: Context) -> Description:
    return Description(changes=[Change("", shown(payload.get("old")), shown(payload.get("new")))])


def _tag_colors() -> dict[str, str]:
    return dict(all_tags().values_list("name_folded", "color"))


def _tag(payload: dict, context: Context) -> Description:
    """The tag as a chip in its colour today (grey for a tag since deleted)."""
    name = str(payload.get("tag") or "")
    if not name:
        return Description()
    color = context.memo("contacts.tag_colors", _tag_colors).get(name.casefold(), "")
    return Description(html=tag_colors.chip(name, color))


def _deleted(payload: dict, _context: Context) -> Description:
    return Description(text=f"#{payload['contact_id']}" if payload.get("contact_id") else "")


CREATED = TimelineKind("created", _("Created"), icon="+", describe=_created)
UPDATED = TimelineKind(
    "updated", _("Edited"), icon="✎", describe=_updated, counts_as_activity=False
)
DELETED = TimelineKind(
    "deleted", _("Deleted"), icon="✕", describe=_deleted, counts_as_activity=False
)
TAG_ADDED = TimelineKind(
    "tag_added", _("Tag added"), icon="#", describe=_tag, counts_as_activity=False
)
TAG_REMOVED = TimelineKind(
    "tag_removed", _("Tag removed"), icon="#", describe=_tag, counts_as_activity=False
)
OWNERS_CHANGED = TimelineKind(
    "owners_changed",
    _("Owners changed"),
    icon="⚑",
    describe=_owners_changed,
    counts_as_activity=False,
)
STATUS_CHANGED = TimelineKind(
    "status_changed", _("Status changed"), icon="◆", describe=_status_changed
)

KINDS = [CREATED, UPDATED, DELETED, TAG_ADDED, TAG_REMOVED, OWNERS_CHANGED, STATUS_CHANGED]


# --------------------------------------------------------------------------------------------
# Typed constructors: `contact` is a contact or its id, `actor` a user, its id or None.


def created(
    contact: Any,
    *,
    actor: Any,
    actor_label: str,
    source: str,
    email: str,
    tags: list[str] | None = None,
    occurred_at: datetime | None = None,
) -> Entry:
    payload: dict[str, Any] = {"source": source, "email": email}
    if tags:
        payload["tags"] = tags
    return CREATED.entry(
        contact, actor=actor, actor_label=actor_label, payload=payload, occurred_at=occurred_at
    )


def updated(
    contact: Any,
    *,
    actor: Any,
    actor_label: str,
    changes: list[dict],
    occurred_at: datetime | None = None,
) -> Entry:
    """`changes` is a list of {"field", "old", "new"}."""
    return UPDATED.entry(
        contact,
        actor=actor,
        actor_label=actor_label,
        payload={"changes": changes},
        occurred_at=occurred_at,
    )


def status_changed(
    contact: Any,
    *,
    actor: Any,
    actor_label: str,
    old: str,
    new: str,
    occurred_at: datetime | None = None,
    reason: str = "",
    names: tuple[str, str] | None = None,
) -> Entry:
    payload = {"old": old, "new": new}
    if names:
        payload["old_name"], payload["new_name"] = names
    if reason:
        payload["reason"] = reason
    return STATUS_CHANGED.entry(
        contact,
        actor=actor,
        actor_label=actor_label,
        payload=payload,
        occurred_at=occurred_at,
    )


def owners_changed(
    contact: Any, *, actor: Any, actor_label: str, old: list[str], new: list[str]
) -> Entry:
    return OWNERS_CHANGED.entry(
        contact, actor=actor, actor_label=actor_label, payload={"old": old, "new": new}
    )


def tag_added(
    contact: Any,
    *,
    actor: Any,
    actor_label: str,
    tag: str,
    origin: str,
    occurred_at: datetime | None = None,
) -> Entry:
    return TAG_ADDED.entry(
        contact,
        actor=actor,
        actor_label=actor_label,
        payload={"tag": tag, "origin": origin},
        occurred_at=occurred_at,
    )


def tag_removed(contact: Any, *, actor: Any, actor_label: str, tag: str) -> Entry:
    return TAG_REMOVED.entry(contact, actor=actor, actor_label=actor_label, payload={"tag": tag})


def deleted(
    contact_id: int, *, actor: Any, actor_label: str, occurred_at: datetime | None = None
) -> Entry:
    """Kept without the contact (which is gone) and without personal data."""
    return DELETED.entry(
        None,
        actor=actor,
        actor_label=actor_label,
        payload={"contact_id": contact_id},
        occurred_at=occurred_at,
    )
