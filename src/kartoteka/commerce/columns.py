"""The eCommerce totals as columns of the contact list and of exports; registered from
CommerceConfig.ready()."""

from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from kartoteka.commerce.models import Totals
from kartoteka.commerce.queries import money
from kartoteka.transfer.queries import ExportColumn, register_export_column
from kartoteka.web.registry import ListColumn, register_list_column


def _totals(contact) -> Totals | None:
    try:
        return contact.ecommerce
    except ObjectDoesNotExist:
        return None


def _money_of(name: str):
    def read(contact) -> Any:
        kept = _totals(contact)
        return money(getattr(kept, name)) if kept else None

    return read


def _transactions(contact) -> int | None:
    kept = _totals(contact)
    return kept.transactions if kept else None


def _last_purchase(contact) -> Any:
    kept = _totals(contact)
    return kept.last_purchase_at if kept else None


def _cell(read):
    def render(contact) -> str:
        value = read(contact)
        if value is None:
            return "—"
        if hasattr(value, "tzinfo"):
            return format_html(
                '<span class="nowrap">{}</span>',
                date_format(timezone.localtime(value), "SHORT_DATE_FORMAT"),
            )
        return format_html('<span class="num">{}</span>', number_format(value, use_l10n=True))

    return render


def _export(read):
    def value(contact) -> Any:
        found = read(contact)
        return found.isoformat() if hasattr(found, "isoformat") else found

    return value


COLUMNS = (
    ("ecommerce.total_value", _("Total value"), _money_of("total"), "total", "int"),
    ("ecommerce.average_cart", _("Average cart"), _money_of("average_cart"), "average_cart", "int"),
    ("ecommerce.transactions", _("Transactions"), _transactions, "transactions", "int"),
    (
        "ecommerce.last_purchase_at",
        _("Last purchase"),
        _last_purchase,
        "last_purchase_at",
        "datetime",
    ),
)


def register_columns() -> None:
    for key, label, read, field, value_type in COLUMNS:
        register_list_column(
            ListColumn(
                key,
                label,
                render=_cell(read),
                sort=F(f"ecommerce__{field}"),
                value_type=value_type,
                prefetch=("ecommerce",),
                missing_last=True,
            )
        )
        register_export_column(ExportColumn(key, label, _export(read), related=("ecommerce",)))
