"""Contacts' posted form fields turned into the payloads contacts.services expects, and
stored values shown back as people read them."""

import datetime as dt
from typing import Any

from django.utils.translation import gettext

from kartoteka.contacts.models import PropertyDefinition, PropertyType
from kartoteka.core import display


def lines(text: str) -> list[str]:
    """Non-empty lines of a textarea, trimmed."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def parse_messengers(text: str) -> list[dict[str, str]]:
    """ "network: handle" lines; the service names any unknown network."""
    result = []
    for line in lines(text):
        network, _sep, handle = line.partition(":")
        result.append({"network": network.strip().casefold(), "handle": handle.strip()})
    return result


def messengers_text(contact) -> str:
    return "\n".join(f"{m.network}: {m.handle}" for m in contact.messengers.all())


def property_display(definition: PropertyDefinition, value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if definition.type == PropertyType.DATE and isinstance(value, str):
        # Stored as ISO; shown in the reader's date format like every other date.
        try:
            return display.day(dt.date.fromisoformat(value[:10]))
        except ValueError:
            return value
    if definition.type in (PropertyType.DECIMAL, PropertyType.NUMBER):
        return display.number(value) or str(value)
    return str(value)
