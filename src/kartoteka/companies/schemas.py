"""API shapes of companies."""

from datetime import datetime
from typing import Any

from ninja import Schema
from pydantic import ConfigDict, Field

from kartoteka.companies.models import Size
from kartoteka.contacts.models import PropertyType
from kartoteka.core.openapi import one_of


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class PersonIn(Strict):
    contact: int = Field(..., description="The contact's id")
    role: str = ""
    job_title: str = ""
    primary: bool = Field(False, description="Make this the contact's primary company")


class CompanyIn(Strict):
    name: str
    domain: str = ""
    industry: str = ""
    size: str = Field("", json_schema_extra=one_of("", *Size.values))
    phone: str = ""
    street: str = ""
    city: str = ""
    postal_code: str = ""
    country: str = Field("", description="A country name or ISO code")
    properties: dict[str, Any] = Field(default_factory=dict, description="Custom details by key")
    people: list[PersonIn] = Field(default_factory=list)


class CompanyPatch(Strict):
    name: str | None = None
    domain: str | None = None
    industry: str | None = None
    size: str | None = Field(None, json_schema_extra=one_of("", *Size.values))
    phone: str | None = None
    street: str | None = None
    city: str | None = None
    postal_code: str | None = None
    country: str | None = None
    properties: dict[str, Any] | None = Field(
        None, description="Merged into the stored details; null removes one"
    )
    people: list[PersonIn] | None = Field(None, description="Added or updated (others stay)")
    remove_people: list[int] | None = Field(None, description="Contact ids to take off")


class PersonOut(Schema):
    contact: int
    name: str
    role: str
    job_title: str
    primary: bool


class DealRef(Schema):
    id: int
    name: str
    amount: str
    currency: str
    status: str
    stage: str


class CompanyOut(Schema):
    id: int
    name: str
    domain: str
    industry: str
    size: str
    phone: str
    street: str
    city: str
    postal_code: str
    country: str
    properties: dict[str, Any]
    people: list[PersonOut]
    deals: list[DealRef]
    created_at: datetime


class CompanyRow(Schema):
    id: int
    name: str
    domain: str
    industry: str
    size: str
    country: str
    people: int


class CompanyPage(Schema):
    items: list[CompanyRow]
    next_cursor: str | None


class CompanyListQuery(Schema):
    q: str = Field("", description="Words of the name or domain")
    industry: str = ""
    size: str = ""
    country: str = Field("", description="ISO code")
    limit: int = Field(50, description="Page size, 1–200")
    cursor: str = Field("", description="next_cursor of the previous page")


class CompanyMergeIn(Strict):
    survivor: int = Field(..., description="The company that stays")
    merged: int = Field(..., description="The duplicate merged into it and deleted")


class CompanyMergeOut(Schema):
    id: int
    survivor: int
    merged: int
    merged_at: datetime
    undone: bool


class CompanyFieldIn(Strict):
    key: str
    label: str
    type: str = Field(
        description="text, number, decimal, date, boolean, url, dictionary or multi_choice",
        json_schema_extra=one_of(*PropertyType.values),
    )
    choices: list[str] | None = None


class CompanyFieldPatch(Strict):
    label: str | None = None
    choices: list[str] | None = None
    position: int | None = Field(None, ge=0, lt=2**31)


class CompanyFieldOut(Schema):
    id: int
    key: str
    label: str
    type: str
    choices: list[str]
    position: int
