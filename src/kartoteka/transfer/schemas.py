"""Shapes of the import and export API."""

from datetime import datetime
from typing import Any

from ninja import Schema
from pydantic import Field

from kartoteka.core.openapi import one_of


class ImportOut(Schema):
    id: int
    status: str
    file_name: str
    format: str
    encoding: str
    delimiter: str
    headers: list[str]
    mapping: dict[str, str]
    update_existing: bool
    phone_region: str
    strict: bool
    tags: list[str]
    owner: str | None
    created_count: int
    updated_count: int
    unchanged_count: int
    failed_count: int
    warned_count: int
    rows_done: int
    total_rows: int | None
    percent: int
    rows_per_second: float
    seconds_left: int | None
    interrupted: bool
    next_row: int
    created_at: datetime
    finished_at: datetime | None
    reverted_at: datetime | None
    message: str


class ProblemOut(Schema):
    row: int
    level: str
    column: str
    value: str
    message: str
    cells: list[str]


class DryRunOut(Schema):
    created: int
    updated: int
    unchanged: int
    failed: int
    warned: int
    problems: list[ProblemOut]
    warnings: list[ProblemOut]


class RevertOut(Schema):
    id: int
    status: str
    kept: list[str]


class ExportIn(Schema):
    format: str = Field("csv", json_schema_extra=one_of("csv", "xlsx", "vcf"))
    columns: list[str] | None = None
    q: str = ""
    filter: dict[str, Any] | None = None
    segment_id: int | None = None
    ids: list[int] | None = None
    view: str = Field("", json_schema_extra=one_of("", "clients"))


class ExportOut(Schema):
    id: int
    status: str
    format: str
    columns: list[str]
    total_rows: int
    rows_done: int
    interrupted: bool
    download_url: str | None
    created_at: datetime
    finished_at: datetime | None
