"""Template tags of the contact list."""

from django import template

from kartoteka.contacts.columns import render_cell

register = template.Library()


@register.simple_tag
def cell(contact, column) -> str:
    """One cell of the contact list."""
    return render_cell(contact, column)  # already escaped: built with format_html / escape
