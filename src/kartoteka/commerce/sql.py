"""Database values for the app's bulk statements, made without a field's per-value machinery
(Django's adapters cost more than the INSERT itself at a thousand events a batch)."""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db import connection


def time_adapter() -> Callable[[datetime], Any]:
    """How an aware datetime is stored: SQLite keeps naive text in the connection's zone
    (Django's own format), PostgreSQL takes the datetime as it is."""
    if connection.vendor == "sqlite":
        zone = connection.timezone
        return lambda value: str(value.astimezone(zone).replace(tzinfo=None))
    return lambda value: value


def json_adapter() -> Callable[[Any], Any]:
    ops = connection.ops
    return lambda value: ops.adapt_json_value(value, None)
