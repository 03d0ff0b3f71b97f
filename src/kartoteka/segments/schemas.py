"""API shapes of contact search, saved filters, segments and the filter fields."""

from datetime import datetime
from typing import Any

from ninja import Schema
from pydantic import ConfigDict, Field

from kartoteka.contacts.schemas import ContactOut


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class SearchIn(Strict):
    filter: dict[str, Any] | None = Field(None, description="A filter document")
    q: str | None = Field(None, description="The compact text form, e.g. tag:vip country:ES")
    limit: int = Field(50, ge=1, le=200)
    cursor: str = Field("", description="next_cursor of the previous page")


class SearchOut(Schema):
    count: int
    items: list[ContactOut]
    next_cursor: str | None


class PageQuery(Schema):
    limit: int = Field(50, ge=1, le=200)
    cursor: str = ""


class NamedFilterIn(Strict):
    name: str
    filter: dict[str, Any] | None = None
    q: str | None = None
    shared: bool = False


class NamedFilterPatch(Strict):
    name: str | None = None
    filter: dict[str, Any] | None = None
    q: str | None = None
    shared: bool | None = None


class SavedFilterOut(Schema):
    id: int
    name: str
    owner: str
    shared: bool
    filter: dict[str, Any]
    can_change: bool
    created_at: datetime
    updated_at: datetime


class SegmentOut(SavedFilterOut):
    count: int | None = Field(
        description="Matching contacts in the caller's scope (null: it names a deleted detail)"
    )
    counted_at: datetime | None = Field(
        description="When the kept count was made (the owner's); null when counted for you now"
    )


class FieldOut(Schema):
    key: str
    label: str
    group: str
    type: str
    operators: list[str]
    choices: list[list[str]] | None
    pickable: bool = Field(
        False, description="Its values are listed with counts at /filter-fields/{key}/options"
    )


class OptionOut(Schema):
    value: str = Field(description="What a filter condition stores")
    label: str = Field(description="The value as the reader reads it")
    count: int = Field(description="How many of the caller's contacts have it")


class OptionsQuery(Schema):
    q: str = Field("", max_length=100, description="Words of the label start with this")
    limit: int = Field(50, ge=1, le=200)
