"""eCommerce totals: what one event does to its contact's totals, folded over many events, and
kept on the contact's Totals row by one upsert per batch (never recounted on read).

The same fold serves ingest (a batch's changes, added to the stored totals) and a recount of
one contact from its raw events (after a merge), so the two cannot drift."""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection

from kartoteka.commerce import kinds, sql
from kartoteka.commerce.models import PaymentStatus, Totals
from kartoteka.core.bulkwrite import insert_json


@dataclass
class Change:
    """What some events add to one contact's totals (money in hundredths)."""

    total: int = 0
    transactions: int = 0
    refunds: int = 0
    cancellations: int = 0
    converted: int = 0
    first_purchase_at: dt.datetime | None = None
    last_purchase_at: dt.datetime | None = None

    def add(self, other: "Change") -> None:
        self.total += other.total
        self.transactions += other.transactions
        self.refunds += other.refunds
        self.cancellations += other.cancellations
        self.converted += other.converted
        self.first_purchase_at = _earliest(self.first_purchase_at, other.first_purchase_at)
        self.last_purchase_at = _latest(self.last_purchase_at, other.last_purchase_at)

    @property
    def average_cart(self) -> int:
        return average(self.total, self.transactions)

    def is_empty(self) -> bool:
        return self == Change()


def average(total: int, transactions: int) -> int:
    """The average cart in hundredths, truncated toward zero as both databases divide."""
    if transactions <= 0:
        return 0
    quotient = abs(total) // transactions
    return quotient if total >= 0 else -quotient


def _earliest(a: dt.datetime | None, b: dt.datetime | None) -> dt.datetime | None:
    return b if a is None else a if b is None else min(a, b)


def _latest(a: dt.datetime | None, b: dt.datetime | None) -> dt.datetime | None:
    return b if a is None else a if b is None else max(a, b)


def effect(
    type_name: str,
    *,
    amount: int | None,
    payment_status: str,
    occurred_at: dt.datetime,
    converted: bool,
) -> Change | None:
    """What one event does to its contact's totals, or None if nothing. A purchase (and a paid
    payment) adds its value and a transaction; a refund (and a refunded payment) takes its
    value off; a cancellation takes its value and its transaction off."""
    value = amount or 0
    mark = 1 if converted else 0
    if type_name == kinds.PURCHASE or (
        type_name == kinds.PAYMENT and payment_status == PaymentStatus.PAID
    ):
        return Change(value, 1, 0, 0, mark, occurred_at, occurred_at)
    if type_name == kinds.REFUND or (
        type_name == kinds.PAYMENT and payment_status == PaymentStatus.REFUNDED
    ):
        return Change(-value, 0, 1, 0, mark)
    if type_name == kinds.CANCELLATION:
        return Change(-value, -1, 0, 1, mark)
    return None


def fold(changes: Iterable[tuple[int, Change]]) -> dict[int, Change]:
    """The changes of many events added up per contact."""
    by_contact: dict[int, Change] = {}
    for contact_id, change in changes:
        found = by_contact.get(contact_id)
        if found is None:
            by_contact[contact_id] = found = Change()
        found.add(change)
    return by_contact


_COLUMNS = (
    "contact_id",
    "total",
    "transactions",
    "average_cart",
    "refunds",
    "cancellations",
    "converted",
    "first_purchase_at",
    "last_purchase_at",
)


def add_changes(changes: dict[int, Change]) -> None:
    """Add the changes to the stored totals, creating the rows that do not exist yet: one
    statement for the batch. The caller holds the transaction."""
    if not changes:
        return
    table = connection.ops.quote_name(Totals._meta.db_table)
    adapt = sql.time_adapter()
    added = ", ".join(
        f"{name} = {table}.{name} + excluded.{name}"
        for name in ("total", "transactions", "refunds", "cancellations", "converted")
    )
    rows = [
        [
            contact_id,
            change.total,
            change.transactions,
            change.average_cart,
            change.refunds,
            change.cancellations,
            change.converted,
            adapt(change.first_purchase_at) if change.first_purchase_at else None,
            adapt(change.last_purchase_at) if change.last_purchase_at else None,
        ]
        # One order for every writer: no deadlock between batches.
        for contact_id, change in sorted(changes.items())
    ]
    insert_json(
        Totals,
        list(_COLUMNS),
        rows,
        tail=f"ON CONFLICT (contact_id) DO UPDATE SET {added},"
        f" average_cart = CASE WHEN {table}.transactions + excluded.transactions > 0"
        f" THEN ({table}.total + excluded.total)"
        f" / ({table}.transactions + excluded.transactions) ELSE 0 END,"
        f" first_purchase_at = CASE WHEN {table}.first_purchase_at IS NULL"
        f" OR excluded.first_purchase_at < {table}.first_purchase_at"
        f" THEN excluded.first_purchase_at ELSE {table}.first_purchase_at END,"
        f" last_purchase_at = CASE WHEN {table}.last_purchase_at IS NULL"
        f" OR excluded.last_purchase_at > {table}.last_purchase_at"
        f" THEN excluded.last_purchase_at ELSE {table}.last_purchase_at END",
    )


def from_events(rows: Iterable[tuple]) -> dict[int, Change]:
    """Totals folded from raw events: (contact_id, type, amount, payment_status, occurred_at,
    rate) rows."""
    found = []
    for contact_id, type_name, amount, status, occurred_at, rate in rows:
        change = effect(
            type_name,
            amount=amount,
            payment_status=status,
            occurred_at=occurred_at,
            converted=rate is not None,
        )
        if change is not None:
            found.append((contact_id, change))
    return fold(found)
