"""REST endpoints of pipelines, deals and sales reports, under /api/v1."""

import datetime as dt
import re

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from kartoteka.contacts.queries import get_contact
from kartoteka.core.cursors import decode_cursor, encode_cursor
from kartoteka.core.errors import ErrorCollector, Forbidden, InvalidInput
from kartoteka.core.scope import is_admin
from kartoteka.deals import queries, services
from kartoteka.deals.models import Deal, Pipeline, StageKind
from kartoteka.deals.schemas import (
    DealFieldIn,
    DealFieldOut,
    DealFieldPatch,
    DealFilterQuery,
    DealIn,
    DealOut,
    DealPage,
    DealPatch,
    MoveIn,
    PipelineIn,
    PipelineOut,
    PipelinePatch,
    ReportOut,
    ReportQuery,
)

router = Router(tags=["deals"])
MAX_PAGE = 200


def pipeline_json(pipeline: Pipeline) -> dict:
    return {
        "id": pipeline.pk,
        "name": pipeline.label,
        "retired": pipeline.retired_at is not None,
        "stages": [
            {
                "id": s.pk,
                "name": s.label,
                "probability": s.probability,
                "kind": s.kind,
                "position": s.position,
                "retired": s.retired_at is not None,
            }
            for s in pipeline.stages.all()
        ],
    }


def deal_json(deal: Deal) -> dict:
    return {
        "id": deal.pk,
        "name": deal.name,
        "amount": str(deal.amount),
        "currency": deal.currency,
        "owner": deal.owner.username if deal.owner else None,
        "pipeline": deal.pipeline_id,
        "stage": deal.stage_id,
        "stage_name": deal.stage.label,
        "status": deal.status,
        "type": deal.type.key or deal.type.label if deal.type else None,
        "expected_close_date": deal.expected_close_date,
        "close_reason": deal.close_reason,
        "contacts": [
            {"id": link.contact_id, "name": str(link.contact), "primary": link.is_primary}
            for link in deal.contact_links.all()
        ],
        "properties": deal.properties,
        "stage_entered_at": deal.stage_entered_at,
        "closed_at": deal.closed_at,
        "created_at": deal.created_at,
        "updated_at": deal.updated_at,
        "version": deal.version,
    }


def _fresh(request: HttpRequest, deal_id: int, response: HttpResponse) -> dict:
    deal = queries.get_deal(request.user, deal_id)
    response["ETag"] = f'"{deal.version}"'
    return deal_json(deal)


def _expected_version(request: HttpRequest, body_version: int | None) -> int | None:
    header = request.headers.get("If-Match", "").strip()
    if header:
        match = re.fullmatch(r'(?:W/)?"?(\d+)"?', header)
        if match is None:
            raise InvalidInput("If-Match", _('If-Match must be the deal\'s version, e.g. "3".'))
        return int(match.group(1))
    return body_version


def _require_admin(request: HttpRequest) -> None:
    if not is_admin(request.user):
        raise Forbidden(_("Only admins may manage pipelines."))


# --------------------------------------------------------------------------------------------
# Pipelines


@router.get("/pipelines", response=list[PipelineOut], tags=["pipelines"])
def list_pipelines(request: HttpRequest, retired: bool = False):
    """The pipelines with their stages in order (retired ones too with `retired=true`)."""
    services.install_defaults()
    pipelines = queries.all_pipelines() if retired else queries.active_pipelines()
    return [pipeline_json(p) for p in pipelines]


@router.post("/pipelines", response={201: PipelineOut}, tags=["pipelines"])
def create_pipeline(request: HttpRequest, payload: PipelineIn):
    _require_admin(request)
    pipeline = services.create_pipeline(
        request.user, name=payload.name, stages=[s.model_dump() for s in payload.stages]
    )
    return Status(201, pipeline_json(queries.get_pipeline(pipeline.pk)))


@router.patch("/pipelines/{int:pipeline_id}", response=PipelineOut, tags=["pipelines"])
def update_pipeline(request: HttpRequest, pipeline_id: int, payload: PipelinePatch):
    """Rename, and with `stages` rename, re-weigh, reorder, add and retire stages."""
    _require_admin(request)
    data = payload.model_dump(exclude_unset=True)
    stages = data.get("stages")
    services.update_pipeline(
        request.user,
        queries.get_pipeline(pipeline_id),
        name=data.get("name"),
        stages=stages,
    )
    return pipeline_json(queries.get_pipeline(pipeline_id))


@router.delete("/pipelines/{int:pipeline_id}", response={204: None}, tags=["pipelines"])
def retire_pipeline(request: HttpRequest, pipeline_id: int):
    """Retire the pipeline: off the boards, its deals and history kept for the reports."""
    _require_admin(request)
    services.retire_pipeline(request.user, queries.get_pipeline(pipeline_id))
    return Status(204, None)


# --------------------------------------------------------------------------------------------
# Deal fields


def deal_field_json(field) -> dict:
    return {
        "id": field.pk,
        "key": field.key,
        "label": field.label,
        "type": field.type,
        "choices": list(field.choices),
        "position": field.position,
    }


@router.get("/deal-fields", response=list[DealFieldOut], tags=["deal fields"])
def list_deal_fields(request: HttpRequest):
    """The typed custom fields of deals, in order; their values are a deal's `properties`."""
    return [deal_field_json(f) for f in queries.deal_fields()]


@router.post("/deal-fields", response={201: DealFieldOut}, tags=["deal fields"])
def create_deal_field(request: HttpRequest, payload: DealFieldIn):
    """Define a deal field (admins); the types are those of contacts' custom details."""
    field = services.add_deal_field(
        request.user,
        key=payload.key,
        label=payload.label,
        type=payload.type,
        choices=payload.choices,
    )
    return Status(201, deal_field_json(field))


@router.patch("/deal-fields/{int:field_id}", response=DealFieldOut, tags=["deal fields"])
def update_deal_field(request: HttpRequest, field_id: int, payload: DealFieldPatch):
    """Rename a deal field or change its choices (admins); its key and type stay."""
    if not is_admin(request.user):
        raise Forbidden(_("Only admins may %(what)s.") % {"what": _("manage deal fields")})
    data = payload.model_dump(exclude_unset=True)
    field = services.update_deal_field(
        request.user,
        queries.deal_field(field_id),
        label=data.get("label"),
        choices=data.get("choices"),
    )
    return deal_field_json(field)


@router.delete("/deal-fields/{int:field_id}", response={204: None}, tags=["deal fields"])
def delete_deal_field(request: HttpRequest, field_id: int):
    """Delete a deal field and its value on every deal (admins)."""
    if not is_admin(request.user):
        raise Forbidden(_("Only admins may %(what)s.") % {"what": _("manage deal fields")})
    services.delete_deal_field(request.user, queries.deal_field(field_id))
    return Status(204, None)


# --------------------------------------------------------------------------------------------
# Deals


def _filters(filters: DealFilterQuery, errors: ErrorCollector) -> queries.DealFilters:
    if filters.status and filters.status not in StageKind.values:
        errors.add(
            "status",
            _("Status must be one of: %(values)s.") % {"values": ", ".join(StageKind.values)},
        )
    return queries.DealFilters(
        pipeline=filters.pipeline,
        stage=filters.stage,
        owner=filters.owner,
        contact=filters.contact,
        company=filters.company,
        status=filters.status,
    )


@router.get("/deals", response=DealPage)
def list_deals(request: HttpRequest, filters: Query[DealFilterQuery]):
    """Deals the caller sees, newest first, one keyset page at a time."""
    errors = ErrorCollector()
    chosen = _filters(filters, errors)
    if not 1 <= filters.limit <= MAX_PAGE:
        errors.add("limit", _("limit must be between 1 and %(max_page)s.") % {"max_page": MAX_PAGE})
    after_id = None
    if filters.cursor:
        try:
            (after_id,) = decode_cursor(filters.cursor, size=1)
        except InvalidInput as exc:
            errors.capture(exc)
        if after_id is not None and not isinstance(after_id, int):
            errors.add("cursor", _("Not a cursor from this list; start again without it."))
    errors.raise_if_any()
    items, next_after = queries.keyset_page(
        request.user,
        queries.filter_deals(request.user, chosen),
        after_id=after_id,
        limit=filters.limit,
    )
    return {
        "items": [deal_json(d) for d in items],
        "next_cursor": encode_cursor(next_after) if next_after is not None else None,
    }


@router.post("/deals", response={201: DealOut})
def create_deal(request: HttpRequest, payload: DealIn, response: HttpResponse):
    deal = services.create_deal(request.user, data=payload.model_dump(exclude_unset=True))
    return Status(201, _fresh(request, deal.pk, response))


@router.get("/deals/{int:deal_id}", response=DealOut)
def read_deal(request: HttpRequest, deal_id: int, response: HttpResponse):
    return _fresh(request, deal_id, response)


@router.patch("/deals/{int:deal_id}", response=DealOut)
def update_deal(request: HttpRequest, deal_id: int, payload: DealPatch, response: HttpResponse):
    """Change the fields sent. Send `If-Match: "<version>"` to get a 409 instead of
    overwriting someone else's newer change."""
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version", None)
    services.update_deal(
        request.user,
        queries.get_deal(request.user, deal_id),
        data=data,
        expected_version=_expected_version(request, version),
    )
    return _fresh(request, deal_id, response)


@router.delete("/deals/{int:deal_id}", response={204: None})
def delete_deal(request: HttpRequest, deal_id: int):
    services.delete_deal(
        request.user,
        queries.get_deal(request.user, deal_id),
        expected_version=_expected_version(request, None),
    )
    return Status(204, None)


@router.post("/deals/{int:deal_id}/move", response=DealOut)
def move_deal(request: HttpRequest, deal_id: int, payload: MoveIn, response: HttpResponse):
    """Move the deal to another stage of its pipeline (a won or lost stage closes it, with the
    reason). With `If-Match`, a deal changed meanwhile answers 409."""
    services.move_deal(
        request.user,
        queries.get_deal(request.user, deal_id),
        stage=payload.stage,
        reason=payload.reason,
        expected_version=_expected_version(request, payload.version),
    )
    return _fresh(request, deal_id, response)


@router.get("/contacts/{int:contact_id}/deals", response=list[DealOut])
def contact_deals(request: HttpRequest, contact_id: int):
    """The deals the contact is in that the caller sees, open ones first."""
    get_contact(request.user, contact_id)
    return [deal_json(d) for d in queries.deals_of_contact(request.user, contact_id)]


# --------------------------------------------------------------------------------------------
# Reports


@router.get("/reports/pipeline", response=ReportOut, tags=["reports"])
def pipeline_report(request: HttpRequest, filters: Query[ReportQuery]):
    """The sales reports of one pipeline (default the first) over the deals the caller sees:
    open deals by stage, forecast by expected close month, conversion, win rates per owner and
    source, days in each stage and won value per month, from `from` to `to` (inclusive)."""
    services.install_defaults()
    pipeline, currency, start, end = filters.pipeline, filters.currency, filters.start, filters.end
    chosen = queries.get_pipeline(pipeline) if pipeline else queries.active_pipelines().first()
    if chosen is None:
        raise InvalidInput("pipeline", _("No such pipeline."))
    today = timezone.localdate()
    start = start or (today - dt.timedelta(days=365)).replace(day=1)
    end = end or today + dt.timedelta(days=183)
    if end < start:
        raise InvalidInput("to", _("The end comes before the start."))
    currencies = queries.currencies(request.user, chosen)
    currency = currency.upper() or (currencies[0] if currencies else "EUR")
    report = queries.pipeline_report(request.user, chosen, start=start, end=end, currency=currency)
    return {
        "pipeline": chosen.pk,
        "currency": report.currency,
        "from": report.start,
        "to": report.end,
        "by_stage": [
            {"stage": s, "deals": n, "value": _money(v), "weighted": _money(w)}
            for s, n, v, w in report.by_stage
        ],
        "forecast": [
            {"month": m.isoformat()[:7], "deals": n, "value": _money(v), "weighted": _money(w)}
            for m, n, v, w in report.forecast
        ],
        "conversion": [
            {"stage": s, "reached": n, "share": str(p) if p is not None else None}
            for s, n, p in report.conversion
        ],
        "by_owner": [_rate_row("owner", row) for row in report.by_owner],
        "by_source": [_rate_row("source", row) for row in report.by_source],
        "days_in_stage": [
            {"stage": s, "moves_out": n, "average_days": str(d) if d is not None else None}
            for s, n, d in report.days_in_stage
        ],
        "won_by_month": [
            {"month": m.isoformat()[:7], "deals": n, "value": _money(v)}
            for m, n, v in report.won_by_month
        ],
    }


def _rate_row(key: str, row: tuple) -> dict:
    label, won, lost, rate, value = row
    return {key: label, "won": won, "lost": lost, "win_rate": str(rate), "won_value": _money(value)}


def _money(value) -> str:
    return f"{value:.2f}"
