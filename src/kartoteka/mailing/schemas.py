"""API shapes of mailing lists and their subscribers."""

from datetime import datetime
from typing import Any

from ninja import Schema
from pydantic import ConfigDict, Field


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class ListIn(Strict):
    key: str = Field(description="Lower-case letters, digits and dashes: /subscribe/<key>")
    name: str
    description: str = ""
    language: str = Field("en", description="en, es or pl: its e-mails and public pages")
    double_opt_in: bool = True
    consent_text: str = Field("", description="Shown on the form; a default when empty")


class ListPatch(Strict):
    key: str | None = None
    name: str | None = None
    description: str | None = None
    language: str | None = None
    double_opt_in: bool | None = None
    consent_text: str | None = None


class ListOut(Schema):
    id: int
    key: str
    name: str
    description: str
    language: str
    double_opt_in: bool
    consent_text: str
    counts: dict[str, int] = Field(description="Subscribers per status, in the caller's scope")
    subscribe_url: str
    created_at: datetime


class SubscribersIn(Strict):
    contacts: list[int] | None = Field(None, max_length=10_000)
    filter: dict[str, Any] | None = None
    segment_id: int | None = None
    double_opt_in: bool | None = Field(
        None,
        description="Ask those without consent to confirm by e-mail; the list's own"
        " setting when left out",
    )


class SubscribeOut(Schema):
    subscribed: int
    pending: int
    already: int
    refused: dict[str, int]
    reasons: dict[str, str] = Field(description="What each refusal reason means")


class SubscriberOut(Schema):
    contact_id: int
    email: str
    status: str
    source: str
    since: datetime


class SubscriberQuery(Schema):
    status: str = ""
    limit: int = Field(50, ge=1, le=200)
    cursor: str = ""


class SubscriberPage(Schema):
    items: list[SubscriberOut]
    next_cursor: str | None
