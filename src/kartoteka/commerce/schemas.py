"""Schemas of the commerce API. Events arrive as plain objects: each is checked on its own
(services.record_events), so one bad event is reported by its index, never refusing the batch."""

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Field, Schema


class EventsQuery(Schema):
    type: str = ""
    since: dt.datetime | None = Field(None, alias="from")
    until: dt.datetime | None = Field(None, alias="to")
    cursor: str = ""
    limit: int = Field(50, ge=1, le=200)


class EventsIn(Schema):
    events: list[dict[str, Any]] = Field(..., max_length=1000)
    create_contacts: bool = True


class RejectedOut(Schema):
    index: int
    errors: dict[str, str]


class EventsOut(Schema):
    accepted: int
    duplicates: int
    rejected: list[RejectedOut]


class LineOut(Schema):
    sku: str
    name: str
    price: Decimal | None
    quantity: int
    category: str
    url: str


class EventOut(Schema):
    id: str | None
    type: str
    occurred_at: dt.datetime
    value: Decimal | None
    currency: str
    converted_value: Decimal | None
    location: str
    coupon: str
    order: str
    method: str
    status: str
    details: dict[str, Any]
    products: list[LineOut]
    source: str


class EventPage(Schema):
    items: list[EventOut]
    next_cursor: str | None


class TopProductOut(Schema):
    sku: str
    name: str
    units: int


class EcommerceOut(Schema):
    currency: str
    total_value: Decimal
    average_cart: Decimal
    transactions: int
    refunds: int
    cancellations: int
    converted_events: int
    first_purchase_at: dt.datetime | None
    last_purchase_at: dt.datetime | None
    top_products: list[TopProductOut]


class CouponIn(Schema):
    code: str
    description: str = ""
    valid_from: dt.datetime | None = None
    valid_until: dt.datetime | None = None


class CouponPatch(Schema):
    description: str | None = None
    valid_from: dt.datetime | None = None
    valid_until: dt.datetime | None = None
    status: str | None = None


class CouponOut(Schema):
    id: int
    contact_id: int
    code: str
    description: str
    valid_from: dt.datetime | None
    valid_until: dt.datetime | None
    status: str
    source: str
    used_at: dt.datetime | None
    created_at: dt.datetime


class GenerateIn(Schema):
    filter: dict[str, Any] | None = None
    segment_id: int | None = None
    prefix: str = ""
    valid_until: dt.datetime | None = None
    description: str = ""


class GenerateOut(Schema):
    created: int


class EventTypeIn(Schema):
    name: str
    label: str


class EventTypeOut(Schema):
    name: str
    label: str
    built_in: bool


class ProductOut(Schema):
    sku: str
    name: str
    price: Decimal | None
    currency: str
    category: str
    url: str
    units: int
    revenue: Decimal
    buyers: int


class AnalyticsOut(Schema):
    by_hour: list[int]
    by_weekday: list[int]
    heatmap: list[list[int]]
