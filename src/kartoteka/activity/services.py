"""Writes to the timeline. Typed constructors, one per kind, so every app records alike.

Callers run inside their own transaction; these functions only add rows.
"""

from datetime import datetime
from typing import Any

from django.utils import timezone

from kartoteka.activity.models import Activity, Kind


def _json_safe(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    return str(value)


def record(
    contact,
    kind: str,
    *,
    actor=None,
    actor_label: str = "",
    payload: dict | None = None,
    detail=None,
    occurred_at: datetime | None = None,
) -> Activity:
    """Add one timeline entry. `detail` is the model instance the entry points to, if any."""
    return Activity.objects.create(
        contact=contact,
        kind=kind,
        occurred_at=occurred_at or timezone.now(),
        actor=actor,
        actor_label=actor_label,
        payload=_json_safe(payload or {}),
        detail_type=detail._meta.label_lower if detail is not None else "",
        detail_id=detail.pk if detail is not None else None,
    )


def record_created(contact, *, actor=None, actor_label: str = "", source: str = "") -> Activity:
    return record(
        contact,
        Kind.CREATED,
        actor=actor,
        actor_label=actor_label,
        payload={"source": source, "email": contact.email},
    )


def record_updated(
    contact, *, actor=None, actor_label: str = "", changes: list[dict]
) -> Activity | None:
    """`changes` is a list of {"field", "old", "new"}; nothing is recorded when it is empty."""
    if not changes:
        return None
    return record(
        contact, Kind.UPDATED, actor=actor, actor_label=actor_label, payload={"changes": changes}
    )


def record_status_changed(
    contact, *, actor=None, actor_label: str = "", old: str, new: str
) -> Activity:
    return record(
        contact,
        Kind.STATUS_CHANGED,
        actor=actor,
        actor_label=actor_label,
        payload={"old": old, "new": new},
    )


def record_owners_changed(
    contact, *, actor=None, actor_label: str = "", old: list[str], new: list[str]
) -> Activity:
    return record(
        contact,
        Kind.OWNERS_CHANGED,
        actor=actor,
        actor_label=actor_label,
        payload={"old": old, "new": new},
    )


def record_tag_added(
    contact, *, actor=None, actor_label: str = "", tag: str, origin: str
) -> Activity:
    return record(
        contact,
        Kind.TAG_ADDED,
        actor=actor,
        actor_label=actor_label,
        payload={"tag": tag, "origin": origin},
    )


def record_tag_removed(contact, *, actor=None, actor_label: str = "", tag: str) -> Activity:
    return record(
        contact, Kind.TAG_REMOVED, actor=actor, actor_label=actor_label, payload={"tag": tag}
    )


def record_deleted(contact_id: int, *, actor=None, actor_label: str = "") -> Activity:
    """Kept without the contact (which is gone) and without personal data."""
    return record(
        None, Kind.DELETED, actor=actor, actor_label=actor_label, payload={"contact_id": contact_id}
    )
