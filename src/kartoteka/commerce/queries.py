"""Reads of events, totals, products, coupons, payments and activity charts, always starting
from the actor's scope (a contact outside it is NotFound)."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from kartoteka.activity import timeline
from kartoteka.activity.models import Activity
from kartoteka.commerce import kinds
from kartoteka.commerce.models import (
    Coupon,
    CouponStatus,
    CurrencyRate,
    EventLine,
    EventType,
    ExternalEvent,
    Product,
    Totals,
)
from kartoteka.contacts.models import Contact
from kartoteka.contacts.queries import get_contact
from kartoteka.core.cursors import decode_cursor, encode_cursor
from kartoteka.core.errors import InvalidInput, NotFound
from kartoteka.core.scope import visible_contacts

PERIODS = (7, 30, 90, 365)
TOP_PRODUCTS = 5


def money(hundredths: int | None) -> Decimal:
    return (Decimal(hundredths or 0) / 100).quantize(Decimal("0.01"))


def event_types() -> list[dict[str, Any]]:
    """Every type: the built-in ones, then those an admin registered."""
    found = [
        {"name": n, "label": str(label), "built_in": True}
        for n, label in kinds.BUILT_IN_LABELS.items()
    ]
    for item in EventType.objects.order_by("name"):
        kinds.register_custom(item.name, item.label)
        found.append({"name": item.name, "label": item.label, "built_in": False})
    return found


def type_label(name: str) -> str:
    if name in kinds.BUILT_IN_LABELS:
        return str(kinds.BUILT_IN_LABELS[name])
    return EventType.objects.filter(name=name).values_list("label", flat=True).first() or name


def rates() -> list[CurrencyRate]:
    return list(CurrencyRate.objects.select_related("updated_by"))


def contact_events(
    actor,
    contact_id: int,
    *,
    type_name: str = "",
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> QuerySet[ExternalEvent]:
    """A visible contact's events, newest first, with their product lines."""
    get_contact(actor, contact_id)
    found = ExternalEvent.objects.filter(contact_id=contact_id)
    if type_name:
        found = found.filter(type=type_name)
    if since:
        found = found.filter(occurred_at__gte=since)
    if until:
        found = found.filter(occurred_at__lt=until)
    return found.prefetch_related("lines").order_by("-occurred_at", "-id")


def events_page(
    events: QuerySet[ExternalEvent], *, cursor: str | None, limit: int
) -> tuple[list[ExternalEvent], str | None]:
    """One page of events newest first, after the cursor of the previous page."""
    if cursor:
        when_text, last_id = decode_cursor(cursor, size=2)
        try:
            when = dt.datetime.fromisoformat(when_text)
            last_id = int(last_id)
        except (TypeError, ValueError):
            raise InvalidInput(
                "cursor", _("Not a cursor from this list; start again without it.")
            ) from None
        events = events.filter(Q(occurred_at__lt=when) | Q(occurred_at=when, pk__lt=last_id))
    items = list(events[: limit + 1])
    page = items[:limit]
    following = (
        encode_cursor(page[-1].occurred_at.isoformat(), page[-1].pk) if len(items) > limit else None
    )
    return page, following


@dataclass(frozen=True)
class Ecommerce:
    """A contact's eCommerce section: kept totals, in the workspace currency."""

    currency: str
    total_value: Decimal
    average_cart: Decimal
    transactions: int
    refunds: int
    cancellations: int
    converted: int
    first_purchase_at: dt.datetime | None
    last_purchase_at: dt.datetime | None
    top_products: list[dict]

    @property
    def has_data(self) -> bool:
        return bool(self.transactions or self.refunds or self.cancellations or self.top_products)


def kept_totals(contact_id: int) -> Totals | None:
    """A contact's kept totals (None before its first event), for a caller that has already
    checked the contact is visible (the card's summary strip)."""
    return Totals.objects.filter(contact_id=contact_id).first()


def ecommerce(actor, contact_id: int) -> Ecommerce:
    get_contact(actor, contact_id)
    kept = Totals.objects.filter(contact_id=contact_id).first() or Totals()
    top = (
        EventLine.objects.filter(event__contact_id=contact_id, event__type=kinds.PURCHASE)
        .values("sku")
        .annotate(units=Sum("quantity"))
        .order_by("-units", "sku")[:TOP_PRODUCTS]
    )
    names = dict(Product.objects.filter(sku__in=[t["sku"] for t in top]).values_list("sku", "name"))
    return Ecommerce(
        currency=settings.KARTOTEKA_CURRENCY,
        total_value=money(kept.total),
        average_cart=money(kept.average_cart),
        transactions=kept.transactions,
        refunds=kept.refunds,
        cancellations=kept.cancellations,
        converted=kept.converted,
        first_purchase_at=kept.first_purchase_at,
        last_purchase_at=kept.last_purchase_at,
        top_products=[
            {"sku": t["sku"], "name": names.get(t["sku"]) or t["sku"], "units": t["units"]}
            for t in top
        ],
    )


def coupons_of(actor, contact_id: int) -> list[Coupon]:
    get_contact(actor, contact_id)
    return list(Coupon.objects.filter(contact_id=contact_id))


def coupon_status(coupon: Coupon, now: dt.datetime | None = None) -> str:
    """Used as stored; an available coupon past its end is expired."""
    if coupon.status == CouponStatus.USED:
        return CouponStatus.USED
    if coupon.valid_until and coupon.valid_until < (now or timezone.now()):
        return CouponStatus.EXPIRED
    return CouponStatus.AVAILABLE


def get_coupon(actor, coupon_id: int) -> Coupon:
    found = Coupon.objects.filter(
        pk=coupon_id, contact__in=visible_contacts(actor).values("pk")
    ).first()
    if found is None:
        raise NotFound(_("No such coupon."))
    return found


def payments_of(actor, contact_id: int) -> list[ExternalEvent]:
    return list(contact_events(actor, contact_id, type_name=kinds.PAYMENT)[:100])


def products(actor, *, search: str = "") -> list[dict]:
    """Every product with the units sold, the revenue and the buyers among the contacts the
    actor sees (purchases only)."""
    scope = visible_contacts(actor).values("pk")
    lines = EventLine.objects.filter(event__type=kinds.PURCHASE, event__contact__in=scope)
    sold = {
        row["sku"]: row
        for row in lines.values("sku").annotate(
            units=Sum("quantity"),
            revenue=Sum(F("quantity") * F("price")),
            buyers=Count("event__contact", distinct=True),
        )
    }
    catalogue = Product.objects.all()
    if search:
        catalogue = catalogue.filter(
            Q(sku__icontains=search) | Q(name__icontains=search) | Q(category__icontains=search)
        )
    result = []
    for product in catalogue.order_by("sku"):
        row = sold.get(product.sku, {})
        result.append(
            {
                "product": product,
                "units": row.get("units") or 0,
                "revenue": Decimal(row.get("revenue") or 0).quantize(Decimal("0.01")),
                "buyers": row.get("buyers") or 0,
            }
        )
    result.sort(key=lambda item: (-item["units"], item["product"].sku))
    return result


def get_product(sku: str) -> Product:
    found = Product.objects.filter(sku=sku).first()
    if found is None:
        raise NotFound(_("No such product."))
    return found


def buyers(actor, sku: str, *, limit: int = 200) -> list[dict]:
    """The contacts in the actor's scope who bought the product, with units and last time."""
    rows = (
        EventLine.objects.filter(
            sku=sku,
            event__type=kinds.PURCHASE,
            event__contact__in=visible_contacts(actor).values("pk"),
        )
        .values("event__contact_id", "event__contact__email", "event__contact__first_name",
                "event__contact__last_name")
        .annotate(units=Sum("quantity"), last=F("event__occurred_at"))
        .order_by("-units")
    )  # fmt: skip
    merged: dict[int, dict] = {}
    for row in rows:
        found = merged.setdefault(
            row["event__contact_id"],
            {
                "id": row["event__contact_id"],
                "email": row["event__contact__email"],
                "name": " ".join(
                    filter(
                        None, [row["event__contact__first_name"], row["event__contact__last_name"]]
                    )
                ),
                "units": 0,
                "last": row["last"],
            },
        )
        found["units"] += row["units"]
        found["last"] = max(found["last"], row["last"])
    return sorted(merged.values(), key=lambda b: (-b["units"], b["id"]))[:limit]


# --------------------------------------------------------------------------------------------
# Analytics


@dataclass(frozen=True)
class Activity7x24:
    """Counts of timeline entries by hour of day (0–23), by weekday (Monday first) and both."""

    by_hour: list[int]
    by_weekday: list[int]
    heatmap: list[list[int]]

    @property
    def total(self) -> int:
        return sum(self.by_hour)


def _clean_period(kind: str, days: Any) -> tuple[str, int]:
    if isinstance(days, str):
        days = int(days) if days.isdigit() else -1
    if days not in PERIODS:
        raise InvalidInput(
            "days",
            _("Choose a period of %(periods)s days.") % {"periods": ", ".join(map(str, PERIODS))},
        )
    if not isinstance(kind, str) or len(kind) > 40:
        raise InvalidInput("kind", _("Choose a kind of activity."))
    return kind, days


def _counts(entries: QuerySet[Activity]) -> Activity7x24:
    """Entries counted per UTC hour by the database (a few thousand groups at most), each hour
    then placed on the reader's weekday and hour in Python: exact for zones whose offset is in
    whole hours, without a time-zone conversion per entry (SQLite does those in Python).
    Counting rows, not ids, lets the (contact, kind, time) index answer alone; SQLite's hours
    come back as text ("YYYY-MM-DD HH"), read by position (strptime cost more than the query),
    PostgreSQL's as times (its to_char cost more than the rest of the query)."""
    zone = timezone.get_current_timezone()
    utc = dt.UTC
    if connection.vendor == "postgresql":
        hour = "date_trunc('hour', occurred_at AT TIME ZONE 'UTC')"

        def read(value: dt.datetime) -> dt.datetime:
            return value.replace(tzinfo=utc)
    else:
        hour = "substr(occurred_at, 1, 13)"

        def read(value: str) -> dt.datetime:
            return dt.datetime(
                int(value[:4]), int(value[5:7]), int(value[8:10]), int(value[11:13]), tzinfo=utc
            )

    grid = [[0] * 24 for _ in range(7)]
    rows = (
        entries.order_by()
        .annotate(utc_hour=RawSQL(hour, ()))
        .values("utc_hour")
        .annotate(n=Count("*"))
        .values_list("utc_hour", "n")
    )
    for utc_hour, n in rows:
        when = read(utc_hour).astimezone(zone)
        grid[when.weekday()][when.hour] += n
    return Activity7x24(
        by_hour=[sum(grid[d][h] for d in range(7)) for h in range(24)],
        by_weekday=[sum(day) for day in grid],
        heatmap=grid,
    )


def analytics(actor, contact_id: int, *, kind: str = "", days: Any = 90) -> Activity7x24:
    """A visible contact's activity by hour, weekday and both, over the last `days` days, for
    every kind of entry that counts as activity, or for one kind."""
    kind, days = _clean_period(kind, days)
    return _contact_counts(get_contact(actor, contact_id, card_data=False).pk, kind, days)


@dataclass(frozen=True)
class AnalyticsTab:
    """What the card's Analytics tab shows: the contact, its counts and the kinds of entry its
    timeline has (to choose a chart from)."""

    contact: Contact
    counts: Activity7x24
    kinds: list[tuple[str, str]]


def analytics_tab(actor, contact_id: int, *, kind: str = "", days: Any = 90) -> AnalyticsTab:
    """The Analytics tab's reads: the contact looked up in the actor's scope once (without the
    card's e-mails, phones, owners and tags, which the tab does not show), then two queries."""
    kind, days = _clean_period(kind, days)
    contact = get_contact(actor, contact_id, card_data=False)
    return AnalyticsTab(contact, _contact_counts(contact.pk, kind, days), _kinds_of(contact.pk))


def _contact_counts(contact_id: int, kind: str, days: int) -> Activity7x24:
    entries = Activity.objects.filter(contact_id=contact_id, occurred_at__gte=_since(days))
    return _counts(entries.filter(kind=kind) if kind else entries.filter(kind__in=_counted()))


def segment_analytics(actor, contacts: QuerySet, *, kind: str = "", days: Any = 90) -> Activity7x24:
    """The same counts over the contacts of a segment (already in the actor's scope)."""
    kind, days = _clean_period(kind, days)
    entries = Activity.objects.filter(
        contact__in=contacts.filter(pk__in=visible_contacts(actor).values("pk")).values("pk"),
        occurred_at__gte=_since(days),
    )
    return _counts(entries.filter(kind=kind) if kind else entries.filter(kind__in=_counted()))


def _since(days: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


def _counted() -> list[str]:
    return [k.key for k in timeline.registered() if k.counts_as_activity]


def _kinds_of(contact_id: int) -> list[tuple[str, str]]:
    found = (
        Activity.objects.filter(contact_id=contact_id)
        .order_by()
        .values_list("kind", flat=True)
        .distinct()
    )
    return sorted(((k, timeline.label(k)) for k in found), key=lambda item: item[1])
