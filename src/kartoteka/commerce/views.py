"""Pages and fragments: the card's eCommerce section, the External events and coupons tab, the
Analytics tab (and a segment's), the Products page and the admins' currencies and types."""

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kartoteka.commerce import kinds, queries, services
from kartoteka.commerce.models import CouponSource, CouponStatus
from kartoteka.contacts.queries import get_contact
from kartoteka.core.errors import Conflict, Forbidden, InvalidInput
from kartoteka.core.scope import is_admin
from kartoteka.segments import queries as segments
from kartoteka.web import charts
from kartoteka.web.forms import form_errors


def ecommerce_context(request: HttpRequest, contact) -> dict:
    return {
        "ecommerce": queries.ecommerce(request.user, contact.pk),
        "payments": queries.payments_of(request.user, contact.pk)[:3],
    }


def _day(text: str, *, end: bool = False) -> dt.datetime | None:
    day = parse_date(text or "")
    if day is None:
        return None
    if end:
        day += dt.timedelta(days=1)
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


def _events_tab(
    request: HttpRequest, contact_id: int, *, errors: dict | None = None, form: Any = None
) -> HttpResponse:
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
    try:
        page, following = queries.events_page(
            events, cursor=request.GET.get("cursor") or None, limit=50
        )
    except InvalidInput:
        page, following = queries.events_page(events, cursor=None, limit=50)
    now = timezone.now()
    coupons = queries.coupons_of(request.user, contact.pk)
    for coupon in coupons:
        coupon.shown_status = queries.coupon_status(coupon, now)
    types = queries.event_types()
    labels = {t["name"]: t["label"] for t in types}
    for event in page:
        event.label = labels.get(event.type, event.type)
        event.converted = queries.money(event.amount) if event.rate is not None else None
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
            "errors": form_errors(errors or {}),
            "form": form or {},
            "now": timezone.localtime(now).strftime("%Y-%m-%dT%H:%M"),
        },
        status=422 if errors else 200,
    )


@login_required
@require_GET
def contact_events(request: HttpRequest, contact_id: int) -> HttpResponse:
    """Card tab: the contact's events with their product lines, payments and coupons."""
    return _events_tab(request, contact_id)


def _lines_from(post) -> list[dict]:
    """The product lines of the offline-event form (one "SKU; name; quantity; price" per line)."""
    found = []
    for text in (post.get("products") or "").splitlines():
        if not text.strip():
            continue
        parts = [p.strip() for p in text.split(";")]
        line: dict[str, Any] = {"sku": parts[0]}
        if len(parts) > 1 and parts[1]:
            line["name"] = parts[1]
        if len(parts) > 2 and parts[2]:
            line["quantity"] = int(parts[2]) if parts[2].isdigit() else parts[2]
        if len(parts) > 3 and parts[3]:
            line["price"] = parts[3].replace(",", ".")
        found.append(line)
    return found


@login_required
@require_POST
def record_event(request: HttpRequest, contact_id: int) -> HttpResponse:
    """The card's form for an offline event (a purchase in a shop, a payment by phone)."""
    contact = get_contact(request.user, contact_id)
    post = request.POST
    when = post.get("occurred_at", "")
    data = {
        "type": post.get("type", ""),
        "occurred_at": when,
        "value": post.get("value", "").replace(",", ".") or None,
        "currency": post.get("currency", "") or None,
        "location": post.get("location", ""),
        "coupon": post.get("coupon", ""),
        "order": post.get("order", ""),
        "method": post.get("method", ""),
        "status": post.get("status", "") if post.get("type") == kinds.PAYMENT else "",
        "products": _lines_from(post),
    }
    try:
        services.record_event_by_hand(request.user, contact, data=data)
    except (InvalidInput, Forbidden, Conflict) as exc:
        errors = getattr(exc, "errors", None) or {"__all__": [exc.message]}
        return _events_tab(request, contact.pk, errors=errors, form=post)
    messages.success(request, _("The event was recorded."))
    return redirect("commerce:contact-events", contact_id=contact.pk)


@login_required
@require_POST
def add_coupon(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = get_contact(request.user, contact_id)
    post = request.POST
    data = {
        "code": post.get("code", ""),
        "description": post.get("description", ""),
        "valid_from": post.get("valid_from") or None,
        "valid_until": post.get("valid_until") or None,
    }
    try:
        services.add_coupon(request.user, contact, data=data, source=CouponSource.MANUAL)
    except (InvalidInput, Conflict) as exc:
        errors = getattr(exc, "errors", None) or {
            getattr(exc, "field", None) or "__all__": [exc.message]
        }
        return _events_tab(
            request, contact.pk, errors={f"coupon_{k}": v for k, v in errors.items()}, form=post
        )
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
    contact = get_contact(request.user, contact_id)
    kind, days = _period(request)
    found = queries.analytics(request.user, contact.pk, kind=kind, days=days)
    return render(
        request,
        "commerce/contact_analytics.html",
        {
            "contact": contact,
            "kind": kind,
            "days": days,
            "periods": queries.PERIODS,
            "kinds": queries.activity_kinds(request.user, contact.pk),
            **_charts(found),
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


def _settings(
    request: HttpRequest, *, errors: dict | None = None, form: Any = None
) -> HttpResponse:
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
            "field_errors": form_errors(errors or {}),
            "form": form or {},
        },
        status=422 if errors else 200,
    )


@login_required
@require_GET
def settings_page(request: HttpRequest) -> HttpResponse:
    return _settings(request)


@login_required
@require_POST
def set_rate(request: HttpRequest) -> HttpResponse:
    try:
        services.set_rate(
            request.user,
            currency=request.POST.get("currency", ""),
            rate=request.POST.get("rate", ""),
        )
    except Forbidden:
        return _settings(request)
    except InvalidInput as exc:
        return _settings(request, errors=exc.errors, form=request.POST)
    messages.success(request, _("The rate was saved."))
    return redirect("commerce:settings")


@login_required
@require_POST
def add_event_type(request: HttpRequest) -> HttpResponse:
    try:
        services.register_event_type(
            request.user, name=request.POST.get("name", ""), label=request.POST.get("label", "")
        )
    except Forbidden:
        return _settings(request)
    except InvalidInput as exc:
        return _settings(request, errors=exc.errors, form=request.POST)
    except Conflict as exc:
        return _settings(request, errors={exc.field or "name": [exc.message]}, form=request.POST)
    messages.success(request, _("The event type was added."))
    return redirect("commerce:settings")
