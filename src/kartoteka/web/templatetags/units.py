"""Template filters that write quantities the way people read them on a progress line."""

from django import template

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
