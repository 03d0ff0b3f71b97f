"""Helpers of mailing tests."""

import re
from urllib.parse import urlsplit

from kartoteka.consents import services as consent_services
from kartoteka.core.scope import SYSTEM


def path_of(url: str) -> str:
    return urlsplit(url).path


def link_in(text: str, kind: str) -> str:
    """The path of the first link to /<kind>/ in a message's text."""
    found = re.search(rf"https?://\S+/{kind}/\S+", text)
    assert found, f"no /{kind}/ link in: {text}"
    return path_of(found.group(0))


def grant(contact) -> None:
    consent_services.record_consent(
        SYSTEM,
        contact,
        channel="email",
        purpose="marketing",
        status="granted",
        source="staff",
        proof={"where": "signed paper at the fair"},
    )
