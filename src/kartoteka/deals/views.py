"""Pages and fragments of deals: the board, the list, a deal, the pipelines admin page, the
contact card's Deals section and tab."""

import datetime as dt
import io
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from kartoteka.accounts.queries import active_users
from kartoteka.activity.uploads import too_large_form, upload_page
from kartoteka.contacts.models import PropertyType
from kartoteka.contacts.queries import get_contact
from kartoteka.core import display
from kartoteka.core.errors import InvalidInput, NotFound
from kartoteka.core.scope import is_admin
from kartoteka.deals import imports, queries, services
from kartoteka.deals.models import StageKind
from kartoteka.web.charts import HorizontalBar, horizontal_bar_chart
from kartoteka.web.forms import ServiceForm, many, text, ticked
from kartoteka.web.pages import admin_page, settings_page
from kartoteka.web.registry import SummaryFigure, card_url

LIST_PAGE = 50
SORTS = {
    "name": "name",
    "amount": "amount",
    "close": "expected_close_date",
    "stage": "stage__position",
    "owner": "owner__username",
    "updated": "updated_at",
}


def _int(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) < 12 else None


class IdField(forms.Field):
    """An id as typed: a whole number is an int, blank is None, anything else goes to the
    service as it is (which answers "no such stage", "no such type"...)."""

    def __init__(self, **options) -> None:
        super().__init__(required=False, **options)

    def to_python(self, value):
        number = _int(value if isinstance(value, str) else None)
        if number is not None:
            return number
        return str(value).strip() or None if value is not None else None


def version_field() -> forms.IntegerField:
    """The version the page showed; a missing one skips the check (an old page), a garbled
    one is refused."""
    return forms.IntegerField(
        required=False,
        min_value=0,
        error_messages={
            "invalid": gettext_lazy("Reload the page and try again."),
            "min_value": gettext_lazy("Reload the page and try again."),
        },
    )


def _next_of(form: ServiceForm, default: str) -> str:
    """Where a plain form goes back to: a path on this site, else `default`."""
    target = form.cleaned_data.get("next", "") if hasattr(form, "cleaned_data") else ""
    target = target or str(form.data.get("next", ""))
    return target if target.startswith("/") and not target.startswith("//") else default


class MoveForm(ServiceForm):
    stage = IdField()
    reason = text()
    version = version_field()
    next = text()


class BulkForm(ServiceForm):
    ids = many()
    action = text()
    value = text()
    next = text()


class NoteForm(ServiceForm):
    body = text()


class DeleteForm(ServiceForm):
    version = version_field()


class DealForm(ServiceForm):
    """A deal's fields as the new-deal and deal pages post them; custom fields are posted as
    p_<key> and reach the service as `properties`."""

    name = text()
    amount = text()
    currency = text()
    owner = text()
    type = IdField()
    expected_close_date = text()
    contacts = many()
    pipeline = IdField()
    stage = IdField()
    version = version_field()
    next = text()
    # Posted by a form that shows the custom fields: each of them is sent (an emptied input
    # or a multi-choice with nothing picked clears the value).
    fields_present = ticked()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.deal_fields = list(queries.deal_fields())
        for field in self.deal_fields:
            multi = field.type == PropertyType.MULTI_CHOICE
            self.fields[f"p_{field.key}"] = many() if multi else text()

    def field_rows(self, deal=None) -> list[dict]:
        """Each custom field's input (contacts' typed detail input): what was posted, or the
        deal's stored value."""
        errors = self.field_errors() if self.is_bound else {}
        rows = []
        for field in self.deal_fields:
            name = f"p_{field.key}"
            if self.is_bound:
                values = self.data.getlist(name) if hasattr(self.data, "getlist") else []
                value = self.data.get(name, "")
            else:
                stored = deal.properties.get(field.key) if deal is not None else None
                values = stored if isinstance(stored, list) else []
                if isinstance(stored, bool):
                    value = "true" if stored else "false"
                else:
                    value = "" if stored is None or isinstance(stored, list) else str(stored)
            rows.append(
                {
                    "definition": field,
                    "name": name,
                    "value": value,
                    "values": values,
                    "errors": errors.get(name, []),
                }
            )
        return rows

    def where(self) -> dict[str, str]:
        """Service keys of custom fields to this form's."""
        return {f"properties.{f.key}": f"p_{f.key}" for f in self.deal_fields}

    def deal_data(self, *, creating: bool) -> dict:
        """The create_deal / update_deal payload."""
        data = self.cleaned_data
        values = {
            "name": data["name"],
            "amount": data["amount"] or "0",
            "currency": data["currency"],
            "owner": data["owner"],
            "type": data["type"],
            "expected_close_date": data["expected_close_date"] or None,
        }
        if not creating:  # an edit changes what the page posted
            values = {name: value for name, value in values.items() if name in self.data}
        contacts = [c for c in (_int(v) for v in data["contacts"] or []) if c is not None]
        if contacts or creating:
            values["contacts"] = contacts
            values["primary_contact"] = contacts[0] if contacts else None
        properties = {
            f.key: data[f"p_{f.key}"]
            for f in self.deal_fields
            if data["fields_present"] or f"p_{f.key}" in self.data
        }
        if properties:
            values["properties"] = properties
        if creating:
            values["pipeline"] = data["pipeline"]
            values["stage"] = data["stage"]
        return values


class PipelineForm(ServiceForm):
    """The pipelines page: a pipeline with its stage rows (s<i>_id, _name, _probability,
    _kind, _position, _retire), a retirement, or a new deal type."""

    action = text()
    pipeline = IdField()
    name = text()
    type_name = text()
    rows = IdField()

    def stages(self) -> list[dict]:
        """The stage rows in the order of their position fields; rows marked "retire" and
        empty new rows are left out."""
        post = self.data
        count = self.cleaned_data["rows"]
        rows = []
        for index in range(min(count, 200) if isinstance(count, int) else 0):
            prefix = f"s{index}_"
            stage_id = _int(post.get(prefix + "id"))
            name = str(post.get(prefix + "name", "")).strip()
            if post.get(prefix + "retire") or (stage_id is None and not name):
                continue
            probability = _int(post.get(prefix + "probability"))
            rows.append(
                (
                    _int(post.get(prefix + "position")) or 0,
                    index,
                    {
                        "id": stage_id,
                        "name": name,
                        "probability": probability if probability is not None else -1,
                        "kind": post.get(prefix + "kind", StageKind.OPEN),
                    },
                )
            )
        return [row for _p, _i, row in sorted(rows, key=lambda r: (r[0], r[1]))]


def _month(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(f"{value}-01") if value else None
    except ValueError:
        return None


def _filters(request: HttpRequest, **fixed) -> queries.DealFilters:
    status = request.GET.get("status", "")
    values = {
        "pipeline": _int(request.GET.get("pipeline")),
        "stage": _int(request.GET.get("stage")),
        "owner": request.GET.get("owner", "")[:150],
        "status": status if status in StageKind.values else "",
        "type": _int(request.GET.get("type")),
        "close_month": _month(request.GET.get("close_month")),
        "search": request.GET.get("q", "")[:200],
        "contact": _int(request.GET.get("contact")),
    }
    values.update(fixed)
    return queries.DealFilters(**values)


def contact_or_404(request: HttpRequest, contact_id: int):
    try:
        return get_contact(request.user, contact_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _deal_or_404(request: HttpRequest, deal_id: int):
    try:
        return queries.get_deal(request.user, deal_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _pipeline_or_404(pipeline_id: int | None):
    services.install_defaults()  # the first visit of a new install
    if pipeline_id is None:
        pipeline = queries.active_pipelines().first()
        if pipeline is None:
            raise Http404(_("No such pipeline."))
        return pipeline
    try:
        return queries.get_pipeline(pipeline_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _filter_context(request: HttpRequest) -> dict:
    return {
        "team": active_users(),
        "types": queries.deal_types(),
        "chosen": request.GET,
    }


# --------------------------------------------------------------------------------------------
# The board


@login_required
def board(request: HttpRequest, pipeline_id: int | None = None) -> HttpResponse:
    pipeline = _pipeline_or_404(pipeline_id)
    filters = _filters(request, pipeline=None, stage=None, status="")
    columns = queries.board(request.user, pipeline, filters)
    here = request.get_full_path()
    return render(
        request,
        "deals/board.html",
        {
            "pipeline": pipeline,
            "pipelines": queries.active_pipelines(),
            "columns": [(c, _move_fields(request, c.targets, here)) for c in columns],
            "query": request.GET.urlencode(),
            # Each card links to deals_path + id (and + "move/"): one reverse for the page,
            # not two per card.
            "deals_path": reverse("deals:board"),
            **_filter_context(request),
        },
    )


def _move_fields(request: HttpRequest, targets: list[tuple[int, str]], here: str) -> str:
    """What every card of a column has in its Move to… form (the stages it may go to, the
    page to come back to, the CSRF token), rendered once for the column rather than once per
    card. Without the request: the page's context processors are not run again for it."""
    return render_to_string(
        "deals/_move_fields.html",
        {"targets": targets, "here": here, "csrf_token": get_token(request)},
    )


@login_required
def column_more(request: HttpRequest, pipeline_id: int, stage_id: int) -> HttpResponse:
    """The next cards of a column, appended when the column scrolls to its end."""
    pipeline = _pipeline_or_404(pipeline_id)
    stage = next((s for s in pipeline.stages.all() if s.pk == stage_id), None)
    if stage is None:
        raise Http404(_("No such stage in this pipeline."))
    deals = queries.filter_deals(
        request.user, _filters(request, pipeline=pipeline.pk, stage=None, status="")
    )
    cards, next_after = queries.column_page(
        request.user, deals, stage, after_id=_int(request.GET.get("after"))
    )
    query = request.GET.copy()
    query.pop("after", None)
    # A card's move without script comes back to the board, not to this fragment.
    here = reverse("deals:board-pipeline", args=[pipeline.pk]) + (
        f"?{query.urlencode()}" if query else ""
    )
    targets = queries.move_targets(list(pipeline.stages.all()), stage)
    return render(
        request,
        "deals/_cards.html",
        {
            "pipeline": pipeline,
            "column": {"stage": stage, "deals": cards, "next_after": next_after},
            "move_fields": _move_fields(request, targets, here),
            "query": query.urlencode(),
            "deals_path": reverse("deals:board"),
        },
    )


def _problem(message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


@login_required
@require_POST
def move(request: HttpRequest, deal_id: int) -> HttpResponse:
    """A move from the board, the list, the deal page or the card: the stage and the version
    the page showed. The board's script gets JSON; a plain form goes back where it came from."""
    deal = _deal_or_404(request, deal_id)
    was = deal.stage_id
    wants_json = "application/json" in request.headers.get("Accept", "")
    form = MoveForm(request.POST)
    moved = form.submit(
        lambda data: services.move_deal(
            request.user,
            deal,
            stage=data["stage"],
            reason=data["reason"],
            expected_version=data["version"],
        )
    )
    if wants_json:
        if not form.ok:
            return _problem(" ".join(form.all_errors()), form.status)
        return JsonResponse(
            {
                "version": moved.version,
                "stage": moved.stage_id,
                "columns": _stats(request, moved, {was, moved.stage_id}),
            }
        )
    form.flash(request)
    return redirect(_next_of(form, reverse("deals:deal", args=[deal.pk])))


def _stats(request: HttpRequest, deal, stages: set[int]) -> dict:
    """The count and totals of the columns a move changed (the stage it left and the one it
    entered), as the board shows them; the other columns keep theirs."""
    filters = _filters(request, pipeline=None, stage=None, status="")
    columns = queries.board(request.user, deal.pipeline, filters, cards=False, only=stages)
    return {
        str(c.stage.pk): {
            "count": c.count,
            "totals": [
                {"currency": a.currency, "total": str(a.total), "weighted": str(a.weighted)}
                for a in c.totals
            ],
            "stats": render_to_string("deals/_column_stats.html", {"column": c}, request),
        }
        for c in columns
    }


# --------------------------------------------------------------------------------------------
# The list


def _sorted(request: HttpRequest, deals):
    key = request.GET.get("sort", "-updated")
    descending = key.startswith("-")
    field = SORTS.get(key.lstrip("-"), "updated_at")
    return deals.order_by(f"-{field}" if descending else field, "-pk"), key.lstrip("-"), descending


@login_required
def deal_list(request: HttpRequest) -> HttpResponse:
    deals = queries.filter_deals(request.user, _filters(request))
    ordered, sort_key, descending = _sorted(request, deals)
    page = Paginator(ordered.values_list("pk", flat=True), LIST_PAGE).get_page(
        request.GET.get("page")
    )
    rows = {d.pk: d for d in queries.with_card_data(request.user, deals.filter(pk__in=list(page)))}
    query = request.GET.copy()
    query.pop("page", None)
    without_sort = query.copy()
    without_sort.pop("sort", None)
    return render(
        request,
        "deals/list.html",
        {
            "page": page,
            "deals": [rows[pk] for pk in page if pk in rows],
            "sort_key": sort_key,
            "descending": descending,
            "query": query.urlencode(),
            "query_without_sort": without_sort.urlencode(),
            "pipelines": queries.active_pipelines(),
            "statuses": StageKind.choices,
            "columns": [
                ("name", _("Name")),
                ("amount", _("Amount")),
                ("close", _("Expected close")),
                ("stage", _("Stage")),
                ("owner", _("Owner")),
                ("updated", _("Updated")),
            ],
            **_filter_context(request),
        },
    )


@login_required
@require_POST
def bulk(request: HttpRequest) -> HttpResponse:
    """Move, re-assign or delete the chosen deals (only those the user sees)."""
    form = BulkForm(request.POST)

    @transaction.atomic  # all of the chosen deals or none
    def run(data: dict) -> None:
        ids = [i for i in (_int(v) for v in data["ids"] or []) if i is not None]
        chosen = list(
            queries.with_card_data(request.user, queries.visible_deals(request.user)).filter(
                pk__in=ids
            )
        )
        action, value = data["action"], data["value"].strip()
        if not chosen:
            raise InvalidInput("ids", _("Choose at least one deal."))
        if action == "move":
            moved = services.move_deals(request.user, chosen, stage=_int(value))
            messages.success(
                request,
                ngettext("%(count)s deal moved.", "%(count)s deals moved.", moved)
                % {"count": moved},
            )
        elif action == "owner":
            for deal in chosen:
                services.update_deal(request.user, deal, data={"owner": value})
            messages.success(
                request,
                ngettext("%(count)s deal re-assigned.", "%(count)s deals re-assigned.", len(chosen))
                % {"count": len(chosen)},
            )
        elif action == "delete":
            for deal in chosen:
                services.delete_deal(request.user, deal)
            messages.success(
                request,
                ngettext("%(count)s deal deleted.", "%(count)s deals deleted.", len(chosen))
                % {"count": len(chosen)},
            )
        else:
            raise InvalidInput("action", _("Choose an action."))

    form.submit(run)
    form.flash(request)
    return redirect(_next_of(form, reverse("deals:list")))


EXPORT_HEADERS = (
    "id",
    "name",
    "amount",
    "currency",
    "pipeline",
    "stage",
    "status",
    "owner",
    "type",
    "expected_close_date",
    "primary_contact",
    "created_at",
)


@login_required
def export(request: HttpRequest) -> HttpResponse:
    """The list's deals (its filters, the user's scope) as an XLSX workbook; pipelines, stages,
    statuses and types by their names in the user's language."""
    from openpyxl import Workbook

    deals = queries.filter_deals(request.user, _filters(request))
    ordered, _key, _descending = _sorted(request, deals)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Deals"))
    sheet.append([str(h) for h in EXPORT_HEADERS])
    for deal in queries.with_card_data(request.user, ordered).iterator(chunk_size=2000):
        contact = queries.primary_contact(deal)
        sheet.append(
            [
                deal.pk,
                deal.name,
                deal.amount,
                deal.currency,
                deal.pipeline.label,
                deal.stage.label,
                deal.get_status_display(),
                deal.owner.username if deal.owner else "",
                deal.type.label if deal.type else "",
                deal.expected_close_date,
                str(contact) if contact else "",
                display.export_value(deal.created_at, spreadsheet=True),
            ]
        )
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(
        out.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = 'attachment; filename="deals.xlsx"'
    return response


# --------------------------------------------------------------------------------------------
# A deal


def _initial(deal=None, user=None) -> dict:
    """What the deal form shows before it is sent: the deal's values, or a new deal's."""
    if deal is None:
        return {
            "name": "",
            "amount": "",
            "currency": "EUR",
            "owner": getattr(user, "username", ""),
            "type": "",
            "expected_close_date": "",
        }
    return {
        "name": deal.name,
        "amount": str(deal.amount),
        "currency": deal.currency,
        "owner": deal.owner.username if deal.owner else "",
        "type": str(deal.type_id or ""),
        "expected_close_date": deal.expected_close_date.isoformat()
        if deal.expected_close_date
        else "",
    }


@login_required
def deal_new(request: HttpRequest) -> HttpResponse:
    """The "+ Add deal" form, pre-filled with a contact (from the card) and a stage."""
    form = DealForm(request.POST if request.method == "POST" else None)
    contact = None
    contact_id = _int(request.GET.get("contact") or form.data.get("contacts"))
    if contact_id is not None:
        contact = contact_or_404(request, contact_id)
    if form.is_bound:
        deal = form.submit(
            lambda _data: services.create_deal(request.user, data=form.deal_data(creating=True)),
            where=form.where(),
        )
        if form.ok:
            messages.success(request, _("Deal created."))
            return redirect(_next_of(form, reverse("deals:deal", args=[deal.pk])))
    services.install_defaults()
    pipelines = list(queries.active_pipelines())
    return render(
        request,
        "deals/deal_new.html",
        {
            "contact": contact,
            "pipelines": pipelines,
            "team": active_users(),
            "types": queries.deal_types(),
            "fields": form.field_rows(),
            "errors": form.field_errors(),
            "values": form.data if form.is_bound else _initial(user=request.user),
            "chosen_stage": _int(request.GET.get("stage")),
            "next": request.GET.get("next", "") or form.data.get("next", ""),
        },
        status=form.status,
    )


@login_required
def deal_page(request: HttpRequest, deal_id: int) -> HttpResponse:
    deal = _deal_or_404(request, deal_id)
    form = DealForm(request.POST if request.method == "POST" else None)
    if form.is_bound:
        form.submit(
            lambda data: services.update_deal(
                request.user,
                deal,
                data=form.deal_data(creating=False),
                expected_version=data["version"],
            ),
            # A stale version is the whole form's: the page shows it above the fields.
            where={"version": "__all__", **form.where()},
        )
        if form.ok:
            messages.success(request, _("Deal saved."))
            return redirect("deals:deal", deal_id=deal.pk)
    errors = form.field_errors()
    moves = queries.history(deal)
    return render(
        request,
        "deals/deal.html",
        {
            "deal": deal,
            "stages": [s for s in deal.pipeline.stages.all() if s.retired_at is None],
            "moves": moves,
            "notes": queries.notes(deal),
            "work": queries.deal_work(request.user, deal),
            "team": active_users(),
            "types": queries.deal_types(),
            "fields": form.field_rows(None if errors else deal),
            "errors": errors,
            "values": form.data if errors else _initial(deal),
        },
        status=form.status,
    )


@login_required
@require_POST
def deal_note(request: HttpRequest, deal_id: int) -> HttpResponse:
    deal = _deal_or_404(request, deal_id)
    form = NoteForm(request.POST)
    form.submit(lambda data: services.add_deal_note(request.user, deal, body=data["body"]))
    form.flash(request)
    return redirect("deals:deal", deal_id=deal.pk)


@login_required
@require_POST
def deal_delete(request: HttpRequest, deal_id: int) -> HttpResponse:
    deal = _deal_or_404(request, deal_id)
    form = DeleteForm(request.POST)
    form.submit(
        lambda data: services.delete_deal(request.user, deal, expected_version=data["version"])
    )
    if not form.ok:
        form.flash(request)
        return redirect("deals:deal", deal_id=deal.pk)
    messages.success(request, _("Deal deleted."))
    return redirect("deals:board-pipeline", pipeline_id=deal.pipeline_id)


# --------------------------------------------------------------------------------------------
# Pipelines (admins)


@login_required
def pipelines(request: HttpRequest) -> HttpResponse:
    if not is_admin(request.user):
        raise Http404(_("Only admins may manage pipelines."))
    services.install_defaults()
    form = PipelineForm(request.POST if request.method == "POST" else None)
    editing = None
    if form.is_bound:
        editing = form.cleaned_data["pipeline"] if form.is_valid() else None

        def pipeline() -> object:
            if not isinstance(editing, int):
                raise NotFound(_("No such pipeline."))
            return queries.get_pipeline(editing)

        def save(data: dict) -> str:
            if data["action"] == "retire":
                services.retire_pipeline(request.user, pipeline())
                return _("Pipeline retired.")
            if data["action"] == "add_type":
                services.add_deal_type(request.user, name=data["type_name"])
                return _("Deal type added.")
            if editing:
                services.update_pipeline(
                    request.user, pipeline(), name=data["name"], stages=form.stages()
                )
                return _("Pipeline saved.")
            services.create_pipeline(request.user, name=data["name"], stages=form.stages())
            return _("Pipeline created.")

        done = form.submit(save, not_found="__all__")
        if form.ok:
            messages.success(request, done)
            return redirect("deals:pipelines")
    errors = form.field_errors()
    return render(
        request,
        "deals/pipelines.html",
        {
            "pipelines": queries.active_pipelines(),
            "kinds": StageKind.choices,
            "types": queries.deal_types(),
            "errors": errors,
            "editing": editing,
            "new_rows": range(3),
            "section": "pipelines",
        },
        status=form.status,
    )


# --------------------------------------------------------------------------------------------
# The contact card


def open_deals_summary(request: HttpRequest, contact) -> SummaryFigure | None:
    """The card summary's open deals: how many, and their value per currency."""
    rows = queries.open_deals_of_contact(request.user, contact.pk)
    if not rows:
        return None
    return SummaryFigure(
        label=_("Open deals"),
        value=sum(row["deals"] for row in rows),
        detail=" + ".join(display.money(row["amount"], row["currency"]) for row in rows),
    )


def card_section_data(request: HttpRequest, contact) -> dict:
    """The card's Deals section: the contact's deals the user sees, each with a move menu
    that comes back to the card."""
    return {
        "deals": queries.deals_of_contact(request.user, contact.pk),
        "next_url": card_url(contact.pk),
    }


@login_required
def contact_deals(request: HttpRequest, contact_id: int) -> HttpResponse:
    """The card's "Sales and funnels" tab."""
    contact = contact_or_404(request, contact_id)
    return render(
        request,
        "deals/contact_deals.html",
        {
            "contact": contact,
            **card_section_data(request, contact),
            "next_url": request.get_full_path(),
        },
    )


# --------------------------------------------------------------------------------------------
# Sales reports


def _report(request: HttpRequest) -> tuple[queries.Report, list[str]]:
    pipeline = _pipeline_or_404(_int(request.GET.get("pipeline")))
    today = timezone.localdate()
    start = _day(request.GET.get("from")) or (today - dt.timedelta(days=365)).replace(day=1)
    end = _day(request.GET.get("to")) or (today + dt.timedelta(days=183))
    if end < start:
        start, end = end, start
    currencies = queries.currencies(request.user, pipeline)
    currency = request.GET.get("currency", "").upper()
    if currency not in currencies:
        currency = currencies[0] if currencies else "EUR"
    report = queries.pipeline_report(
        request.user, pipeline, start=start, end=end, currency=currency
    )
    return report, currencies


def _day(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _month_label(month: dt.date) -> str:
    return date_format(month, "YEAR_MONTH_FORMAT")


@login_required
def report_page(request: HttpRequest) -> HttpResponse:
    """Deals by stage, forecast, conversion, win rates, days in stage and won value, each as a
    chart drawn here and a table beside it; a sales user's cover their own deals."""
    report, currencies = _report(request)
    charts = {
        "by_stage": horizontal_bar_chart(
            _("Open deals by stage"),
            [
                HorizontalBar(label, value, weighted)
                for label, _n, value, weighted in report.by_stage
            ],
        ),
        "forecast": horizontal_bar_chart(
            _("Forecast by expected close month"),
            [
                HorizontalBar(_month_label(month), value, weighted)
                for month, _n, value, weighted in report.forecast
            ],
        ),
        "conversion": horizontal_bar_chart(
            _("Conversion between stages"),
            [HorizontalBar(label, count) for label, count, _share in report.conversion],
        ),
        "by_owner": horizontal_bar_chart(
            _("Win rate per owner"),
            [HorizontalBar(row[0], row[3]) for row in report.by_owner],
        ),
        "by_source": horizontal_bar_chart(
            _("Win rate per source"),
            [HorizontalBar(row[0], row[3]) for row in report.by_source],
        ),
        "days": horizontal_bar_chart(
            _("Average days in each stage"),
            [HorizontalBar(label, days or Decimal(0)) for label, _n, days in report.days_in_stage],
        ),
        "won": horizontal_bar_chart(
            _("Won value per month"),
            [HorizontalBar(_month_label(month), value) for month, _n, value in report.won_by_month],
        ),
    }
    return render(
        request,
        "deals/reports.html",
        {
            "report": report,
            "currencies": currencies,
            "charts": charts,
            "pipelines": queries.active_pipelines(),
            "query": request.GET.urlencode(),
        },
    )


@login_required
def report_export(request: HttpRequest) -> HttpResponse:
    """The report's tables as one XLSX workbook, a sheet per table."""
    from openpyxl import Workbook

    report, _currencies = _report(request)
    book = Workbook(write_only=True)
    sheets = [
        (_("By stage"), [_("Stage"), _("Deals"), _("Value"), _("Weighted")], report.by_stage),
        (_("Forecast"), [_("Month"), _("Deals"), _("Value"), _("Weighted")], report.forecast),
        (
            _("Conversion"),
            [_("Stage"), _("Reached"), _("Share of the stage before")],
            report.conversion,
        ),
        (
            _("Owners"),
            [_("Owner"), _("Won"), _("Lost"), _("Win rate"), _("Won value")],
            report.by_owner,
        ),
        (
            _("Sources"),
            [_("Source"), _("Won"), _("Lost"), _("Win rate"), _("Won value")],
            report.by_source,
        ),
        (_("Days in stage"), [_("Stage"), _("Moves out"), _("Average days")], report.days_in_stage),
        (_("Won per month"), [_("Month"), _("Won deals"), _("Won value")], report.won_by_month),
    ]
    for title, header, rows in sheets:
        sheet = book.create_sheet(str(title)[:31])
        sheet.append([str(h) for h in header])
        for row in rows:
            sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(
        out.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = 'attachment; filename="sales-report.xlsx"'
    return response


# --------------------------------------------------------------------------------------------
# Deal fields (admins)


class DealFieldsForm(ServiceForm):
    """The deal fields page: a new field ("create"), or one field's change by its id."""

    action = text()
    id = IdField()
    key = text()
    label = text()
    type = text()
    choices = text()


def _choices(value: str) -> list[str]:
    return [c.strip() for c in value.replace("\n", ",").split(",") if c.strip()]


def _change_deal_field(request: HttpRequest, form: DealFieldsForm, data: dict) -> str:
    """Do what the page asked; what to tell the admin ("" for a move)."""
    action = data["action"]
    if action == "create":
        services.add_deal_field(
            request.user,
            key=data["key"],
            label=data["label"],
            type=data["type"],
            choices=_choices(data["choices"]),
        )
        return _("The deal field was created.")
    field = queries.deal_field(data["id"])
    if action == "update":
        services.update_deal_field(
            request.user,
            field,
            label=data["label"] if "label" in form.data else None,
            choices=_choices(data["choices"]) if "choices" in form.data else None,
        )
        return _("The deal field was saved.")
    if action in ("up", "down"):
        services.move_deal_field(request.user, field, step=-1 if action == "up" else 1)
        return ""
    if action == "delete":
        services.delete_deal_field(request.user, field)
        return _("The deal field was deleted.")
    raise InvalidInput("action", _("Choose an action."))


@admin_page
def deal_fields(request: HttpRequest) -> HttpResponse:
    """Typed custom fields of deals (the same types as contacts' custom details): define,
    rename, change choices, re-order, delete."""
    form = DealFieldsForm(request.POST if request.method == "POST" else None)
    if form.is_bound:
        done = form.submit(lambda data: _change_deal_field(request, form, data), not_found="id")
        if form.ok:
            if done:
                messages.success(request, done)
            return redirect("deals:fields")
    return settings_page(
        request,
        "deals/fields.html",
        "deal-fields",
        {
            "fields": list(queries.deal_fields()),
            "types": PropertyType.choices,
            "list_types": (PropertyType.DICTIONARY, PropertyType.MULTI_CHOICE),
        },
        form,
    )


# --------------------------------------------------------------------------------------------
# Comments, tasks and files on a deal


class CommentForm(ServiceForm):
    body = text()


class DealTaskForm(ServiceForm):
    title = text()
    due_at = text()
    assignees = many()

    def task_data(self) -> dict:
        data = {"title": self.cleaned_data["title"]}
        raw = self.cleaned_data["due_at"].strip()
        if raw:
            data["due_at"] = parse_datetime(raw) or raw
        assignees = [name for name in self.cleaned_data["assignees"] or [] if name]
        if assignees:  # none chosen: the task is the author's own
            data["assignees"] = assignees
        return data


class DealFileForm(ServiceForm):
    # An empty file is the service's to judge, like any other.
    file = forms.FileField(
        allow_empty_file=True, error_messages={"required": gettext_lazy("Choose a file.")}
    )


def _back_to_deal(request: HttpRequest, deal, form: ServiceForm, done: str) -> HttpResponse:
    if form.ok:
        messages.success(request, done)
    else:
        form.flash(request)
    return redirect(reverse("deals:deal", args=[deal.pk]) + "#work")


@login_required
@require_POST
def deal_comment(request: HttpRequest, deal_id: int) -> HttpResponse:
    deal = _deal_or_404(request, deal_id)
    form = CommentForm(request.POST)
    comment = form.submit(
        lambda data: services.add_deal_comment(request.user, deal, body=data["body"])
    )
    if comment is not None and comment.unreachable_mentions:
        messages.warning(
            request,
            _("Not notified, as they cannot see this contact: %(names)s")
            % {"names": ", ".join(comment.unreachable_mentions)},
        )
    return _back_to_deal(request, deal, form, _("Comment added."))


@login_required
@require_POST
def deal_task(request: HttpRequest, deal_id: int) -> HttpResponse:
    deal = _deal_or_404(request, deal_id)
    form = DealTaskForm(request.POST)
    form.submit(lambda _data: services.add_deal_task(request.user, deal, data=form.task_data()))
    return _back_to_deal(request, deal, form, _("Task created."))


@upload_page
@require_POST
def deal_file(request: HttpRequest, deal_id: int) -> HttpResponse:
    deal = _deal_or_404(request, deal_id)
    form = DealFileForm(request.POST, request.FILES)
    if request.upload_too_large:
        return _back_to_deal(request, deal, too_large_form(), "")
    form.submit(lambda data: services.upload_deal_file(request.user, deal, upload=data["file"]))
    return _back_to_deal(request, deal, form, _("File uploaded."))


# --------------------------------------------------------------------------------------------
# Deals → Import: the CLI's import (deals.imports) with an upload, a mapping and a dry run


class DealImportUpload(ServiceForm):
    file = forms.FileField(
        allow_empty_file=True,  # the import says what is wrong with an empty file
        error_messages={"required": gettext_lazy("Choose a CSV or Excel (.xlsx) file.")},
    )


# What the file's reading refuses is shown at the file.
FILE_ERRORS = {"encoding": "file"}


class DealImportRun(ServiceForm):
    token = text()
    file_name = text()
    action = text()
    strict = ticked()


@upload_page
def deal_import(request: HttpRequest) -> HttpResponse:
    """Upload a file, map its columns (guessed from the headers), try it, import it."""
    page = {"targets": imports.target_labels(), "errors": {}}
    if request.method != "POST":
        return render(request, "deals/import.html", page)
    if "token" not in request.POST:  # the upload step
        form = DealImportUpload(request.POST, request.FILES)
        if request.upload_too_large:
            form = too_large_form()
        else:
            kept = form.submit(
                lambda data: imports.keep_file(data["file"], file_name=data["file"].name),
                where=FILE_ERRORS,
            )
        if not form.ok:
            page["errors"] = form.field_errors()
            return render(request, "deals/import.html", page, status=form.status)
        token, columns = kept
        page.update(
            token=token,
            file_name=request.FILES["file"].name,
            columns=_mapped_columns(columns, columns.suggested),
        )
        return render(request, "deals/import.html", page)
    form = DealImportRun(request.POST)
    columns = form.submit(
        lambda data: imports.columns(data["token"], file_name=data["file_name"]),
        where=FILE_ERRORS,
    )
    if columns is None:  # the file is gone: back to the upload
        page["errors"] = form.field_errors()
        return render(request, "deals/import.html", page, status=form.status)
    chosen = {
        index: request.POST.get(f"column_{index}", "") for index in range(len(columns.headers))
    }
    dry_run = form.cleaned_data["action"] != "import"
    result = form.submit(
        lambda data: imports.import_deals(
            request.user,
            imports.kept_file(data["token"]),
            file_name=data["file_name"],
            pairs=[f"{index + 1}={target or 'ignore'}" for index, target in chosen.items()],
            strict=data["strict"],
            dry_run=dry_run,
        ),
        where=FILE_ERRORS,
    )
    if result is not None and not dry_run:
        imports.forget_file(form.cleaned_data["token"])
    page.update(
        errors=form.field_errors(),
        result=result,
        dry_run=dry_run,
        strict=form.cleaned_data["strict"],
        **_problems_shown(result, dict(page["targets"])),
    )
    if result is None or dry_run:
        page.update(
            token=form.cleaned_data["token"],
            file_name=form.cleaned_data["file_name"],
            columns=_mapped_columns(columns, chosen),
        )
    return render(request, "deals/import.html", page, status=form.status)


def _mapped_columns(columns, chosen: dict[int, str]) -> list[dict]:
    return [
        {"index": index, "header": header, "samples": columns.samples[index], "target": target}
        for index, header in enumerate(columns.headers)
        for target in [chosen.get(index, "")]
    ]


PROBLEMS_SHOWN = 50  # of each level, as the contacts' import shows them


def _problems_shown(result, labels: dict[str, str]) -> dict:
    """The import's problems as the contacts' import lists them (transfer/_problems.html):
    line, the field's name, the cell's value, the message."""
    if result is None:
        return {}
    column_of = {target: index for index, target in result.mapping.items()}
    shown: dict[str, list] = {"rejected": [], "warnings": []}
    for problem in result.problems:
        found = shown["rejected" if problem.level == "error" else "warnings"]
        if len(found) < PROBLEMS_SHOWN:
            index = column_of.get(problem.column)
            found.append(
                {
                    "row": problem.line,
                    "column": labels.get(problem.column, problem.column),
                    "value": problem.cells[index]
                    if index is not None and index < len(problem.cells)
                    else "",
                    "message": problem.message,
                }
            )
    return shown
