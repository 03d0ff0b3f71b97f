"""API shapes of forms and their submissions."""

from datetime import datetime
from typing import Any

from ninja import Schema


class FormIn(Schema):
    # Loosely typed on purpose: the service checks each value and names the bad ones.
    name: Any = None
    fields: Any = None
    consent_text: Any = None
    tags: Any = None
    mailing_list: Any = None
    owner: Any = None
    thank_you: Any = None
    redirect_url: Any = None


class FormFieldOut(Schema):
    key: str
    label: str
    type: str
    required: bool
    maps_to: str
    choices: list[str]


class FormOut(Schema):
    id: int
    key: str
    name: str
    fields: list[FormFieldOut]
    consent_text: str
    tags: list[str]
    mailing_list: int | None
    owner: str | None
    thank_you: str
    redirect_url: str
    page_url: str
    snippet: str


class SubmissionOut(Schema):
    id: int
    form_id: int
    form: str
    contact_id: int
    values: dict[str, Any]
    page_url: str
    ip: str | None
    submitted_at: datetime
