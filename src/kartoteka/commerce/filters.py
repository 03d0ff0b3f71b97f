"""eCommerce filter fields: the kept totals (ecommerce.total_value, .transactions,
.average_cart, .last_purchase_at) and what a contact bought (`purchased`: a SKU or category,
ever; `purchased.<days>`: within that many days). Registered from CommerceConfig.ready()."""

from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kartoteka.commerce import kinds
from kartoteka.commerce.models import EventLine
from kartoteka.segments.fields import Field, column, days_ago, register, register_family

GROUP = _("eCommerce")
PRESENT = Q(ecommerce__isnull=False)
MAX_DAYS = 36500


def _hundredths(build):
    """Money given in the workspace currency, compared with totals kept in hundredths."""

    def scaled(op: str, value: Any) -> Q:
        if isinstance(value, list):
            value = [round(v * 100) for v in value]
        elif isinstance(value, (int, float)):
            value = round(value * 100)
        return build(op, value)

    return scaled


def _bought(days: int | None):
    def contacts_with(values: list[str]) -> Q:
        lines = EventLine.objects.filter(
            Q(sku__in=values) | Q(category__in=values), event__type=kinds.PURCHASE
        )
        if days is not None:
            lines = lines.filter(event__occurred_at__gte=days_ago(days))
        return Q(pk__in=lines.values("event__contact_id"))

    def build(op: str, value: Any) -> Q:
        if op in ("is_empty", "is_not_empty"):
            purchases = EventLine.objects.filter(event__type=kinds.PURCHASE)
            if days is not None:
                purchases = purchases.filter(event__occurred_at__gte=days_ago(days))
            bought = Q(pk__in=purchases.values("event__contact_id"))
            return ~bought if op == "is_empty" else bought
        if op == "has_all":
            found = Q()
            for item in value:
                found &= contacts_with([item])
            return found
        if op == "has_none":
            return ~contacts_with(value)
        return contacts_with(value)

    return build


def purchased_within(name: str) -> Field | None:
    """`purchased.<days>`: bought a SKU or category within the last <days> days."""
    if not name.isdigit() or not 1 <= int(name) <= MAX_DAYS:
        return None
    days = int(name)
    return Field(
        f"purchased.{days}",
        _("Purchased (SKU or category) in the last %(days)s days") % {"days": days},
        "set",
        _bought(days),
        group=GROUP,
    )


def register_fields() -> None:
    register(
        Field(
            "ecommerce.total_value",
            _("Total value"),
            "number",
            _hundredths(column("ecommerce__total", "number", nullable=True)),
            group=GROUP,
            present=PRESENT,
        )
    )
    register(
        Field(
            "ecommerce.transactions",
            _("Transactions"),
            "number",
            column("ecommerce__transactions", "number", nullable=True),
            group=GROUP,
            present=PRESENT,
        )
    )
    register(
        Field(
            "ecommerce.average_cart",
            _("Average cart"),
            "number",
            _hundredths(column("ecommerce__average_cart", "number", nullable=True)),
            group=GROUP,
            present=PRESENT,
        )
    )
    register(
        Field(
            "ecommerce.last_purchase_at",
            _("Last purchase"),
            "date",
            column("ecommerce__last_purchase_at", "date", nullable=True),
            group=GROUP,
            present=Q(ecommerce__last_purchase_at__isnull=False),
        )
    )
    register(
        Field("purchased", _("Purchased (SKU or category)"), "set", _bought(None), group=GROUP)
    )
    register_family("purchased", purchased_within)
