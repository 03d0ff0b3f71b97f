"""Every read of the deals app, starting from the deals the actor may see: admins (and the
system) see all of them, a sales user the deals they own and the deals on contacts they own."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from kartoteka.core.errors import NotFound
from kartoteka.core.scope import SYSTEM, is_admin, require_actor, visible_contacts
from kartoteka.deals.models import (
    Deal,
    DealContact,
    DealField,
    DealNote,
    DealType,
    Pipeline,
    Stage,
    StageKind,
    StageMove,
)

COLUMN_PAGE = 20


def visible_deals(actor) -> QuerySet[Deal]:
    require_actor(actor)
    if actor is SYSTEM or is_admin(actor):
        return Deal.objects.all()
    if not actor.is_authenticated or not actor.is_active:
        return Deal.objects.none()
    on_their_contacts = DealContact.objects.filter(
        deal=OuterRef("pk"), contact__in=visible_contacts(actor)
    )
    return Deal.objects.filter(Q(owner=actor) | Exists(on_their_contacts))


def with_card_data(actor, deals: QuerySet[Deal]) -> QuerySet[Deal]:
    """What a board card or a list row shows: stage, owner, type, and the deal's contacts the
    actor may see (primary first): a deal someone owns does not show them others' contacts."""
    links = DealContact.objects.select_related("contact").order_by("-is_primary", "id")
    if not (actor is SYSTEM or is_admin(actor)):
        links = links.filter(contact__in=visible_contacts(actor))
    return deals.select_related("stage", "owner", "type", "pipeline").prefetch_related(
        Prefetch("contact_links", queryset=links)
    )


def get_deal(actor, deal_id: int) -> Deal:
    """The deal if the actor may see it; NotFound otherwise (never "forbidden")."""
    deal = with_card_data(actor, visible_deals(actor)).filter(pk=deal_id).first()
    if deal is None:
        raise NotFound(_("No such deal."))
    return deal


def primary_contact(deal: Deal):
    return next((link.contact for link in deal.contact_links.all() if link.is_primary), None)


# --------------------------------------------------------------------------------------------
# Pipelines


def active_pipelines() -> QuerySet[Pipeline]:
    return Pipeline.objects.filter(retired_at__isnull=True).prefetch_related(
        Prefetch("stages", queryset=Stage.objects.filter(retired_at__isnull=True))
    )


def all_pipelines() -> QuerySet[Pipeline]:
    return Pipeline.objects.prefetch_related("stages")


def get_pipeline(pipeline_id: int, *, retired: bool = False) -> Pipeline:
    pipelines = all_pipelines() if retired else active_pipelines()
    pipeline = pipelines.filter(pk=pipeline_id).first()
    if pipeline is None:
        raise NotFound(_("No such pipeline."))
    return pipeline


def deal_types() -> QuerySet[DealType]:
    return DealType.objects.filter(retired_at__isnull=True)


def deal_fields() -> QuerySet[DealField]:
    return DealField.objects.all()


# --------------------------------------------------------------------------------------------
# Lists and the board


@dataclass(frozen=True)
class DealFilters:
    pipeline: int | None = None
    stage: int | None = None
    owner: str = ""
    contact: int | None = None
    company: int | None = None
    status: str = ""
    type: int | None = None
    close_month: dt.date | None = None  # the first day of the month
    search: str = ""


def filter_deals(actor, filters: DealFilters) -> QuerySet[Deal]:
    deals = visible_deals(actor)
    if filters.pipeline:
        deals = deals.filter(pipeline_id=filters.pipeline)
    if filters.stage:
        deals = deals.filter(stage_id=filters.stage)
    if filters.owner:
        deals = deals.filter(owner__username__iexact=filters.owner)
    if filters.contact:
        deals = deals.filter(
            Exists(DealContact.objects.filter(deal=OuterRef("pk"), contact_id=filters.contact))
        )
    if filters.company:
        deals = deals.filter(
            Exists(
                DealContact.objects.filter(deal=OuterRef("pk"), contact__company_id=filters.company)
            )
        )
    if filters.status:
        deals = deals.filter(status=filters.status)
    if filters.type:
        deals = deals.filter(type_id=filters.type)
    if filters.close_month:
        start = filters.close_month.replace(day=1)
        end = (start + dt.timedelta(days=32)).replace(day=1)
        deals = deals.filter(expected_close_date__gte=start, expected_close_date__lt=end)
    if filters.search:
        deals = deals.filter(name__icontains=filters.search)
    return deals


def keyset_page(
    actor, deals: QuerySet[Deal], *, after_id: int | None, limit: int
) -> tuple[list[Deal], int | None]:
    """One page, newest first, after `after_id`: the ids first, then their rows."""
    if after_id is not None:
        deals = deals.filter(pk__lt=after_id)
    ids = list(deals.order_by("-pk").values_list("pk", flat=True)[: limit + 1])
    page = ids[:limit]
    rows = with_card_data(actor, Deal.objects.filter(pk__in=page)) if page else []
    items = sorted(rows, key=lambda d: -d.pk)
    return items, (page[-1] if len(ids) > limit else None)


@dataclass
class Column:
    stage: Stage
    count: int
    total: Decimal
    weighted: Decimal
    deals: list[Deal]
    next_after: int | None


def board(actor, pipeline: Pipeline, filters: DealFilters) -> list[Column]:
    """The pipeline's columns: per stage its count, total and weighted total over every
    matching deal, and the first page of its cards."""
    deals = filter_deals(actor, filters).filter(pipeline=pipeline)
    totals = {
        row["stage_id"]: row
        for row in deals.order_by().values("stage_id").annotate(n=Count("id"), total=Sum("amount"))
    }
    columns = []
    for stage in pipeline.stages.all():
        found = totals.get(stage.pk, {})
        total = found.get("total") or Decimal(0)
        cards, next_after = column_page(actor, deals, stage, after_id=None)
        columns.append(
            Column(
                stage=stage,
                count=found.get("n", 0),
                total=total,
                weighted=(total * stage.probability / 100).quantize(Decimal("0.01")),
                deals=cards,
                next_after=next_after,
            )
        )
    return columns


def column_page(
    actor, deals: QuerySet[Deal], stage: Stage, *, after_id: int | None, limit: int = COLUMN_PAGE
) -> tuple[list[Deal], int | None]:
    return keyset_page(actor, deals.filter(stage=stage), after_id=after_id, limit=limit)


def days_in_stage(deal: Deal, now: dt.datetime | None = None) -> int:
    return ((now or timezone.now()) - deal.stage_entered_at).days


def history(deal: Deal) -> list[StageMove]:
    """The deal's own timeline: every stage it entered, with who and when and how long it
    stayed in the one before."""
    return list(
        StageMove.objects.filter(deal=deal).select_related("from_stage", "to_stage", "moved_by")
    )


def notes(deal: Deal) -> list[DealNote]:
    return list(DealNote.objects.filter(deal=deal).select_related("author"))


def deals_of_contact(actor, contact_id: int) -> list[Deal]:
    """The deals a visible contact is in that the actor may see, open ones first."""
    deals = visible_deals(actor).filter(
        Exists(DealContact.objects.filter(deal=OuterRef("pk"), contact_id=contact_id))
    )
    found = with_card_data(actor, deals).order_by("-pk")
    return sorted(found, key=lambda d: d.status != StageKind.OPEN)


def open_deal_counts(contact_ids: list[int]) -> dict[int, int]:
    """How many open deals each contact is in (the contact list's "deals" column)."""
    rows = (
        DealContact.objects.filter(contact_id__in=contact_ids, deal__status=StageKind.OPEN)
        .values("contact_id")
        .annotate(n=Count("deal_id"))
    )
    return {row["contact_id"]: row["n"] for row in rows}
