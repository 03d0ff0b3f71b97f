"""Every read of the deals app, starting from the deals the actor may see: admins (and the
system) see all of them, a sales user the deals they own and the deals on contacts they own."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from kartoteka.contacts.models import Source
from kartoteka.core import scope
from kartoteka.core.database import ExistsPerRow
from kartoteka.core.errors import NotFound
from kartoteka.core.scope import visible_contact_condition
from kartoteka.deals.models import (
    Deal,
    DealActivity,
    DealContact,
    DealField,
    DealNote,
    DealType,
    DealViewer,
    Pipeline,
    Stage,
    StageKind,
    StageMove,
)

COLUMN_PAGE = 20


def visible_deals(actor) -> QuerySet[Deal]:
    # The scope's rule, looked up on its module when called: one rule for contacts and deals.
    seen = scope.reach(actor)
    if seen == scope.ALL:
        return Deal.objects.all()
    if seen == scope.NONE:
        return Deal.objects.none()
    return Deal.objects.filter(_seen_by(actor))


def _seen_by(actor) -> Q:
    """A sales user's rule as a test of each deal: theirs, or one of the deals they may see
    through a contact they own (a probe of the (user, deal) index of DealViewer, the deals'
    copy of links joined with ownership rows): a board column stops at its first visible
    deals."""
    return Q(owner=actor) | Exists(_seen_through_contacts(actor).filter(deal_id=OuterRef("pk")))


def _seen_through_contacts(actor) -> QuerySet[DealViewer]:
    """The DealViewer rows of a sales user: a deal for each link of it to a contact they own."""
    return DealViewer.objects.filter(user=actor)


def with_card_data(actor, deals: QuerySet[Deal]) -> QuerySet[Deal]:
    """What a list row shows: stage, owner, type, and the deal's contacts the actor may see
    (primary first): a deal someone owns does not show them others' contacts."""
    return deals.select_related("stage", "owner", "type", "pipeline").prefetch_related(
        Prefetch("contact_links", queryset=_visible_links(actor))
    )


def with_board_card_data(actor, deals: QuerySet[Deal]) -> QuerySet[Deal]:
    """What a board card shows and no more (its column names the stage): name, amount,
    version, days in stage, the owner's name and the contacts the actor may see. A board
    shows a page of cards per column, and each field or related row read is one more model
    and value built per card."""
    return (
        deals.select_related("owner")
        .only(
            "name",
            "amount",
            "currency",
            "stage_id",
            "pipeline_id",
            "stage_entered_at",
            "version",
            "owner__username",
            "owner__first_name",
            "owner__last_name",
        )
        .prefetch_related(Prefetch("contact_links", queryset=_visible_links(actor)))
    )


def _visible_links(actor) -> QuerySet[DealContact]:
    """A deal's contacts as a card or a row names them, primary first, the ones the actor may
    see."""
    links = (
        DealContact.objects.filter(contact__isnull=False)
        .select_related("contact")
        # What a card, a row or the API shows of a contact: its id and name.
        .only(
            "deal_id",
            "contact_id",
            "is_primary",
            "contact__first_name",
            "contact__last_name",
            "contact__email",
        )
        .order_by("-is_primary", "id")
    )
    # A probe per link, not the list of every contact the actor sees.
    return links.filter(visible_contact_condition(actor, outer_ref="contact_id"))


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


def deal_field(field_id) -> DealField:
    found = (
        DealField.objects.filter(pk=field_id).first()
        if isinstance(field_id, int) and not isinstance(field_id, bool)
        else None
    )
    if found is None:
        raise NotFound(_("No such deal field."))
    return found


# --------------------------------------------------------------------------------------------
# Lists and the board


@dataclass(frozen=True)
class DealFilters:
    pipeline: int | None = None
    stage: int | None = None
    owner: str = ""
    contact: int | None = None
    company: int | None = None
    # Deals of any of these contacts: a query of contact ids (values("pk")) or a list of ids;
    # how an app above deals asks for the deals of people it groups (a company's members).
    contacts: Any = None
    status: str = ""
    type: int | None = None
    close_month: dt.date | None = None  # the first day of the month
    search: str = ""


def filter_deals(actor, filters: DealFilters) -> QuerySet[Deal]:
    return narrow_deals(visible_deals(actor), filters)


def narrow_deals(deals: QuerySet[Deal], filters: DealFilters) -> QuerySet[Deal]:
    """`deals` narrowed by the filters, whatever the scope they start from."""
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
    if filters.contacts is not None:
        deals = deals.filter(
            Exists(DealContact.objects.filter(deal=OuterRef("pk"), contact_id__in=filters.contacts))
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
    actor, deals: QuerySet[Deal], *, after_id: int | None, limit: int, rows=with_card_data
) -> tuple[list[Deal], int | None]:
    """One page, newest first, after `after_id`: the ids first, then their rows (read with
    `rows`, what the page shows)."""
    page, next_after = _page_ids(deals, after_id=after_id, limit=limit)
    rows = rows(actor, Deal.objects.filter(pk__in=page)) if page else []
    return sorted(rows, key=lambda d: -d.pk), next_after


def _page_ids(
    deals: QuerySet[Deal], *, after_id: int | None, limit: int
) -> tuple[list[int], int | None]:
    if after_id is not None:
        deals = deals.filter(pk__lt=after_id)
    ids = list(deals.order_by("-pk").values_list("pk", flat=True)[: limit + 1])
    return ids[:limit], (ids[limit - 1] if len(ids) > limit else None)


@dataclass
class Amount:
    """A column's deals in one currency: their total and their total weighted by the stage's
    probability. Amounts in different currencies are never added together."""

    currency: str
    total: Decimal
    weighted: Decimal


@dataclass
class Column:
    stage: Stage
    count: int
    # One amount per currency used in the column, the workspace's currency first, then the
    # largest count of deals; empty for an empty column.
    totals: list[Amount]
    deals: list[Deal]
    next_after: int | None
    # (id, name) of the stages a card of this column may move to (its "Move to…" menu), named
    # once per column rather than once per card.
    targets: list[tuple[int, str]]
    # Its cards are not read with the board but when asked for (a closed column's).
    on_demand: bool = False


@dataclass
class _Seen:
    """What a board reads of the deals an actor sees: [count, total] per (stage, currency),
    and for a sales user the ids (newest first) per stage of the deals on their contacts
    that they do not own (`None` when their cards are read with the scope's test)."""

    sums: dict[tuple[int, str], list]
    others: dict[int, list[int]] | None = None

    def add(self, stage_id: int, currency: str, n: int, total) -> None:
        found = self.sums.setdefault((stage_id, currency), [0, Decimal(0)])
        found[0] += n
        found[1] += total or Decimal(0)

    def add_grouped(self, deals: QuerySet[Deal]) -> None:
        grouped = deals.order_by().values("stage_id", "currency")
        # COUNT(*), not COUNT(id): PostgreSQL's indexes do not hold the id, so counting it
        # reads every deal's row instead of the (owner,) pipeline, stage, currency, amount
        # index alone.
        for row in grouped.annotate(n=Count("*"), total=Sum("amount")):
            self.add(row["stage_id"], row["currency"], row["n"], row["total"])


def _seen(actor, deals: QuerySet[Deal], others_of: QuerySet[Deal] | None = None) -> _Seen:
    """The board's reading of the deals among `deals` (the pipeline's, or a move's few
    columns', not yet narrowed to the actor's) that the actor may see. `others_of`: the same
    deals found without the pipeline (a move's columns by their stages alone: with the
    pipeline too, PostgreSQL read them through the pipeline's index, every deal of it)."""
    seen = _Seen(sums={})
    reach = scope.reach(actor)
    if reach == scope.ALL:
        seen.add_grouped(deals)
    elif reach == scope.OWNED:
        # From the user's side rather than by a test of every deal: the deals they own,
        # counted from an index, then the others they see through a contact they own, read
        # once from their DealViewer rows (a range of its (user, deal) index) and kept for
        # the columns' cards too. The two parts never share a deal, and together they are
        # `visible_deals`.
        # The pipeline's many deals are matched with all their rows (SQLite reads those rows
        # and looks each deal up, PostgreSQL a semi-join); a move's few columns' deals probe
        # the (user, deal) index each (as a semi-join PostgreSQL hashed all the user's rows).
        theirs = _seen_through_contacts(actor)
        seen.add_grouped(deals.filter(owner=actor))
        seen.others = {}
        if others_of is None:
            others = deals.filter(pk__in=theirs.values("deal_id"))
        else:
            others = others_of.filter(ExistsPerRow(theirs.filter(deal_id=OuterRef("pk"))))
        # Unordered, sorted here: ORDER BY id made SQLite walk every deal by its id.
        others = others.exclude(owner=actor).order_by()
        for pk, stage_id, currency, amount in others.values_list(
            "pk", "stage_id", "currency", "amount"
        ):
            seen.add(stage_id, currency, 1, amount)
            seen.others.setdefault(stage_id, []).append(pk)
        for ids in seen.others.values():
            ids.sort(reverse=True)
    return seen


def board(
    actor,
    pipeline: Pipeline,
    filters: DealFilters,
    *,
    cards: bool = True,
    only: set[int] | None = None,
) -> list[Column]:
    """The pipeline's columns (those of the stages in `only`, if given): per stage its count,
    total and weighted total per currency over every matching deal, and (with `cards`) the
    first page of its cards."""
    every_stage = list(pipeline.stages.all())
    stages = [s for s in every_stage if only is None or s.pk in only]
    narrowed = narrow_deals(Deal.objects.filter(pipeline=pipeline), filters)
    if only is None:
        seen = _seen(actor, narrowed)
    else:
        # A move's columns, found by their stages.
        ids = [s.pk for s in stages]
        by_stage = narrow_deals(Deal.objects.filter(stage__in=ids), filters)
        seen = _seen(actor, narrowed.filter(stage__in=ids), by_stage)
    counts: dict[int, int] = {}
    sums: dict[int, list[tuple[int, str, Decimal]]] = {}
    for (stage_id, currency), (n, total) in seen.sums.items():
        counts[stage_id] = counts.get(stage_id, 0) + n
        sums.setdefault(stage_id, []).append((n, currency, total))

    def first_page(stage: Stage) -> tuple[list[int], int | None]:
        if seen.others is None:
            deals = filter_deals(actor, filters).filter(pipeline=pipeline, stage=stage)
            return _page_ids(deals, after_id=None, limit=COLUMN_PAGE)
        # Their own deals' first page from the (stage, id) index, merged with the others'.
        owned = narrowed.filter(owner=actor, stage=stage).order_by("-pk")
        ids = sorted(
            [
                *owned.values_list("pk", flat=True)[: COLUMN_PAGE + 1],
                *seen.others.get(stage.pk, []),
            ],
            reverse=True,
        )[: COLUMN_PAGE + 1]
        return ids[:COLUMN_PAGE], (ids[COLUMN_PAGE - 1] if len(ids) > COLUMN_PAGE else None)

    # Each column's first page of ids, then the rows of all of them at once. A closed (won
    # or lost) column's cards come on demand: they are most of a pipeline's deals and seldom
    # what a board is opened for.
    pages = {
        stage.pk: first_page(stage) if cards and stage.kind == StageKind.OPEN else ([], None)
        for stage in stages
    }
    every_id = [pk for ids, _next in pages.values() for pk in ids]
    rows = (
        {d.pk: d for d in with_board_card_data(actor, Deal.objects.filter(pk__in=every_id))}
        if every_id
        else {}
    )
    columns = []
    home = settings.KARTOTEKA_CURRENCY
    for stage in stages:
        ids, next_after = pages[stage.pk]
        shown = [rows[pk] for pk in ids if pk in rows]
        by_use = sorted(sums.get(stage.pk, []), key=lambda s: (s[1] != home, -s[0], s[1]))
        columns.append(
            Column(
                stage=stage,
                count=counts.get(stage.pk, 0),
                totals=[
                    Amount(
                        currency=currency,
                        total=total.quantize(Decimal("0.01")),
                        weighted=(total * stage.probability / 100).quantize(Decimal("0.01")),
                    )
                    for _n, currency, total in by_use
                ],
                deals=shown,
                next_after=next_after,
                targets=move_targets(every_stage, stage),
                on_demand=cards and stage.kind != StageKind.OPEN,
            )
        )
    return columns


def move_targets(stages: list[Stage], stage: Stage) -> list[tuple[int, str]]:
    return [(s.pk, s.label) for s in stages if s.pk != stage.pk and s.retired_at is None]


def column_page(
    actor, deals: QuerySet[Deal], stage: Stage, *, after_id: int | None, limit: int = COLUMN_PAGE
) -> tuple[list[Deal], int | None]:
    return keyset_page(
        actor, deals.filter(stage=stage), after_id=after_id, limit=limit, rows=with_board_card_data
    )


def history(deal: Deal) -> list[StageMove]:
    """The deal's own timeline: every stage it entered, with who and when and how long it
    stayed in the one before."""
    return list(
        StageMove.objects.filter(deal=deal).select_related("from_stage", "to_stage", "moved_by")
    )


def notes(deal: Deal) -> list[DealNote]:
    return list(DealNote.objects.filter(deal=deal).select_related("author"))


@dataclass
class DealWork:
    """The comments, tasks and files kept on a deal that the actor may see, newest first."""

    comments: list
    tasks: list
    files: list


def deal_work(actor, deal: Deal) -> DealWork:
    """Comments and files sit on one contact each: those on contacts the actor cannot see are
    left out; tasks are shown to whoever sees the deal (their contacts are filtered on the
    task's own page)."""
    links = DealActivity.objects.filter(deal=deal).select_related(
        "comment__author", "task", "file__uploaded_by"
    )
    if scope.reach(actor) != scope.ALL:
        links = links.filter(
            Q(task__isnull=False)
            | visible_contact_condition(actor, outer_ref="comment__contact_id")
            | visible_contact_condition(actor, outer_ref="file__contact_id")
        )
    links = list(links)
    return DealWork(
        comments=[link.comment for link in links if link.comment_id],
        tasks=[link.task for link in links if link.task_id],
        files=[link.file for link in links if link.file_id and link.file.removed_at is None],
    )


def deals_of_contact(actor, contact_id: int) -> list[Deal]:
    """The deals a visible contact is in that the actor may see, open ones first."""
    deals = visible_deals(actor).filter(
        Exists(DealContact.objects.filter(deal=OuterRef("pk"), contact_id=contact_id))
    )
    found = (
        with_card_data(actor, deals)
        .prefetch_related(
            Prefetch("pipeline__stages", queryset=Stage.objects.filter(retired_at__isnull=True))
        )
        .order_by("-pk")
    )
    return sorted(found, key=lambda d: d.status != StageKind.OPEN)


def open_deals_of_contact(actor, contact_id: int) -> list[dict]:
    """The open deals a contact is in that the actor may see, counted and summed per currency
    (one row per currency: currency, deals, amount), in one query."""
    return list(
        visible_deals(actor)
        .filter(
            Exists(DealContact.objects.filter(deal=OuterRef("pk"), contact_id=contact_id)),
            status=StageKind.OPEN,
        )
        .values("currency")
        .annotate(deals=Count("pk"), amount=Sum("amount"))
        .order_by("currency")
    )


def open_deal_counts(contact_ids: list[int]) -> dict[int, int]:
    """How many open deals each contact is in (the contact list's "deals" column)."""
    rows = (
        DealContact.objects.filter(contact_id__in=contact_ids, deal__status=StageKind.OPEN)
        .values("contact_id")
        .annotate(n=Count("deal_id"))
    )
    return {row["contact_id"]: row["n"] for row in rows}


# --------------------------------------------------------------------------------------------
# Sales reports


@dataclass
class Report:
    """The tables of the sales reports; each is a list of rows, the first column a label."""

    pipeline: Pipeline
    currency: str
    start: dt.date
    end: dt.date
    by_stage: list[tuple]  # stage, open deals, value, weighted value
    forecast: list[tuple]  # month, open deals, value, weighted value
    conversion: list[tuple]  # stage, deals that reached it, % of the stage before
    by_owner: list[tuple]  # owner, won, lost, win rate %, won value
    by_source: list[tuple]  # source, won, lost, win rate %, won value
    days_in_stage: list[tuple]  # stage, moves out, average days
    won_by_month: list[tuple]  # month, won deals, won value


def currencies(actor, pipeline: Pipeline) -> list[str]:
    """The currencies of the pipeline's deals, the most used first."""
    rows = (
        visible_deals(actor)
        .filter(pipeline=pipeline)
        .order_by()
        .values("currency")
        .annotate(n=Count("id"))
        .order_by("-n", "currency")
    )
    return [row["currency"] for row in rows]


def _months(start: dt.date, end: dt.date) -> list[dt.date]:
    months, month = [], start.replace(day=1)
    while month <= end:
        months.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return months


def _rate(won: int, lost: int) -> Decimal:
    closed = won + lost
    return (Decimal(won * 100) / closed).quantize(Decimal("0.1")) if closed else Decimal(0)


def _win_rates(closed: QuerySet[Deal], key: str, label) -> list[tuple]:
    """Won, lost, win rate and won value of closed deals grouped by `key`."""
    rows: dict = {}
    grouped = closed.order_by().values(key, "status").annotate(n=Count("id"), v=Sum("amount"))
    for row in grouped:
        target = rows.setdefault(row[key], [0, 0, Decimal(0)])
        if row["status"] == StageKind.WON:
            target[0] += row["n"]
            target[2] += row["v"]
        else:
            target[1] += row["n"]
    found = [
        (str(label(k)), won, lost, _rate(won, lost), value)
        for k, (won, lost, value) in rows.items()
    ]
    return sorted(found, key=lambda r: (-r[4], r[0]))


def pipeline_report(
    actor, pipeline: Pipeline, *, start: dt.date, end: dt.date, currency: str
) -> Report:
    """Every table of the sales reports over the deals the actor sees in one pipeline and one
    currency: open deals now, forecast by expected close month and deals closed from `start`
    to `end` (inclusive)."""
    deals = visible_deals(actor).filter(pipeline=pipeline, currency=currency)
    # Bounds as moments (the day's start in the current time zone), so the database compares
    # the columns as they are instead of casting each row's time to a date.
    since = timezone.make_aware(dt.datetime.combine(start, dt.time()))
    until = timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time()))
    stages = list(Stage.objects.filter(pipeline=pipeline).order_by("position", "id"))
    open_deals = deals.filter(status=StageKind.OPEN)

    per_stage = {
        row["stage_id"]: row
        for row in open_deals.order_by().values("stage_id").annotate(n=Count("id"), v=Sum("amount"))
    }
    by_stage = []
    for stage in stages:
        if stage.kind != StageKind.OPEN:
            continue
        row = per_stage.get(stage.pk, {})
        value = row.get("v") or Decimal(0)
        if stage.retired_at is not None and not row:
            continue
        by_stage.append(
            (
                stage.label,
                row.get("n", 0),
                value,
                (value * stage.probability / 100).quantize(Decimal("0.01")),
            )
        )

    probability = {s.pk: s.probability for s in stages}
    forecast_rows: dict[dt.date, list] = {
        m: [0, Decimal(0), Decimal(0)] for m in _months(start, end)
    }
    for row in (
        open_deals.filter(expected_close_date__gte=start, expected_close_date__lte=end)
        .annotate(month=TruncMonth("expected_close_date"))
        .order_by()
        .values("month", "stage_id")
        .annotate(n=Count("id"), v=Sum("amount"))
    ):
        month = row["month"]
        month = month.date() if isinstance(month, dt.datetime) else month
        target = forecast_rows.setdefault(month, [0, Decimal(0), Decimal(0)])
        target[0] += row["n"]
        target[1] += row["v"]
        target[2] += row["v"] * probability.get(row["stage_id"], 0) / 100
    forecast = [
        (month, n, value, weighted.quantize(Decimal("0.01")))
        for month, (n, value, weighted) in sorted(forecast_rows.items())
    ]

    # Conversion: a deal reached an open stage if it entered it or any later one, or was won.
    created = deals.filter(created_at__gte=since, created_at__lt=until)
    open_stages = [s for s in stages if s.kind == StageKind.OPEN]
    position_of = {s.pk: i for i, s in enumerate(open_stages)}
    furthest: dict[int, int] = {}
    won_ids = set(created.filter(status=StageKind.WON).values_list("pk", flat=True))
    for deal_id, stage_id in StageMove.objects.filter(deal__in=created).values_list(
        "deal_id", "to_stage_id"
    ):
        if stage_id in position_of:
            furthest[deal_id] = max(furthest.get(deal_id, -1), position_of[stage_id])
    reached = [0] * len(open_stages)
    for deal_id, top in furthest.items():
        if deal_id in won_ids:
            top = len(open_stages) - 1
        for index in range(top + 1):
            reached[index] += 1
    won_count = len(won_ids)
    conversion = []
    previous = None
    for stage, count in zip(open_stages, reached, strict=True):
        share = (Decimal(count * 100) / previous).quantize(Decimal("0.1")) if previous else None
        conversion.append((stage.label, count, share))
        previous = count
    if open_stages:
        won_label = next((s.label for s in stages if s.kind == StageKind.WON), _("Won"))
        share = (Decimal(won_count * 100) / previous).quantize(Decimal("0.1")) if previous else None
        conversion.append((won_label, won_count, share))

    closed = deals.filter(
        status__in=[StageKind.WON, StageKind.LOST],
        closed_at__gte=since,
        closed_at__lt=until,
    )

    sources = dict(Source.choices)
    by_owner = _win_rates(closed, "owner__username", lambda k: k or _("Nobody"))
    by_source = _win_rates(
        closed.filter(contact_links__is_primary=True),
        "contact_links__contact__source",
        lambda k: str(sources.get(k, k)),
    )

    seconds = {
        row["from_stage_id"]: row
        for row in StageMove.objects.filter(
            deal__in=deals,
            from_stage__isnull=False,
            moved_at__gte=since,
            moved_at__lt=until,
        )
        .order_by()
        .values("from_stage_id")
        .annotate(n=Count("id"), total=Sum("seconds_in_previous"))
    }
    days_in_stage = []
    for stage in open_stages:
        row = seconds.get(stage.pk)
        if row and row["n"]:
            days_in_stage.append(
                (
                    stage.label,
                    row["n"],
                    (Decimal(row["total"]) / row["n"] / 86400).quantize(Decimal("0.1")),
                )
            )
        else:
            days_in_stage.append((stage.label, 0, None))

    won_months: dict[dt.date, list] = {m: [0, Decimal(0)] for m in _months(start, end)}
    # Bucketed here: a month of each row's local time, without a date function per row.
    for closed_at, amount in closed.filter(status=StageKind.WON).values_list("closed_at", "amount"):
        month = timezone.localtime(closed_at).date().replace(day=1)
        bucket = won_months.setdefault(month, [0, Decimal(0)])
        bucket[0] += 1
        bucket[1] += amount
    won_by_month = [(m, n, v) for m, (n, v) in sorted(won_months.items())]

    return Report(
        pipeline=pipeline,
        currency=currency,
        start=start,
        end=end,
        by_stage=by_stage,
        forecast=forecast,
        conversion=conversion,
        by_owner=by_owner,
        by_source=by_source,
        days_in_stage=days_in_stage,
        won_by_month=won_by_month,
    )
