"""The tag chip, one way everywhere a tag is shown: `{% load tag_chips %}{% tag_chip tag %}` or
`{% tag_chip name color %}`."""

from django import template

from kartoteka.contacts import tag_colors

register = template.Library()


@register.simple_tag
def tag_chip(tag_or_name, color: str = "") -> str:
    """A tag (or a tag's name and colour) as a chip in its colour."""
    if hasattr(tag_or_name, "color"):
        return tag_colors.chip(tag_or_name.name, tag_or_name.color)
    return tag_colors.chip(str(tag_or_name), color)
