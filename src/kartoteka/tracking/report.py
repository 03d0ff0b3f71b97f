"""The attribution report: where the contacts who arrived in a period came from (UTM source,
medium, campaign, Google Ads campaign or keyword), how many became clients, and what they were
worth.

The cohort is the contacts the reader sees that were created in the period. For each value of
the chosen field:
- new contacts: the cohort's contacts with that value;
- clients: those of them whose status is now "Client" (won); the conversion rate is
  clients / new contacts;
- won value: deals won (status won, any time) whose primary contact is one of them, in the
  workspace currency (deals in other currencies are counted apart, not converted), plus their
  eCommerce purchases (commerce's totals, already in the workspace currency). A deal counts once,
  under its primary contact, so no value is counted twice;
- form submissions (from the forms app, through `register_measure`): submissions sent in the
  period by contacts with that value (of any age).
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kartoteka.contacts.models import Contact, Status
from kartoteka.core.errors import InvalidInput
from kartoteka.core.scope import visible_contacts
from kartoteka.deals.models import Deal, StageKind

# group_by → the contact's column.
GROUPS = {
    "source": ("utm_source", gettext_lazy("Source")),
    "medium": ("utm_medium", gettext_lazy("Medium")),
    "campaign": ("utm_campaign", gettext_lazy("Campaign")),
    "ads_campaign": ("ads_campaign", gettext_lazy("Google Ads campaign")),
    "ads_keyword": ("ads_keyword", gettext_lazy("Google Ads keyword")),
}
DEFAULT_DAYS = 30
MAX_DAYS = 3660
MAX_ROWS = 200  # values with the most new contacts; the rest are added up in one row


@dataclass(frozen=True)
class Measure:
    """A count another app adds to the report: `count(contacts, column, since, until)` gives
    {value of the column: count} over `contacts` (a queryset the reader may see)."""

    key: str
    label: Any
    count: Callable[[QuerySet[Contact], str, dt.datetime, dt.datetime], dict[str, int]]


@dataclass(frozen=True)
class Breakdown:
    """A table another app adds under the report: `rows(actor, since, until)` gives
    (name, address of its page, count) rows (each form and its submissions in the period)."""

    key: str
    title: Any
    rows: Callable[[Any, dt.datetime, dt.datetime], list[tuple[str, str, int]]]


_measures: list[Measure] = []
_breakdowns: list[Breakdown] = []


def register_measure(measure: Measure) -> None:
    _measures[:] = [m for m in _measures if m.key != measure.key] + [measure]


def register_breakdown(breakdown: Breakdown) -> None:
    _breakdowns[:] = [b for b in _breakdowns if b.key != breakdown.key] + [breakdown]


def measures() -> list[Measure]:
    return list(_measures)


def breakdowns(actor, first: dt.date, last: dt.date) -> list[tuple[Any, list]]:
    """(title, rows) of every breakdown over the period, for the actor."""
    since, until = _bounds(first, last)
    return [(b.title, b.rows(actor, since, until)) for b in _breakdowns]


@dataclass
class Row:
    value: str
    new_contacts: int = 0
    clients: int = 0
    won_deals: int = 0
    won_deals_value: Decimal = Decimal(0)
    purchases_value: Decimal = Decimal(0)
    extra: dict[str, int] = field(default_factory=dict)

    @property
    def conversion_rate(self) -> Decimal:
        if not self.new_contacts:
            return Decimal(0)
        return (Decimal(self.clients * 100) / self.new_contacts).quantize(Decimal("0.1"))

    @property
    def won_value(self) -> Decimal:
        return self.won_deals_value + self.purchases_value


@dataclass
class Report:
    group_by: str
    start: dt.date
    end: dt.date
    currency: str
    rows: list[Row]
    total: Row
    other_currency_deals: int


def clean_period(start: Any, end: Any) -> tuple[dt.date, dt.date]:
    """The period's first and last day (both included); the last 30 days by default."""
    errors: dict[str, list[str]] = {}
    days: dict[str, dt.date | None] = {}
    for name, value in (("from", start), ("to", end)):
        if value in (None, ""):
            days[name] = None
        elif isinstance(value, dt.date):
            days[name] = value
        else:
            try:
                days[name] = dt.date.fromisoformat(str(value))
            except ValueError:
                errors[name] = [_("Give a date as YYYY-MM-DD.")]
    if errors:
        raise InvalidInput(errors=errors)
    last = days["to"] or timezone.localdate()
    first = days["from"] or last - dt.timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise InvalidInput("from", _("The period starts after it ends."))
    if (last - first).days > MAX_DAYS:
        raise InvalidInput("from", _("The period can be at most ten years long."))
    return first, last


def _bounds(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    since = timezone.make_aware(dt.datetime.combine(first, dt.time()))
    until = timezone.make_aware(dt.datetime.combine(last + dt.timedelta(days=1), dt.time()))
    return since, until


def attribution(actor, *, group_by: Any, start: Any = None, end: Any = None) -> Report:
    """The report over the contacts `actor` sees (a sales user: their own)."""
    if group_by not in GROUPS:
        raise InvalidInput(
            "group_by", _("Group by one of: %(keys)s.") % {"keys": ", ".join(GROUPS)}
        )
    first, last = clean_period(start, end)
    since, until = _bounds(first, last)
    column = GROUPS[group_by][0]
    currency = settings.KARTOTEKA_CURRENCY
    seen = visible_contacts(actor)
    cohort = seen.filter(created_at__gte=since, created_at__lt=until).order_by()
    rows: dict[str, Row] = {}
    for found in cohort.values(column).annotate(
        n=Count("id"),
        clients=Count("id", filter=Q(status=Status.WON)),
        purchases=Sum("ecommerce__total"),
    ):
        row = rows.setdefault(found[column], Row(found[column]))
        row.new_contacts = found["n"]
        row.clients = found["clients"]
        row.purchases_value = Decimal(found["purchases"] or 0) / 100
    won = Deal.objects.filter(
        status=StageKind.WON,
        contact_links__is_primary=True,
        contact_links__contact__in=cohort.values("pk"),
    ).order_by()
    for found in (
        won.filter(currency=currency)
        .values(f"contact_links__contact__{column}")
        .annotate(n=Count("id"), v=Sum("amount"))
    ):
        row = rows.setdefault(found[f"contact_links__contact__{column}"], Row(""))
        row.won_deals = found["n"]
        row.won_deals_value = found["v"] or Decimal(0)
    other_currency = won.exclude(currency=currency).count()
    for measure in _measures:
        for value, count in measure.count(seen, column, since, until).items():
            rows.setdefault(value, Row(value)).extra[measure.key] = count
    for value, row in rows.items():
        row.value = value
    ordered = sorted(rows.values(), key=lambda r: (-r.new_contacts, -r.won_value, r.value))
    if len(ordered) > MAX_ROWS:
        rest = Row(str(_("All other values")))
        for row in ordered[MAX_ROWS - 1 :]:
            _add(rest, row)
        ordered = [*ordered[: MAX_ROWS - 1], rest]
    total = Row(str(_("Total")))
    for row in ordered:
        _add(total, row)
    return Report(group_by, first, last, currency, ordered, total, other_currency)


def _add(target: Row, row: Row) -> None:
    target.new_contacts += row.new_contacts
    target.clients += row.clients
    target.won_deals += row.won_deals
    target.won_deals_value += row.won_deals_value
    target.purchases_value += row.purchases_value
    for key, count in row.extra.items():
        target.extra[key] = target.extra.get(key, 0) + count


def value_label(value: str) -> str:
    """How a row's value is shown: an empty value is the contacts with none."""
    return value or str(_("(not set)"))
