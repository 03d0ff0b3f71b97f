"""Dates and times are shown one way per language: day first, on a 24-hour clock."""

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.template import Context, Template
from django.utils import translation

from kartoteka.contacts.form_fields import property_display
from kartoteka.contacts.models import PropertyDefinition, PropertyType
from kartoteka.core import display

MOMENT = dt.datetime(2026, 11, 7, 15, 30)


@pytest.mark.parametrize(
    ("language", "date", "moment"),
    [
        ("en", "07/11/2026", "07/11/2026 15:30"),
        ("es", "07/11/2026", "07/11/2026 15:30"),
        ("pl", "07.11.2026", "07.11.2026 15:30"),
    ],
)
def test_every_date_format_name_shows_the_same_day_first_24_hour_text(language, date, moment):
    template = Template(
        '{{ d|date }}|{{ d|date:"DATE_FORMAT" }}|{{ d|date:"SHORT_DATE_FORMAT" }}|{{ d }}'
        '#{{ m|date:"DATETIME_FORMAT" }}|{{ m|date:"SHORT_DATETIME_FORMAT" }}|{{ m|time }}'
    )
    with translation.override(language):
        shown = template.render(Context({"d": MOMENT.date(), "m": MOMENT}))
    assert shown == f"{date}|{date}|{date}|{date}#{moment}|{moment}|15:30"


def test_a_date_detail_is_shown_in_the_readers_format():
    definition = PropertyDefinition(key="renewal", label="Renewal", type=PropertyType.DATE)
    with translation.override("pl"):
        assert property_display(definition, "2026-11-07") == "07.11.2026"


DAY = dt.date(2026, 3, 4)
# 12:05 UTC is 13:05 in the workspace's zone (Europe/Madrid, the tests' setting).
INSTANT = dt.datetime(2026, 3, 4, 12, 5, tzinfo=dt.UTC)

READER_TEXT = {
    "en": {
        "day": "04/03/2026",
        "moment": "04/03/2026 13:05",
        "number": "1,234,567",
        "decimal": "1,234.50",
        "eur": "€1,234.50",
        "pln": "PLN\xa01,234.50",
    },
    "es": {
        "day": "04/03/2026",
        "moment": "04/03/2026 13:05",
        "number": "1.234.567",
        "decimal": "1.234,50",
        "eur": "1.234,50\xa0€",
        "pln": "1.234,50\xa0PLN",
    },
    "pl": {
        "day": "04.03.2026",
        "moment": "04.03.2026 13:05",
        "number": "1\xa0234\xa0567",
        "decimal": "1\xa0234,50",
        "eur": "1\xa0234,50\xa0€",
        "pln": "1\xa0234,50\xa0zł",
    },
}

FILTERS = Template(
    "{% load units %}{{ d|day }}|{{ m|moment }}|{{ n|number }}|{{ x|number:2 }}"
    "|{{ x|money:'EUR' }}|{{ x|money:'PLN' }}"
)


@pytest.mark.parametrize("language", ["en", "es", "pl"])
def test_filters_write_dates_numbers_and_money_in_the_readers_language(language, settings):
    settings.TIME_ZONE = "Europe/Madrid"
    with translation.override(language):
        shown = FILTERS.render(
            Context({"d": DAY, "m": INSTANT, "n": 1234567, "x": Decimal("1234.5")})
        )
    expected = READER_TEXT[language]
    keys = ("day", "moment", "number", "decimal", "eur", "pln")
    assert shown.split("|") == [expected[k] for k in keys]


@pytest.mark.parametrize("language", ["en", "es", "pl"])
def test_a_moment_given_as_a_date_is_the_day_alone(language):
    with translation.override(language):
        assert display.moment(DAY) == READER_TEXT[language]["day"]
        assert display.day(INSTANT) == READER_TEXT[language]["day"]


@pytest.mark.parametrize(
    ("language", "shown"), [("en", "25.7%"), ("es", "25,7\xa0%"), ("pl", "25,7%")]
)
def test_a_share_is_a_percentage_in_the_readers_language(language, shown):
    with translation.override(language):
        assert display.percent(Decimal("0.2567"), 1) == shown


def test_money_without_a_currency_is_the_amount_with_two_decimals():
    with translation.override("pl"):
        assert display.money(Decimal("5")) == "5,00"


def test_text_that_is_not_a_number_shows_nothing_rather_than_breaking_the_page():
    with translation.override("es"):
        assert display.money("n/a", "EUR") == ""
        assert display.number(None) == ""


def test_a_moment_in_an_export_is_iso_in_the_workspace_zone_or_a_plain_spreadsheet_cell(settings):
    settings.TIME_ZONE = "Europe/Madrid"
    assert display.export_value(INSTANT, spreadsheet=False) == "2026-03-04T13:05:00+01:00"
    assert display.export_value(INSTANT, spreadsheet=True) == dt.datetime(2026, 3, 4, 13, 5)
    assert display.export_value(DAY, spreadsheet=False) == "2026-03-04"
    assert display.export_value(DAY, spreadsheet=True) == DAY


SRC = Path(__file__).resolve().parents[2] / "src" / "kartoteka"
# The named formats a person reads (kartoteka/formats): one date, one date and time, a month,
# and the time alone under a day's heading.
READABLE_FORMATS = {
    "SHORT_DATE_FORMAT",
    "SHORT_DATETIME_FORMAT",
    "YEAR_MONTH_FORMAT",
    "TIME_FORMAT",
}
DATE_FILTER = re.compile(r"\|\s*(?:date|time)\s*(?::\s*(?P<q>[\"'])(?P<format>.*?)(?P=q))?")
# An attribute a machine reads (a <time datetime>, an input's value, a link's query).
IN_ATTRIBUTE = re.compile(r"""\s(?:datetime|value|href|hx-get|data-[\w-]+)="[^"<>]*$""")
RAW_MOMENT = re.compile(r"\{\{\s*[\w.]*(?:_at|_until|_since|_date)\s*\}\}")
# Ways of writing a number or a time that bypass the reader's language (units: number,
# money, percent, moment, day instead).
BYPASSES = re.compile(r"\|\s*(?:naturaltime|naturalday|timesince|timeuntil|intcomma|floatformat)\b")
# The contact list's count still writes its figure with floatformat.
PENDING: set[str] = set()


def _templates():
    for path in sorted(SRC.glob("*/templates/**/*")):
        if path.suffix in (".html", ".txt"):
            yield path.relative_to(SRC).as_posix(), path.read_text(encoding="utf-8")


def test_templates_show_dates_only_in_the_languages_formats():
    found = []
    for name, text in _templates():
        for match in DATE_FILTER.finditer(text):
            shown = match["format"] or "DATE_FORMAT"
            machine = IN_ATTRIBUTE.search(text[max(0, match.start() - 300) : match.start()])
            if shown not in READABLE_FORMATS and not machine:
                found.append(f"{name}: {match[0]}")
        for match in RAW_MOMENT.finditer(text):
            if not IN_ATTRIBUTE.search(text[max(0, match.start() - 300) : match.start()]):
                found.append(f"{name}: {match[0]}")
    assert found == []


def test_templates_write_numbers_and_times_through_the_readers_language_filters():
    found = [
        f"{name}: {match[0]}"
        for name, text in _templates()
        if name not in PENDING
        for match in BYPASSES.finditer(text)
    ]
    assert found == []


def test_a_decimal_detail_is_shown_with_the_readers_separators():
    definition = PropertyDefinition(key="budget", label="Budget", type=PropertyType.DECIMAL)
    with translation.override("pl"):
        assert property_display(definition, "74348.26") == "74\xa0348,26"
