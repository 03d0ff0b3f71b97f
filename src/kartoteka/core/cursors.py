"""Opaque keyset-pagination cursors: the position after the last item of a page."""

import base64
import json
from typing import Any

from django.utils.translation import gettext as _

from kartoteka.core.errors import InvalidInput


def encode_cursor(*values: Any) -> str:
    raw = json.dumps(list(values), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, *, size: int) -> list[Any]:
    """The values of a cursor made by `encode_cursor` with `size` values; InvalidInput if not."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError):
        values = None
    if not isinstance(values, list) or len(values) != size:
        raise InvalidInput("cursor", _("Not a cursor from this list; start again without it."))
    return values
