"""Dates, numbers and money written for a person, in the active language: the one place that
decides how they read, so that a list, the card, a report, an e-mail and an export agree.

Dates and times use the language's SHORT_DATE_FORMAT and SHORT_DATETIME_FORMAT (see
kartoteka/formats), in the workspace time zone; numbers and money follow CLDR through Babel.
Exports keep machine values: `export_value` turns a date or time into the cell a file holds.
"""

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from babel.core import Locale, UnknownLocaleError
from babel.numbers import format_currency, format_decimal, format_percent
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language, gettext_lazy

Number = int | float | Decimal


def _locale() -> Locale:
    code = (get_language() or "en").replace("-", "_")
    try:
        return Locale.parse(code)
    except (ValueError, UnknownLocaleError):
        return Locale.parse("en")


def _amount(value: Any) -> Number | None:
    """A number, or None for text that is not one (a template is never broken by a value)."""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return value
    try:
        return Decimal(str(value).strip())
    except ArithmeticError:
        return None


def _local(value: dt.datetime) -> dt.datetime:
    return timezone.localtime(value) if timezone.is_aware(value) else value


def day(value: dt.date | dt.datetime | None) -> str:
    """A date as the reader writes it (a moment: the day it is in the workspace's zone)."""
    if value is None or value == "":
        return ""
    if isinstance(value, dt.datetime):
        value = _local(value)
    return date_format(value, "SHORT_DATE_FORMAT")


def moment(value: dt.datetime | None) -> str:
    """A date and time as the reader writes them, in the workspace's time zone."""
    if value is None or value == "":
        return ""
    if not isinstance(value, dt.datetime):
        return day(value)
    return date_format(_local(value), "SHORT_DATETIME_FORMAT")


def number(value: Number | None, digits: int | None = None) -> str:
    """A count or an amount with the reader's separators; `digits` fixes the decimals shown
    (None: as many as the value has)."""
    if value is None or value == "":
        return ""
    value = _amount(value)
    if value is None:
        return ""
    if digits is not None:
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return format_decimal(value, format=pattern, locale=_locale())
    return format_decimal(value, locale=_locale())


def money(amount: Number | None, currency: str | None = None) -> str:
    """An amount with its currency, as the reader's language writes it: €1,234.50 in English,
    1234,50 € in Spanish, 1234,50 zł in Polish. Without a currency, the number alone with
    two decimals."""
    if amount is None or amount == "":
        return ""
    amount = _amount(amount)
    if amount is None:
        return ""
    if not currency:
        return number(amount, 2)
    text = format_currency(amount, currency.upper(), locale=_locale())
    # CLDR's currency spacing, which Babel leaves out: a code written as letters is kept
    # apart from the digits it touches (PLN 1,234.50, not PLN1,234.50).
    symbol = _locale().currency_symbols.get(currency.upper(), currency.upper())
    rest = text[len(symbol) :]
    if symbol[-1:].isalpha() and text.startswith(symbol) and rest[:1].isdigit():
        text = f"{symbol}\xa0{rest}"
    return text


def percent(value: Number | None, digits: int = 0) -> str:
    """A share (0.25) as a percentage in the reader's language (25%, 25 %)."""
    if value is None or value == "":
        return ""
    value = _amount(value)
    if value is None:
        return ""
    locale = _locale()
    pattern = locale.percent_formats[None].pattern
    if digits:
        pattern = pattern.replace("0", "0." + "0" * digits, 1)
    return format_percent(value, format=pattern, locale=locale)


def export_value(value: Any, *, spreadsheet: bool) -> Any:
    """A cell of an export: a moment in the workspace's time zone — a real date cell in a
    spreadsheet (which holds no zone), ISO 8601 with its offset in CSV; a date as a date cell
    or YYYY-MM-DD. Anything else unchanged."""
    if isinstance(value, dt.datetime):
        local = _local(value)
        if spreadsheet:
            return local.replace(tzinfo=None)
        return local.isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value if spreadsheet else value.isoformat()
    return value


# Who acted when it was not a user, as the code records it (activity's actor_label, a tag's
# origin_label, a forget record's…): the fixed labels and the shapes with a number or a name.
_ACTORS = {
    "system": gettext_lazy("System"),
    "member": gettext_lazy("Members' area"),
    "form": gettext_lazy("Form"),
    "cli": gettext_lazy("Command line"),
    "api": gettext_lazy("API"),
}
_ACTOR_SHAPES = (
    (re.compile(r"revert of import #(?P<id>\d+)"), gettext_lazy("Revert of import #%(id)s")),
    (re.compile(r"import #(?P<id>\d+)"), gettext_lazy("Import #%(id)s")),
    (re.compile(r"import (?P<id>import-[0-9a-f]+)"), gettext_lazy("Import %(id)s")),
    (re.compile(r"rule: (?P<id>.+)", re.S), gettext_lazy("Rule: %(id)s")),
)


def actor_name(label: str | None) -> str:
    """An actor label as the reader's language names it ("member" → "Members' area",
    "import #12" → "Importación n.º 12"); a name a person gave (a form's) comes back as is."""
    if not label:
        return ""
    if label in _ACTORS:
        return str(_ACTORS[label])
    for shape, text in _ACTOR_SHAPES:
        if found := shape.fullmatch(label):
            return str(text) % {"id": found["id"]}
    return label
