"""API shapes for consents and blocking."""

from datetime import datetime
from typing import Any

from ninja import Field, Schema


class ConsentIn(Schema):
    channel: str = Field(description="email, sms, phone or push")
    purpose: str = Field(description="processing, marketing or a purpose an admin defined")
    status: str = Field(description="granted or withdrawn")
    source: str = Field(
        "api",
        description="form, double_opt_in, import, api, staff, preferences, unsubscribe, member"
        " or bounce",
    )
    proof: dict[str, Any] | None = Field(
        None,
        description="text_version, page_url, ip, user_agent, message_id, import_file, where",
    )
    given_at: datetime | None = Field(None, description="when it was given (now if left out)")


class ConsentStateOut(Schema):
    channel: str
    purpose: str
    status: str
    given_at: datetime
    source: str


class ConsentEntryOut(Schema):
    id: int
    channel: str
    purpose: str
    status: str
    given_at: datetime
    recorded_at: datetime
    source: str
    proof: dict[str, Any]
    recorded_by: str


class BlockOut(Schema):
    reason: str
    blocked_at: datetime


class ConsentsOut(Schema):
    current: list[ConsentStateOut]
    history: list[ConsentEntryOut]
    blocked: BlockOut | None
    suppressed: list[str] = Field(
        description="channels on which an address of the contact is suppressed: only new"
        " consent (a form, a confirmation, the preferences page, staff) lifts that"
    )


class BlockIn(Schema):
    blocked: bool
    reason: str


class BlockStateOut(Schema):
    id: int
    blocked: bool
