"""The timeline kinds a deal leaves on the cards of its contacts, and their typed constructors;
registered from DealsConfig.ready()."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from kartoteka.activity.timeline import Change, Context, Description, Entry, TimelineKind


def _move(payload: dict, _context: Context) -> Description:
    text = str(payload.get("summary") or "")
    if payload.get("reason"):
        text = f"{text} — {payload['reason']}"
    return Description(
        text=text,
        changes=[Change("", str(payload.get("from") or "—"), str(payload.get("to") or "—"))],
    )


DEAL_CREATED = TimelineKind("deal_created", _("Deal created"), icon="◆")
DEAL_STAGE_CHANGED = TimelineKind("deal_stage_changed", _("Deal moved"), icon="◆", describe=_move)
DEAL_WON = TimelineKind("deal_won", _("Deal won"), icon="◆", describe=_move)
DEAL_LOST = TimelineKind("deal_lost", _("Deal lost"), icon="◆", describe=_move)
DEAL_DELETED = TimelineKind("deal_deleted", _("Deal deleted"), icon="◆", counts_as_activity=False)

KINDS = [DEAL_CREATED, DEAL_STAGE_CHANGED, DEAL_WON, DEAL_LOST, DEAL_DELETED]


def deal_entries(
    kind: TimelineKind, deal: Any, contact_ids: list[int], *, actor: Any, **extra: Any
) -> list[Entry]:
    """One entry per contact in the deal (a deal's story shows on each of their cards)."""
    payload = {"summary": deal.name, "deal_id": deal.pk, **extra}
    return [kind.entry(contact_id, actor=actor, payload=payload) for contact_id in contact_ids]
