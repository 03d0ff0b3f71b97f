"""API shapes for data-subject requests."""

from datetime import datetime

from ninja import Schema


class MonitoringIn(Schema):
    enabled: bool


class MonitoringOut(Schema):
    id: int
    is_monitored: bool


class ForgetOut(Schema):
    id: int
    contact_id: int
    forgotten_at: datetime
    forgotten_by: str | None
    erased: dict[str, int]
