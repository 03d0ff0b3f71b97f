"""Filters that show stored values as people read them, in their language."""

from django import template
from django.utils.translation import gettext

from kartoteka.core import display

register = template.Library()


@register.filter
def translated(value: object) -> str:
    """A name stored in English by the app itself (a default rule's name, say), translated;
    a name a person typed comes back unchanged. The names are marked with gettext_noop where
    the app defines them, so they are in the catalogues."""
    return gettext(str(value)) if value not in (None, "") else ""


@register.filter
def actor_name(label: str | None) -> str:
    """Who acted when it was not a user ("member", "import #12"), in the reader's language."""
    return display.actor_name(label)


@register.filter
def translated_each(values: list) -> list[str]:
    return [translated(v) for v in values or []]
