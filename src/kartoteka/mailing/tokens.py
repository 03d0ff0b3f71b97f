"""Signed tokens of the public links in e-mails: confirm a subscription, unsubscribe, open the
preferences page. They carry ids only, signed with the secret key (django.core.signing), so a
link cannot be forged or pointed at someone else."""

import datetime as dt

from django.core import signing

# A pending subscription is confirmable this long; after it, it expires.
CONFIRM_MAX_AGE = dt.timedelta(days=7)

_CONFIRM = "kartoteka.mailing.confirm"
_UNSUBSCRIBE = "kartoteka.mailing.unsubscribe"
_PREFERENCES = "kartoteka.mailing.preferences"


class BadToken(Exception):
    """A link that was changed, is too old, or was never ours."""


def confirm_token(subscription_id: int) -> str:
    return signing.dumps(subscription_id, salt=_CONFIRM)


def read_confirm_token(token: str) -> int:
    return _read(token, _CONFIRM, max_age=CONFIRM_MAX_AGE)


def unsubscribe_token(contact_id: int, list_id: int) -> str:
    return signing.dumps([contact_id, list_id], salt=_UNSUBSCRIBE)


def read_unsubscribe_token(token: str) -> tuple[int, int]:
    value = _read(token, _UNSUBSCRIBE)
    if not (isinstance(value, list) and len(value) == 2 and all(_is_id(v) for v in value)):
        raise BadToken
    return value[0], value[1]


def preferences_token(contact_id: int) -> str:
    return signing.dumps(contact_id, salt=_PREFERENCES)


def read_preferences_token(token: str) -> int:
    return _read(token, _PREFERENCES)


def _is_id(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _read(token: str, salt: str, *, max_age: dt.timedelta | None = None):
    if not isinstance(token, str) or len(token) > 500:
        raise BadToken
    try:
        value = signing.loads(token, salt=salt, max_age=max_age)
    except signing.BadSignature:  # SignatureExpired included
        raise BadToken from None
    if salt != _UNSUBSCRIBE and not _is_id(value):
        raise BadToken
    return value
