"""API shapes of tracked websites and visits."""

from datetime import date, datetime

from ninja import Schema


class SiteIn(Schema):
    name: str
    domains: list[str]
    respect_do_not_track: bool = True
    wait_for_consent: bool = False


class SiteOut(Schema):
    id: int
    name: str
    key: str
    domains: list[str]
    respect_do_not_track: bool
    wait_for_consent: bool
    snippet: str


class PageViewOut(Schema):
    url: str
    title: str
    viewed_at: datetime
    seconds: int


class VisitOut(Schema):
    id: int
    site: str
    started_at: datetime
    ended_at: datetime
    pages: int
    entry_url: str
    referrer: str
    device_type: str
    os: str
    browser: str
    utm: dict[str, str]
    ads: dict[str, str]
    page_views: list[PageViewOut]


class LinkIn(Schema):
    url: str
    expires_in_days: int = 30
    starts_monitoring: bool = False


class LinkOut(Schema):
    link: str
    expires_at: datetime


class ClicksOut(Schema):
    clicks: int
    matched: int
    unmatched: int


class PublicFileOut(Schema):
    id: int
    title: str
    name: str
    size: int
    content_type: str
    link: str
    downloads: int
    uploaded_at: datetime


class DownloadOut(Schema):
    file_id: int
    title: str
    downloaded_at: datetime


class AttributionRowOut(Schema):
    value: str
    new_contacts: int
    clients: int
    conversion_rate: float
    won_deals: int
    won_deals_value: float
    purchases_value: float
    won_value: float
    measures: dict[str, int]


class AttributionOut(Schema):
    group_by: str
    start: date
    end: date
    currency: str
    rows: list[AttributionRowOut]
    total: AttributionRowOut
    other_currency_deals: int
