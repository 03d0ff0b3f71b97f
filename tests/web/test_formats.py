"""Dates and times are shown one way per language: day first, on a 24-hour clock."""

import datetime as dt

import pytest
from django.template import Context, Template
from django.utils import translation

from kartoteka.contacts.form_fields import property_display
from kartoteka.contacts.models import PropertyDefinition, PropertyType

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
