"""The API's shapes of members."""

import datetime as dt

from ninja import Schema
from pydantic import Field


class MembershipIn(Schema):
    enabled: bool
    groups: list[str] | None = Field(default=None, max_length=200)
    invite: bool = False
    language: str | None = Field(default=None, max_length=8)


class MembershipOut(Schema):
    enabled: bool
    member_since: dt.datetime | None
    last_sign_in_at: dt.datetime | None
    has_password: bool
    groups: list[str]


class SessionIn(Schema):
    email: str = Field(max_length=254)
    password: str = Field(max_length=200)


class SessionOut(Schema):
    token: str
    expires_at: dt.datetime
    groups: list[str]


class MemberMeOut(Schema):
    contact_id: int
    email: str
    first_name: str
    last_name: str
    member_since: dt.datetime
    groups: list[str]
