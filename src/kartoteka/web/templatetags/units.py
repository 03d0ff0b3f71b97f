"""Template filters that write quantities the way people read them: durations, dates, numbers
and money in the reader's language."""

from django import template

from kartoteka.core import display

register = template.Library()


@register.filter
def duration(seconds: int | float | None) -> str:
    """45 s, 3 min, 1 h 20 min: a time left read at a glance rather than counted in seconds."""
    if seconds is None:
        return ""
    seconds = round(seconds)
    if seconds < 90:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


# Dates, numbers and money as the reader's language writes them (kartoteka.core.display):
# {{ deal.amount|money:deal.currency }}, {{ n|number }}, {{ total|number:2 }}, {{ share|percent }},
# {{ when|moment }}, {{ birthday|day }}.


@register.filter
def money(amount, currency: str | None = None) -> str:
    return display.money(amount, currency)


@register.filter
def number(value, digits: int | None = None) -> str:
    return display.number(value, None if digits in (None, "") else int(digits))


@register.filter
def percent(value, digits: int = 0) -> str:
    return display.percent(value, int(digits or 0))


@register.filter
def day(value) -> str:
    return display.day(value)


@register.filter
def moment(value) -> str:
    return display.moment(value)
