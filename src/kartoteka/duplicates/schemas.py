"""API shapes for duplicate groups, merges and matching rules."""

from datetime import datetime
from typing import Any

from ninja import Schema
from pydantic import Field

from kartoteka.core.openapi import one_of


class GroupOut(Schema):
    id: int
    contact_ids: list[int]
    reasons: list[str]
    confidence: int
    exact: bool


class MergeIn(Schema):
    survivor: Any
    merged: Any
    fields: dict[str, Any] = {}


class MergeOut(Schema):
    id: int
    survivor: int
    merged_contact_id: int
    merged_at: datetime
    undo_until: datetime
    undone_at: datetime | None
    undo_report: list[dict]


class RuleIn(Schema):
    name: str
    conditions: list[dict[str, Any]]
    combine: str = Field("all", json_schema_extra=one_of("all", "any"))
    min_similarity: int = 88
    confidence: int = 80
    is_active: bool = True


class RulePatch(Schema):
    name: str | None = None
    conditions: list[dict[str, Any]] | None = None
    combine: str | None = Field(None, json_schema_extra=one_of("all", "any", None))
    min_similarity: int | None = None
    confidence: int | None = None
    is_active: bool | None = None


class RuleOut(Schema):
    id: int
    name: str
    conditions: list[dict[str, Any]]
    combine: str
    min_similarity: int
    confidence: int
    is_active: bool


class ScanOut(Schema):
    id: int
    state: str
    trigger: str
    requested_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    contacts_total: int
    contacts_read: int
    groups_found: int
    message: str
