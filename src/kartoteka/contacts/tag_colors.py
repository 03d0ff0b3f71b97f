"""The colours a tag may wear, and the one chip that shows a tag wherever tags appear.

A fixed palette, each colour dark enough for white text at a contrast of at least 4.5:1, so
no admin can pick a colour that makes a tag unreadable. A new tag gets a colour from its name,
so the same name always arrives in the same colour.
"""

import hashlib

from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

PALETTE: dict[str, object] = {
    "#b91c1c": _("Red"),
    "#c2410c": _("Orange"),
    "#a16207": _("Brown"),
    "#15803d": _("Green"),
    "#0f766e": _("Teal"),
    "#0e7490": _("Cyan"),
    "#1d4ed8": _("Blue"),
    "#4338ca": _("Indigo"),
    "#6d28d9": _("Violet"),
    "#a21caf": _("Purple"),
    "#be185d": _("Pink"),
    "#475569": _("Grey"),
}
COLORS = tuple(PALETTE)


def color_for(name: str) -> str:
    """The palette colour a new tag of this name gets (the same for every spelling of it)."""
    digest = hashlib.blake2b(name.casefold().encode(), digest_size=4).digest()
    return COLORS[int.from_bytes(digest, "big") % len(COLORS)]


def choices() -> list[tuple[str, object]]:
    return list(PALETTE.items())


def chip(name: str, color: str) -> str:
    """A tag as a chip in its colour (escaped HTML); a colour outside the palette shows grey."""
    return format_html(
        '<span class="chip tag-chip" style="background: {}">{}</span>',
        color if color in PALETTE else COLORS[-1],
        name,
    )
