"""Pages and fragments: the card's eCommerce section, the External events and coupons tab, the
Analytics tab (and a segment's), the Products page and the admins' currencies and types."""

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from kartoteka.commerce import kinds, queries, services
from kartoteka.commerce.models import CouponSource, CouponStatus
from kartoteka.contacts.queries import get_contact
from kartoteka.core import display
from kartoteka.core.scope import is_admin
from kartoteka.segments import queries as segments
from kartoteka.web import charts
from kartoteka.web.forms import ServiceForm, text
from kartoteka.web.registry import SummaryFigure


def ecommerce_context(request: HttpRequest, contact) -> dict:
    return {
        "ecommerce": queries.ecommerce(request.user, contact.pk),
        "payments": queries.payments_of(request.user, contact.pk)[:3],
    }


def lifetime_summary(request: HttpRequest, contact) -> SummaryFigure | None:
    """The card summary's lifetime value and number of transactions, once there are any."""
    kept = queries.kept_totals(contact.pk)
    if kept is None or not (kept.transactions or kept.total):
        return None
    return SummaryFigure(
        label=_("Lifetime value"),
        value=display.money(queries.money(kept.total), settings.KARTOTEKA_CURRENCY),
        detail=ngettext("%(count)s transaction", "%(count)s transactions", kept.transactions)
        % {"count": kept.transactions},
    )


def _day(text: str, *, end: bool = False) -> dt.datetime | None:
    day = parse_date(text or "")
    if day is None:
        return None
    if end:
        day += dt.timedelta(days=1)
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


class PagingForm(ServiceForm):
    cursor = text()


def _events_tab(
    request: HttpRequest, contact_id: int, form: ServiceForm | None = None
) -> HttpResponse:
    """The tab; after a refused post, that form's errors at its fields and what was typed."""
    contact = get_contact(request.user, contact_id)
    chosen = request.GET.get("type", "")
    since, until = request.GET.get("from", ""), request.GET.get("to", "")
    events = queries.contact_events(
        request.user,
        contact.pk,
        type_name=chosen,
        since=_day(since),
        until=_day(until, end=True),
    )
    # A cursor that cannot be read starts again at the first page.
    paging = PagingForm(request.GET)
    page, following = paging.submit(
        lambda data: queries.events_page(events, cursor=data["cursor"] or None, limit=50)
    ) or queries.events_page(events, cursor=None, limit=50)
    now = timezone.now()
    coupons = queries.coupons_of(request.user, contact.pk)
    for coupon in coupons:
        coupon.shown_status = queries.coupon_status(coupon, now)
    types = queries.event_types()
    labels = {t["name"]: t["label"] for t in types}
    for event in page:
        event.label = labels.get(event.type, event.type)
        event.converted = queries.money(event.amount) if event.rate is not None else None
    errors = form.field_errors() if form is not None else {}
    if isinstance(form, CouponForm):  # the two forms share names: the coupon's are prefixed
        errors = {(k if k == "general" else f"coupon_{k}"): v for k, v in errors.items()}
    return render(
        request,
        "commerce/contact_events.html",
        {
            "contact": contact,
            "events": page,
            "next_cursor": following,
            "types": types,
            "chosen": chosen,
            "since": since,
            "until": until,
            "coupons": coupons,
            "coupon_statuses": dict(CouponStatus.choices),
            "payments": queries.payments_of(request.user, contact.pk),
            "currency": services.workspace_currency(),
            "errors": errors,
            "form": form.data.dict() if form is not None else {},
            "failed": "coupon" if isinstance(form, CouponForm) else "event" if form else "",
            "now": timezone.localtime(now).strftime("%Y-%m-%dT%H:%M"),
        },
        status=form.status if form is not None else 200,
    )


@login_required
@require_GET
def contact_events(request: HttpRequest, contact_id: int) -> HttpResponse:
    """Card tab: the contact's events with their product lines, payments and coupons."""
    return _events_tab(request, contact_id)


def _lines_from(text: str) -> list[dict]:
    """The product lines of the offline-event form (one "SKU; name; quantity; price" per line)."""
    found = []
    for line_text in text.splitlines():
        if not line_text.strip():
            continue
        parts = [p.strip() for p in line_text.split(";")]
        line: dict[str, Any] = {"sku": parts[0]}
        if len(parts) > 1 and parts[1]:
            line["name"] = parts[1]
        if len(parts) > 2 and parts[2]:
            line["quantity"] = int(parts[2]) if parts[2].isdigit() else parts[2]
        if len(parts) > 3 and parts[3]:
            line["price"] = parts[3].replace(",", ".")
        found.append(line)
    return found


class EventForm(ServiceForm):
    """An offline event as the card's form posts it; the API's check judges every value."""

    type = text()
    occurred_at = text()
    value = text()
    currency = text()
    location = text()
    coupon = text()
    order = text()
    method = text()
    status = text()
    products = text()

    def event(self) -> dict:
        data = self.cleaned_data
        return {
            "type": data["type"],
            "occurred_at": data["occurred_at"],
            "value": data["value"].replace(",", ".") or None,
            "currency": data["currency"] or None,
            "location": data["location"],
            "coupon": data["coupon"],
            "order": data["order"],
            "method": data["method"],
            "status": data["status"] if data["type"] == kinds.PAYMENT else "",
            "products": _lines_from(data["products"]),
        }

    def refuse(self, errors, **options) -> None:
        """A product line's errors show at the products box, saying which line; those of no
        field on the form above it."""
        shown: dict[str, list[str]] = {}
        for key, found in errors.items():
            parts = key.split(".")
            if parts[0] == "products" and len(parts) > 1 and parts[1].isdigit():
                line = int(parts[1]) + 1
                found = [_("Line %(line)s: %(error)s") % {"line": line, "error": m} for m in found]
                key = "products"
            elif key not in self.fields:
                key = "__all__"
            shown.setdefault(key, []).extend(found)
        super().refuse(shown, **options)


@login_required
@require_POST
def record_event(request: HttpRequest, contact_id: int) -> HttpResponse:
    """The card's form for an offline event (a purchase in a shop, a payment by phone)."""
    contact = get_contact(request.user, contact_id)
    form = EventForm(request.POST)
    form.submit(
        lambda _data: services.record_event_by_hand(request.user, contact, data=form.event())
    )
    if not form.ok:
        return _events_tab(request, contact.pk, form)
    messages.success(request, _("The event was recorded."))
    return redirect("commerce:contact-events", contact_id=contact.pk)


class CouponForm(ServiceForm):
    code = text()
    description = text()
    valid_from = text()
    valid_until = text()


@login_required
@require_POST
def add_coupon(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = get_contact(request.user, contact_id)
    form = CouponForm(request.POST)
    form.submit(
        lambda data: services.add_coupon(
            request.user,
            contact,
            data={**data, "valid_from": data["valid_from"] or None,
                  "valid_until": data["valid_until"] or None},
            source=CouponSource.MANUAL,
        )
    )  # fmt: skip
    if not form.ok:
        return _events_tab(request, contact.pk, form)
    messages.success(request, _("The coupon was added."))
    return redirect("commerce:contact-events", contact_id=contact.pk)


# --------------------------------------------------------------------------------------------
# Analytics


def _charts(found: queries.Activity7x24) -> dict:
    hours = [f"{h:02d}" for h in range(24)]
    weekdays = [
        _("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun"),
    ]  # fmt: skip
    entries = _("entries")
    return {
        "total": found.total,
        "by_hour": charts.bar_chart(
            _("Activity by hour of day"),
            [charts.Bar(h, v) for h, v in zip(hours, found.by_hour, strict=True)],
            value_label=entries,
            bar_width=18,
        ),
        "by_weekday": charts.bar_chart(
            _("Activity by day of week"),
            [charts.Bar(d, v) for d, v in zip(weekdays, found.by_weekday, strict=True)],
            value_label=entries,
            bar_width=40,
        ),
        "heatmap": charts.heatmap(
            _("Activity by day of week and hour"),
            weekdays,
            hours,
            found.heatmap,
            value_label=entries,
        ),
    }


def _period(request: HttpRequest) -> tuple[str, int]:
    kind = request.GET.get("kind", "")
    days = request.GET.get("days", "90")
    return kind, int(days) if days.isdigit() and int(days) in queries.PERIODS else 90


@login_required
@require_GET
def contact_analytics(request: HttpRequest, contact_id: int) -> HttpResponse:
    """Card tab: when the contact is active, by hour, weekday and both."""
    kind, days = _period(request)
    tab = queries.analytics_tab(request.user, contact_id, kind=kind, days=days)
    return render(
        request,
        "commerce/contact_analytics.html",
        {
            "contact": tab.contact,
            "kind": kind,
            "days": days,
            "periods": queries.PERIODS,
            "kinds": tab.kinds,
            **_charts(tab.counts),
        },
    )


@login_required
@require_GET
def segment_analytics(request: HttpRequest, segment_id: int) -> HttpResponse:
    """The best hours to reach a segment's contacts."""
    segment = segments.get_segment(request.user, segment_id)
    kind, days = _period(request)
    contacts = segments.filter_contacts(request.user, segment.document)
    found = queries.segment_analytics(request.user, contacts, kind=kind, days=days)
    from kartoteka.activity import timeline

    return render(
        request,
        "commerce/segment_analytics.html",
        {
            "segment": segment,
            "kind": kind,
            "days": days,
            "periods": queries.PERIODS,
            "kinds": sorted(
                ((k.key, str(k.label)) for k in timeline.registered()), key=lambda k: k[1]
            ),
            **_charts(found),
        },
    )


# --------------------------------------------------------------------------------------------
# Products


@login_required
@require_GET
def products(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()[:100]
    return render(
        request,
        "commerce/products.html",
        {"rows": queries.products(request.user, search=search), "q": search},
    )


@login_required
@require_GET
def product(request: HttpRequest, sku: str) -> HttpResponse:
    found = queries.get_product(sku)
    return render(
        request,
        "commerce/product.html",
        {"product": found, "buyers": queries.buyers(request.user, sku)},
    )


# --------------------------------------------------------------------------------------------
# Settings (admins)


def _settings(request: HttpRequest, form: ServiceForm | None = None) -> HttpResponse:
    if not is_admin(request.user):
        return render(request, "commerce/settings.html", {"forbidden": True}, status=403)
    return render(
        request,
        "commerce/settings.html",
        {
            "currency": services.workspace_currency(),
            "rates": queries.rates(),
            "types": queries.event_types(),
            "section": "commerce",
            "field_errors": form.field_errors() if form is not None else {},
            "form": form.data.dict() if form is not None else {},
        },
        status=form.status if form is not None else 200,
    )


@login_required
@require_GET
def settings_page(request: HttpRequest) -> HttpResponse:
    return _settings(request)


class RateForm(ServiceForm):
    currency = text()
    rate = text()


@login_required
@require_POST
def set_rate(request: HttpRequest) -> HttpResponse:
    form = RateForm(request.POST)
    form.submit(
        lambda data: services.set_rate(request.user, currency=data["currency"], rate=data["rate"])
    )
    if not form.ok:
        return _settings(request, form)
    messages.success(request, _("The rate was saved."))
    return redirect("commerce:settings")


class EventTypeForm(ServiceForm):
    name = text()
    label = text()


@login_required
@require_POST
def add_event_type(request: HttpRequest) -> HttpResponse:
    form = EventTypeForm(request.POST)
    form.submit(
        lambda data: services.register_event_type(
            request.user, name=data["name"], label=data["label"]
        )
    )
    if not form.ok:
        return _settings(request, form)
    messages.success(request, _("The event type was added."))
    return redirect("commerce:settings")
