"""Which addresses reach a contact on each channel, and the hash that keys a suppressed address
(its folded form, so the suppression list holds no personal data)."""

import hashlib

from django.utils.translation import gettext as _

from kartoteka.core.errors import InvalidInput
from kartoteka.core.normalise import fold_email, normalise_email, normalise_phone

# Channels reached through an e-mail address or a phone number; web push has no address.
EMAIL_CHANNELS = ("email",)
PHONE_CHANNELS = ("sms", "phone")


def folded(address: str) -> str:
    """An e-mail address folded (case-insensitive), or a phone number in E.164; InvalidInput if
    it is neither."""
    if not isinstance(address, str) or not address.strip():
        raise InvalidInput("address", _("Enter an e-mail address or a phone number."))
    if "@" in address:
        return fold_email(normalise_email(address, field="address"))
    return normalise_phone(address, field="address")


def address_hash(address: str) -> str:
    return hash_folded(folded(address))


def hash_folded(text: str) -> str:
    """The hash of an address already folded (a stored e-mail address casefolded, a stored
    phone number as it is: E.164)."""
    return hashlib.sha256(text.encode()).hexdigest()


def stored_email_hash(email: str) -> str:
    """The hash of an e-mail address as the contacts app stores it (normalised already)."""
    return hash_folded(fold_email(email))


def channels_of(address: str) -> tuple[str, ...]:
    """The channels an address reaches."""
    return EMAIL_CHANNELS if "@" in address else PHONE_CHANNELS


def hash_or_none(address: str) -> str | None:
    """The hash of an address, or None for text that is no address (it cannot be suppressed)."""
    try:
        return address_hash(address)
    except InvalidInput:
        return None
