"""The filter fields deals add to contacts (and their short names in the text form): an open
deal in a pipeline, a deal in a stage or of a status, a deal's owner, a deal's amount, a deal
won lately. Each condition is about any one of the contact's deals: `deal:open deal-owner:ana`
is a contact with an open deal and a deal Ana owns, not necessarily the same one."""

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import override

from kartoteka.accounts.queries import names_by_username
from kartoteka.deals.models import BUILTIN_NAMES, DealContact, Pipeline, Stage, StageKind
from kartoteka.segments.fields import Field, linked_ids, register, register_alias, related

GROUP = _("Deals")


def _by(lookup: str, **conditions):
    def rows(values: list[str] | None):
        chosen = DealContact.objects.filter(contact__isnull=False, **conditions)
        if values is not None:
            chosen = chosen.filter(**{lookup: [int(v) for v in values if str(v).isdigit()]})
        return chosen.values_list("contact_id", flat=True)

    return rows


def _named(model, label_of):
    """Maps a name (in the reader's language, its built-in English name, or an id) to the id
    the filter stores."""

    def normalise(value: str) -> str:
        text = str(value).strip()
        if text.isdigit():
            return text
        folded = text.casefold()
        for row in model.objects.filter(retired_at__isnull=True):
            names = {str(label_of(row)).casefold()}
            if row.key in BUILTIN_NAMES and not row.name:
                with override("en"):
                    names.add(str(BUILTIN_NAMES[row.key]).casefold())
            if folded in names:
                return str(row.pk)
        return text

    return normalise


def _stage_label(stage: Stage) -> str:
    return f"{stage.pipeline.label} · {stage.label}"


def _stage_choices() -> list[tuple[str, str]]:
    stages = Stage.objects.filter(retired_at__isnull=True).select_related("pipeline")
    return [(str(s.pk), _stage_label(s)) for s in stages]


def _pipeline_choices() -> list[tuple[str, str]]:
    return [(str(p.pk), p.label) for p in Pipeline.objects.filter(retired_at__isnull=True)]


def _amount(op: str, value: Any) -> Q:
    """Contacts in a deal whose amount matches."""
    links = DealContact.objects.filter(contact__isnull=False)
    if op in ("is_empty", "is_not_empty"):
        having = Q(pk__in=Subquery(links.values("contact_id")))
        return ~having if op == "is_empty" else having
    if op in ("ne", "not_in"):
        return ~_amount("eq" if op == "ne" else "in", value)
    if op == "between":
        match = {"deal__amount__gte": value[0], "deal__amount__lte": value[1]}
    elif op == "in":
        match = {"deal__amount__in": value}
    else:
        lookup = {"eq": "exact", "gt": "gt", "gte": "gte", "lt": "lt", "lte": "lte"}[op]
        match = {f"deal__amount__{lookup}": value}
    return Q(pk__in=Subquery(links.filter(**match).values("contact_id")))


def _won_within(op: str, value: Any) -> Q:
    """Contacts in a deal won within the last N days (`lte`, `eq`), more than N days ago
    (`gt`, `gte`), or between a and b days ago; empty: never in a won deal."""
    won = DealContact.objects.filter(contact__isnull=False, deal__status=StageKind.WON)
    now = timezone.now()
    if op in ("is_empty", "is_not_empty"):
        having = Q(pk__in=Subquery(won.values("contact_id")))
        return ~having if op == "is_empty" else having
    if op in ("ne", "not_in"):
        return ~_won_within("eq" if op == "ne" else "in", value)
    if op == "between":
        low, high = sorted(value)
        match = {
            "deal__closed_at__gte": now - dt.timedelta(days=high),
            "deal__closed_at__lte": now - dt.timedelta(days=low),
        }
    elif op in ("eq", "lte", "lt", "in"):
        days = max(value) if op == "in" else value
        match = {"deal__closed_at__gte": now - dt.timedelta(days=days)}
    else:
        match = {"deal__closed_at__lt": now - dt.timedelta(days=value)}
    return Q(pk__in=Subquery(won.filter(**match).values("contact_id")))


def register_fields() -> None:
    open_in = _by("deal__pipeline_id__in", deal__status=StageKind.OPEN)
    register(
        Field(
            "deals.open_in_pipeline",
            _("Open deal in pipeline"),
            "set",
            related(open_in),
            choices=_pipeline_choices,
            group=GROUP,
            normalise=_named(Pipeline, lambda p: p.label),
            ids=linked_ids(open_in),
        )
    )
    in_stage = _by("deal__stage_id__in")
    register(
        Field(
            "deals.stage",
            _("Deal in stage"),
            "set",
            related(in_stage),
            choices=_stage_choices,
            group=GROUP,
            normalise=_named(Stage, lambda s: s.label),
            ids=linked_ids(in_stage),
        )
    )

    def by_status(values: list[str] | None):
        chosen = DealContact.objects.filter(contact__isnull=False)
        if values is not None:
            chosen = chosen.filter(deal__status__in=values)
        return chosen.values_list("contact_id", flat=True)

    register(
        Field(
            "deals.status",
            _("Deal status"),
            "set",
            related(by_status),
            choices=lambda: [(code, str(label)) for code, label in StageKind.choices],
            group=GROUP,
            normalise=str.lower,
            ids=linked_ids(by_status),
        )
    )

    def by_owner(values: list[str] | None):
        chosen = DealContact.objects.filter(contact__isnull=False, deal__owner__isnull=False)
        if values is not None:
            # Usernames (as the contact owner filter takes them) read once into ids.
            users = get_user_model().objects.filter(username__in=values)
            chosen = chosen.filter(deal__owner_id__in=list(users.values_list("pk", flat=True)))
        return chosen.values_list("contact_id", flat=True)

    register(
        Field(
            "deals.owner",
            _("Deal owner"),
            "set",
            related(by_owner),
            group=GROUP,
            names=names_by_username,
            ids=linked_ids(by_owner),
        )
    )
    register(Field("deals.amount", _("Deal amount"), "number", _amount, group=GROUP))
    register(
        Field(
            "deals.won_in_last_days",
            _("Deal won in the last … days"),
            "number",
            _won_within,
            group=GROUP,
        )
    )
    for name, key in (
        ("deal", "deals.status"),
        ("deal-stage", "deals.stage"),
        ("deal-pipeline", "deals.open_in_pipeline"),
        ("deal-amount", "deals.amount"),
        ("deal-owner", "deals.owner"),
        ("deal-won", "deals.won_in_last_days"),
    ):
        register_alias(name, key)
