"""The eCommerce totals as columns of the contact list and of exports (web.registry's
ContactColumn); registered from CommerceConfig.ready()."""

from decimal import Decimal
from typing import Any

from django.db.models import F
from django.utils.translation import gettext_lazy as _

from kartoteka.commerce.models import Totals
from kartoteka.commerce.queries import money
from kartoteka.commerce.services import workspace_currency
from kartoteka.core import display
from kartoteka.web.registry import ContactColumn, register_contact_column


def _load(field: str, convert=lambda value: value):
    def load(contact_ids: list[int]) -> dict[int, Any]:
        rows = Totals.objects.filter(contact_id__in=contact_ids).values_list("contact_id", field)
        return {contact_id: convert(value) for contact_id, value in rows if value is not None}

    return load


def _text(value: Any) -> str:
    if value is None:
        return "—"
    if hasattr(value, "tzinfo"):
        return display.day(value)
    if isinstance(value, Decimal):
        return display.money(value, workspace_currency())
    return display.number(value)


COLUMNS = (
    ("ecommerce.total_value", _("Total value"), "total", money, "int"),
    ("ecommerce.average_cart", _("Average cart"), "average_cart", money, "int"),
    ("ecommerce.transactions", _("Transactions"), "transactions", int, "int"),
    ("ecommerce.last_purchase_at", _("Last purchase"), "last_purchase_at", None, "datetime"),
)


def register_columns() -> None:
    for order, (key, label, field, convert, value_type) in enumerate(COLUMNS):
        register_contact_column(
            ContactColumn(
                key=key,
                label=label,
                load=_load(field, convert) if convert else _load(field),
                text=_text,
                order=150 + order,
                sort=F(f"ecommerce__{field}"),
                value_type=value_type,
            )
        )
