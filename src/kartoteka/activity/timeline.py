"""The timeline registry: every kind of timeline entry, registered by the app that records it.

A kind says what an entry is called (translated), which icon marks it, how its payload reads as
text, and whether it counts as activity with the contact (and so moves the contact's "last
activity"). Apps register their kinds from `AppConfig.ready()` and build entries through typed
constructors that return an `Entry`: the one plan of a timeline row, which
`activity.services.record_entry` writes row by row and `activity.services.record_many` in bulk.
Entries of a kind nobody registers (old data, a removed app) still render, under a fallback.
"""

import contextlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kartoteka.activity.markdown import sanitise
from kartoteka.core import display, scope


class Entry(NamedTuple):
    """One timeline row before it is written; its fields are Activity's columns, in order, so a
    list of entries is also a list of rows for a multi-row INSERT or COPY."""

    contact_id: int | None
    kind: str
    occurred_at: datetime
    actor_id: int | None
    actor_label: str
    payload: dict
    detail_type: str = ""
    detail_id: int | None = None


@dataclass(frozen=True)
class Change:
    """One "field: old → new" line of an entry."""

    field: str
    old: str
    new: str


@dataclass(frozen=True)
class Description:
    """What an entry says besides its kind: a line of text, sanitised rich text (a note's
    rendered Markdown), and the changes it carries."""

    text: str = ""
    html: str = ""
    changes: list[Change] = field(default_factory=list)


class Context:
    """Per-page memory for describers: a look-up they need (custom detail labels) runs once per
    page, and only when an entry on the page needs it."""

    def __init__(self) -> None:
        self._memo: dict[str, Any] = {}

    def memo(self, key: str, load: Callable[[], Any]) -> Any:
        if key not in self._memo:
            self._memo[key] = load()
        return self._memo[key]


Describer = Callable[[dict, Context], Description]


def summary_text(payload: dict, context: Context) -> Description:
    """The default description: the entry's one-line summary, if it has one."""
    return Description(text=str(payload.get("summary") or ""))


@dataclass(frozen=True)
class TimelineKind:
    """A kind of timeline entry. `counts_as_activity`: an entry of this kind about a contact is
    something done with or for that contact, so it moves the contact's last-activity time."""

    key: str
    label: Any  # a lazy translation
    icon: str = "•"
    describe: Describer = summary_text
    counts_as_activity: bool = True

    def entry(
        self,
        contact: Any,
        *,
        actor: Any = None,
        actor_label: str = "",
        payload: dict | None = None,
        detail: Any = None,
        occurred_at: datetime | None = None,
    ) -> Entry:
        """An entry of this kind. `contact` is a contact or its id (None for entries kept
        without one); `detail` the row it points to, if any; `payload` small JSON values."""
        return Entry(
            contact_id=getattr(contact, "pk", contact),
            kind=self.key,
            occurred_at=occurred_at or timezone.now(),
            actor_id=getattr(actor, "pk", actor),
            actor_label=actor_label,
            payload=json_safe(payload) if payload else {},
            detail_type=detail._meta.label_lower if detail is not None else "",
            detail_id=detail.pk if detail is not None else None,
        )


def json_safe(value: Any) -> Any:
    """`value` with anything JSON cannot hold (dates, decimals) as text."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    return str(value)


_kinds: dict[str, TimelineKind] = {}
# How services name the system when it acts (core.scope.SYSTEM); shown translated.
SYSTEM_LABEL = scope.SYSTEM_LABEL


def register(*kinds: TimelineKind) -> None:
    """Add kinds to the registry (from an app's `ready()`); a key belongs to one kind."""
    for kind in kinds:
        known = _kinds.get(kind.key)
        if known is not None and known != kind:
            raise ValueError(f"The timeline kind {kind.key!r} is registered twice.")
        if len(kind.key) > 40:
            raise ValueError(f"The timeline kind {kind.key!r} is longer than 40 characters.")
        _kinds[kind.key] = kind


def get(key: str) -> TimelineKind:
    """The registered kind, or a fallback for entries of a kind nobody registers: its key made
    readable, the default description, counted as activity."""
    found = _kinds.get(key)
    if found is None:
        return TimelineKind(key=key, label=key.replace("_", " ").capitalize())
    return found


def registered() -> list[TimelineKind]:
    return list(_kinds.values())


def label(key: str) -> str:
    return str(get(key).label)


def counts_as_activity(key: str) -> bool:
    return get(key).counts_as_activity


def latest_activity(entries: Iterable[Entry]) -> dict[int, datetime]:
    """The newest time of an entry that counts as activity, by contact."""
    latest: dict[int, datetime] = {}
    counted: dict[str, bool] = {}
    for entry in entries:
        if entry.contact_id is None:
            continue
        counts = counted.get(entry.kind)
        if counts is None:
            counts = counted[entry.kind] = counts_as_activity(entry.kind)
        if counts:
            when = latest.get(entry.contact_id)
            if when is None or entry.occurred_at > when:
                latest[entry.contact_id] = entry.occurred_at
    return latest


def sanitised(html: str) -> str:
    """Rich text from a payload, cleaned again when shown: the timeline never trusts stored
    markup, whoever wrote it."""
    return sanitise(html)


def shown(value: Any) -> str:
    """A payload value as a person reads it: lists joined, nothing as a dash, a date (stored
    as ISO 8601 text) in the reader's format."""
    if value in (None, "", []):
        return "—"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, str) and _ISO_DAY.fullmatch(value):
        with contextlib.suppress(ValueError):
            return display.day(date.fromisoformat(value))
    return str(value)


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


# Who moves a contact's last-activity time: the contacts app, which owns that column,
# registers its function here (activity writes no other app's table).
_last_activity_movers: list[Callable[[dict[int, datetime]], None]] = []


def on_activity(mover: Callable[[dict[int, datetime]], None]) -> None:
    """Register `mover(latest)`, called with {contact id: newest time} in the transaction that
    records entries counting as activity."""
    if mover not in _last_activity_movers:
        _last_activity_movers.append(mover)


def activity_recorded(entries: Iterable[Entry]) -> None:
    latest = latest_activity(entries)
    if latest:
        for mover in _last_activity_movers:
            mover(latest)


def present(entry: Any, context: Context) -> dict:
    """What the timeline shows of a stored entry (an Activity): kind label and icon, who did
    it, and its description in the reader's language."""
    kind = get(entry.kind)
    payload = entry.payload if isinstance(entry.payload, dict) else {}
    try:
        described = kind.describe(payload, context)
    except (AttributeError, KeyError, TypeError, ValueError):
        # A payload of an older shape than its describer expects still shows its summary.
        described = summary_text(payload, context)
    if entry.actor_id:
        actor = entry.actor.display_name
    elif entry.actor_label in ("", SYSTEM_LABEL):
        actor = _("System")
    else:
        actor = display.actor_name(entry.actor_label)
    return {
        "entry": entry,
        "kind": str(kind.label),
        "icon": kind.icon,
        "actor": actor,
        "text": described.text,
        "html": described.html,
        "changes": described.changes,
    }
