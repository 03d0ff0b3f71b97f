"""Signed links of members' e-mails (set a password: invitation and reset; confirm being
forgotten) and the area's session key. A link carries the member's id and a fingerprint of the
current password hash, so it stops working once the password changes: each is used once."""

import datetime as dt

from django.core import signing
from django.utils.crypto import salted_hmac

INVITE_MAX_AGE = dt.timedelta(days=7)
RESET_MAX_AGE = dt.timedelta(hours=2)
FORGET_MAX_AGE = dt.timedelta(days=1)

_PASSWORD = "kartoteka.members.password"
_FORGET = "kartoteka.members.forget"


class BadToken(Exception):
    """A link that was changed, is too old, was already used, or was never ours."""


def fingerprint(member_id: int, password_hash: str) -> str:
    return salted_hmac("kartoteka.members.fingerprint", f"{member_id}:{password_hash}").hexdigest()[
        :20
    ]


def password_token(member_id: int, password_hash: str, *, invite: bool) -> str:
    return signing.dumps(
        [member_id, fingerprint(member_id, password_hash), int(invite)], salt=_PASSWORD
    )


def read_password_token(token: str) -> tuple[int, str]:
    """(member id, fingerprint) of a set-password link; BadToken when not valid."""
    value = _read(token, _PASSWORD, max_age=INVITE_MAX_AGE)
    if not (isinstance(value, list) and len(value) == 3 and _is_id(value[0])):
        raise BadToken
    member_id, print_, invite = value
    if not isinstance(print_, str) or invite not in (0, 1):
        raise BadToken
    if not invite:  # a reset link lives shorter than an invitation
        _read(token, _PASSWORD, max_age=RESET_MAX_AGE)
    return member_id, print_


def forget_token(member_id: int) -> str:
    return signing.dumps(member_id, salt=_FORGET)


def read_forget_token(token: str) -> int:
    value = _read(token, _FORGET, max_age=FORGET_MAX_AGE)
    if not _is_id(value):
        raise BadToken
    return value


def _is_id(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _read(token: str, salt: str, *, max_age: dt.timedelta):
    if not isinstance(token, str) or len(token) > 500:
        raise BadToken
    try:
        return signing.loads(token, salt=salt, max_age=max_age)
    except signing.BadSignature:  # SignatureExpired included
        raise BadToken from None
