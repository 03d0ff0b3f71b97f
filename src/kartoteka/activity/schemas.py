"""API shapes of notes, comments, tasks, files and notifications."""

from datetime import datetime

from ninja import Schema
from pydantic import Field

from kartoteka.activity.models import TaskStatus
from kartoteka.core.openapi import one_of


class BodyIn(Schema):
    body: str


class NoteOut(Schema):
    id: int
    contact_id: int
    body: str
    html: str
    author: str | None
    created_at: datetime
    updated_at: datetime


class CommentOut(Schema):
    id: int
    contact_id: int
    body: str
    html: str
    author: str | None
    mentions: list[str]
    # Team members named with @ who cannot see the contact, so were not told.
    not_notified: list[str] = []
    created_at: datetime


class TaskIn(Schema):
    title: str
    description: str = ""
    status: str = Field("open", json_schema_extra=one_of(*TaskStatus.values))
    due_at: datetime | None = None
    assignees: list[str] = []
    contacts: list[int] = []


class TaskPatch(Schema):
    title: str | None = None
    description: str | None = None
    status: str | None = Field(None, json_schema_extra=one_of(*TaskStatus.values, None))
    due_at: datetime | None = None
    assignees: list[str] | None = None
    contacts: list[int] | None = None


class ContactLinkIn(Schema):
    contact_id: int


class TaskOut(Schema):
    id: int
    title: str
    description: str
    status: str
    due_at: datetime | None
    completed_at: datetime | None
    created_at: datetime
    created_by: str | None
    assignees: list[str]
    contacts: list[int]


class FileOut(Schema):
    id: int
    contact_id: int
    name: str
    size: int
    content_type: str
    sha256: str
    uploaded_by: str | None
    uploaded_at: datetime
    removed_at: datetime | None
    download_url: str


class NotificationOut(Schema):
    id: int
    kind: str
    text: str
    contact_id: int | None
    task_id: int | None
    comment_id: int | None
    created_at: datetime
    read_at: datetime | None
