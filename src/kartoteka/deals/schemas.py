"""API shapes of pipelines, stages and deals."""

from datetime import date, datetime
from typing import Any

from ninja import Schema
from pydantic import ConfigDict, Field

from kartoteka.contacts.models import PropertyType
from kartoteka.core.openapi import one_of
from kartoteka.deals.models import StageKind


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class StageIn(Strict):
    id: int | None = Field(None, description="An existing stage (leave out for a new one)")
    name: str = ""
    probability: int = Field(0, description="Win probability in percent, 0–100")
    kind: str = Field(StageKind.OPEN, json_schema_extra=one_of(*StageKind.values))


class PipelineIn(Strict):
    name: str
    stages: list[StageIn]


class PipelinePatch(Strict):
    name: str | None = None
    stages: list[StageIn] | None = Field(
        None, description="The whole ordered list; stages left out are retired"
    )


class StageOut(Schema):
    id: int
    name: str
    probability: int
    kind: str
    position: int
    retired: bool


class PipelineOut(Schema):
    id: int
    name: str
    retired: bool
    stages: list[StageOut]


class DealFieldIn(Strict):
    key: str = Field(description="Lower-case letters, digits and _, starting with a letter")
    label: str
    type: str = Field(json_schema_extra=one_of(*PropertyType.values))
    choices: list[str] | None = Field(None, description="For dictionary and multi_choice")


class DealFieldPatch(Strict):
    label: str | None = None
    choices: list[str] | None = Field(
        None, description="The whole list; a choice a deal still holds cannot be removed"
    )


class DealFieldOut(Schema):
    id: int
    key: str
    label: str
    type: str
    choices: list[str]
    position: int


class DealFields(Strict):
    name: str | None = None
    amount: str | int | float | None = Field(None, description='Decimal, e.g. "1200.50"')
    currency: str | None = Field(None, description="ISO 4217 code, e.g. EUR")
    owner: str | None = Field(None, description="Username")
    type: str | int | None = Field(None, description="Deal type id, key or name")
    expected_close_date: date | None = None
    contacts: list[int] | None = None
    primary_contact: int | None = None
    properties: dict[str, Any] | None = None


class DealIn(DealFields):
    name: str
    pipeline: int | None = Field(None, description="Default: the first pipeline")
    stage: int | None = Field(None, description="Default: the pipeline's first open stage")


class DealPatch(DealFields):
    version: int | None = Field(None, description="Or send If-Match")


class MoveIn(Strict):
    stage: int
    reason: str = ""
    version: int | None = Field(None, description="Or send If-Match")


class DealContactOut(Schema):
    id: int
    name: str
    primary: bool


class DealOut(Schema):
    id: int
    name: str
    amount: str
    currency: str
    owner: str | None
    pipeline: int
    stage: int
    stage_name: str
    status: str
    type: str | None
    expected_close_date: date | None
    close_reason: str
    contacts: list[DealContactOut]
    properties: dict[str, Any]
    stage_entered_at: datetime
    closed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int


class DealPage(Schema):
    items: list[DealOut]
    next_cursor: str | None


class DealFilterQuery(Schema):
    pipeline: int | None = None
    stage: int | None = None
    owner: str = Field("", description="Username")
    contact: int | None = None
    company: int | None = None
    status: str = Field("", json_schema_extra=one_of("", *StageKind.values))
    limit: int = Field(50, description="Page size, 1–200")
    cursor: str = Field("", description="next_cursor of the previous page")


class ReportOut(Schema):
    model_config = ConfigDict(populate_by_name=True)

    pipeline: int
    currency: str
    start: date = Field(alias="from")
    end: date = Field(alias="to")
    by_stage: list[dict[str, Any]]
    forecast: list[dict[str, Any]]
    conversion: list[dict[str, Any]]
    by_owner: list[dict[str, Any]]
    by_source: list[dict[str, Any]]
    days_in_stage: list[dict[str, Any]]
    won_by_month: list[dict[str, Any]]


class ReportQuery(Schema):
    pipeline: int | None = Field(None, description="Default: the first pipeline")
    currency: str = Field("", description="Default: the currency most of its deals use")
    start: date | None = Field(None, alias="from", description="Default: a year ago")
    end: date | None = Field(None, alias="to", description="Default: six months ahead")
