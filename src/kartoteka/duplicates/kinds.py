"""The timeline kinds of merging duplicates and their typed constructors; registered from
DuplicatesConfig.ready(). Texts are put together when shown, in the reader's language."""

from datetime import datetime
from typing import Any

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from kartoteka.activity.timeline import Context, Description, Entry, TimelineKind, summary_text
from kartoteka.core import display


def _merged(payload: dict, context: Context) -> Description:
    merged_id = payload.get("merged_contact_id")
    if not merged_id:
        return summary_text(payload, context)
    text = _("%(name)s (#%(id)s) merged into this contact.") % {
        "name": payload.get("name") or payload.get("email") or "—",
        "id": merged_id,
    }
    until = parse_datetime(str(payload.get("undo_until") or ""))
    if until is not None:
        text += " " + _("An admin can undo it from the Merges tab until %(until)s.") % {
            "until": display.day(until)
        }
    return Description(text=text)


def _left_behind(payload: dict) -> int:
    count = payload.get("problems", 0)
    return count if isinstance(count, int) and not isinstance(count, bool) else 0


def _merge_undone(payload: dict, context: Context) -> Description:
    restored = payload.get("restored_contact_id")
    if not restored:
        return summary_text(payload, context)
    count = _left_behind(payload)
    return Description(
        text=ngettext(
            "Contact #%(id)s restored from this contact; %(count)s item stayed here.",
            "Contact #%(id)s restored from this contact; %(count)s items stayed here.",
            count,
        )
        % {"id": restored, "count": count}
    )


def _restored(payload: dict, context: Context) -> Description:
    survivor = payload.get("survivor_contact_id")
    if not survivor:
        return summary_text(payload, context)
    count = _left_behind(payload)
    return Description(
        text=ngettext(
            "Restored from contact #%(id)s; %(count)s item stayed there.",
            "Restored from contact #%(id)s; %(count)s items stayed there.",
            count,
        )
        % {"id": survivor, "count": count}
    )


# Bookkeeping of the team's data, not activity with the contact.
MERGED = TimelineKind(
    "merged", gettext_lazy("Merged"), icon="⇉", describe=_merged, counts_as_activity=False
)
MERGE_UNDONE = TimelineKind(
    "merge_undone",
    gettext_lazy("Merge undone"),
    icon="↶",
    describe=_merge_undone,
    counts_as_activity=False,
)
RESTORED_FROM_MERGE = TimelineKind(
    "restored_from_merge",
    gettext_lazy("Restored from a merge"),
    icon="↶",
    describe=_restored,
    counts_as_activity=False,
)

KINDS = [MERGED, MERGE_UNDONE, RESTORED_FROM_MERGE]


def merged(
    survivor: Any,
    *,
    actor: Any,
    actor_label: str,
    record: Any,
    merged_contact_id: int,
    name: str,
    email: str,
    moved: dict[str, int],
    fields: list[str],
    undo_until: datetime,
) -> Entry:
    return MERGED.entry(
        survivor,
        actor=actor,
        actor_label=actor_label,
        payload={
            "merged_contact_id": merged_contact_id,
            "name": name,
            "email": email,
            "moved": moved,
            "fields": fields,
            "merge_id": record.pk,
            "undo_until": undo_until.isoformat(),
        },
        detail=record,
    )


def merge_undone(
    survivor: Any, restored: Any, *, actor: Any, actor_label: str, merge_id: int, problems: int
) -> list[Entry]:
    """The two entries of an undone merge: on the survivor, and on the contact given back."""
    payload = {
        "merge_id": merge_id,
        "survivor_contact_id": survivor.pk,
        "restored_contact_id": restored.pk,
        "problems": problems,
    }
    return [
        MERGE_UNDONE.entry(survivor, actor=actor, actor_label=actor_label, payload=payload),
        RESTORED_FROM_MERGE.entry(restored, actor=actor, actor_label=actor_label, payload=payload),
    ]
