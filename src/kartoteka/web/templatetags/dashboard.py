"""Template tags of the card dashboard."""

from django import template
from django.utils.html import format_html

from kartoteka.web import registry

register = template.Library()


@register.simple_tag(takes_context=True)
def section_count(context, key: str) -> str:
    """The section's title figure, swapped out of band into the title when htmx loads or
    re-renders the fragment (the card page itself writes the figure of a section it renders)."""
    request = context.get("request")
    section = registry.card_section(key)
    if section is None or section.count is None or not getattr(request, "htmx", False):
        return ""
    return format_html(
        '<span class="section-count" id="section-count-{}" hx-swap-oob="true">{}</span>',
        key,
        section.count_of(context.flatten()),
    )
