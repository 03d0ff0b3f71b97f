"""The timeline kinds of consents and blocking, and their typed constructors; registered from
ConsentsConfig.ready(). The one-at-a-time and the bulk writes build entries with the same
constructors."""

from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kartoteka.activity.timeline import Context, Description, Entry, TimelineKind
from kartoteka.consents.models import Channel, Source


def purpose_label(key: str) -> str:
    from kartoteka.consents.queries import purpose_names

    return purpose_names().get(key, key)


def _consent(payload: dict, _context: Context) -> Description:
    parts = [
        str(dict(Channel.choices).get(payload.get("channel"), payload.get("channel") or "")),
        purpose_label(str(payload.get("purpose") or "")),
        str(dict(Source.choices).get(payload.get("source"), payload.get("source") or "")),
    ]
    if payload.get("where"):
        parts.append(str(payload["where"]))
    text = " · ".join(p for p in parts if p)
    if payload.get("older"):
        text += " — " + _("older than the consent in force; kept in the history")
    return Description(text=text)


def _reason(payload: dict, _context: Context) -> Description:
    return Description(text=str(payload.get("reason") or ""))


CONSENT_GRANTED = TimelineKind(
    "consent_granted",
    gettext_lazy("Consent granted"),
    icon="✓",
    describe=_consent,
    counts_as_activity=False,
)
CONSENT_WITHDRAWN = TimelineKind(
    "consent_withdrawn",
    gettext_lazy("Consent withdrawn"),
    icon="✗",
    describe=_consent,
    counts_as_activity=False,
)
BLOCKED = TimelineKind(
    "contact_blocked",
    gettext_lazy("Blocked"),
    icon="⊘",
    describe=_reason,
    counts_as_activity=False,
)
UNBLOCKED = TimelineKind(
    "contact_unblocked",
    gettext_lazy("Unblocked"),
    icon="○",
    describe=_reason,
    counts_as_activity=False,
)

KINDS = [CONSENT_GRANTED, CONSENT_WITHDRAWN, BLOCKED, UNBLOCKED]


def consent_recorded(
    contact: Any,
    *,
    actor: Any,
    actor_label: str,
    channel: str,
    purpose: str,
    status: str,
    source: str,
    where: str,
    older: bool,
    given_at: datetime,
    entry_id: int | None,
) -> Entry:
    """A consent entry on the timeline, at the time it was given. `older`: it arrived after a
    later one and did not change the consent in force."""
    payload: dict[str, Any] = {
        "channel": channel,
        "purpose": purpose,
        "source": source,
        "entry_id": entry_id,
    }
    if where:
        payload["where"] = where
    if older:
        payload["older"] = True
    kind = CONSENT_GRANTED if status == "granted" else CONSENT_WITHDRAWN
    return kind.entry(
        contact, actor=actor, actor_label=actor_label, payload=payload, occurred_at=given_at
    )


def block_changed(
    contact: Any, *, blocked: bool, reason: str, actor: Any, actor_label: str
) -> Entry:
    kind = BLOCKED if blocked else UNBLOCKED
    return kind.entry(contact, actor=actor, actor_label=actor_label, payload={"reason": reason})
