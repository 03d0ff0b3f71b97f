"""Every write of the commerce app: events (one plan, written in bulk, for the API, the import
and the card's form), custom event types, conversion rates, coupons, and totals kept in step
with merges."""

import datetime as dt
import json
import re
import secrets
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from kartoteka.activity import services as timeline
from kartoteka.activity import timeline as timeline_registry
from kartoteka.activity.models import Activity
from kartoteka.commerce import imports, ingest, kinds, sql, totals
from kartoteka.commerce.models import (
    ContactKey,
    Coupon,
    CouponSource,
    CouponStatus,
    CurrencyRate,
    EventLine,
    EventSource,
    EventType,
    ExternalEvent,
    Product,
    Totals,
)
from kartoteka.contacts import services as contacts
from kartoteka.contacts.models import Source
from kartoteka.core import events as domain_events
from kartoteka.core.bulkwrite import insert_json, insert_values, json_rows, json_values
from kartoteka.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from kartoteka.core.scope import is_admin, system_label, user_or_none, visible_contacts


def workspace_currency() -> str:
    return settings.KARTOTEKA_CURRENCY


@dataclass
class Outcome:
    """What a batch did: how many events were written, how many were sent before, and why
    each refused event was refused (by its index in the batch)."""

    accepted: int = 0
    duplicates: int = 0
    rejected: list[dict] = field(default_factory=list)
    event_ids: list[int] = field(default_factory=list)

    def reject(self, index: int, errors: dict[str, str]) -> None:
        self.rejected.append({"index": index, "errors": errors})


def event_types() -> set[str]:
    """Every type an event may have: the built-in ones and those an admin registered."""
    custom = dict(EventType.objects.values_list("name", "label"))
    for name, label in custom.items():
        kinds.register_custom(name, label)
    return {*kinds.BUILT_IN, *custom}


def conversion_rates() -> dict[str, Decimal]:
    return dict(CurrencyRate.objects.values_list("currency", "rate"))


@transaction.atomic
def record_events(
    actor,
    raw_events: Sequence[Any],
    *,
    create_contacts: bool = True,
    source: str = EventSource.API,
    batch: str = "",
    actor_label: str = "",
) -> Outcome:
    """Record a batch of events sent from outside (at most MAX_BATCH): each is checked on its
    own, an id seen before is a duplicate, the rest are written in bulk with their timeline
    entries and totals. Contacts are found in the actor's scope; an unknown e-mail creates a
    contact (source API, owned by a sales user who sends it) unless `create_contacts` is off."""
    if len(raw_events) > ingest.MAX_BATCH:
        raise InvalidInput(
            "events", _("At most %(limit)s events in one batch.") % {"limit": ingest.MAX_BATCH}
        )
    return _recorded(actor, raw_events, create_contacts, source, batch, actor_label)


def _recorded(actor, raw_events, create_contacts, source, batch, actor_label) -> Outcome:
    outcome = Outcome()
    now = timezone.now()
    currency = workspace_currency()
    types, rates = event_types(), conversion_rates()
    raw_ids = [
        str(raw.get("id")) if isinstance(raw, dict) and raw.get("id") is not None else ""
        for raw in raw_events
    ]
    known = _known_ids({i for i in raw_ids if i})
    seen: set[str] = set()
    checked: list[ingest.Checked] = []
    for index, raw in enumerate(raw_events):
        if raw_ids[index] and (raw_ids[index] in known or raw_ids[index] in seen):
            outcome.duplicates += 1
            continue
        event, errors = ingest.check_event(
            raw, index, types=types, rates=rates, workspace_currency=currency, now=now
        )
        if event is None:
            outcome.reject(index, errors)
            continue
        seen.add(event.client_id)
        checked.append(event)
    label = actor_label or system_label(actor)
    plan = ingest.Plan(_with_contacts(actor, checked, outcome, create_contacts, label))
    inserted = write_plan(actor, plan, source=source, batch=batch, actor_label=label)
    outcome.accepted = len(inserted)
    outcome.duplicates += len(plan.events) - len(inserted)
    outcome.event_ids = sorted(inserted.values())
    outcome.rejected.sort(key=lambda item: item["index"])
    return outcome


def _known_ids(ids: set[str]) -> set[str]:
    """The ids among `ids` that events stored already carry: one query for the batch."""
    if not ids:
        return set()
    table = connection.ops.quote_name(ExternalEvent._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT client_id FROM {table} WHERE client_id IN ({json_values('text')})",
            [json_rows(sorted(ids))],
        )
        return {client_id for (client_id,) in cursor.fetchall()}


def _among(values: set) -> RawSQL:
    """`values` as a subquery of one parameter, for `field__in=`: one statement, whatever the
    batch's size (an IN list of a thousand parameters costs Django more than the query)."""
    first = next(iter(values), None)
    return RawSQL(
        json_values("text" if isinstance(first, str) else "bigint"), [json_rows(sorted(values))]
    )


def _with_contacts(
    actor,
    checked: list[ingest.Checked],
    outcome: Outcome,
    create_contacts: bool,
    label: str,
) -> list[ingest.Checked]:
    """The events whose contact is found in the actor's scope (or created, the batch's unknown
    addresses together through contacts' bulk service), with its id; the others rejected.
    Behaviour of a contact whose monitoring is stopped is refused."""
    scope = visible_contacts(actor)
    by_id = {e.ref for e in checked if e.by == "id"}
    by_email = {e.ref for e in checked if e.by == "email"}
    by_key = {e.ref for e in checked if e.by == "external_id"}
    keys = (
        dict(
            ContactKey.objects.filter(external_id__in=_among(by_key)).values_list(
                "external_id", "contact_id"
            )
        )
        if by_key
        else {}
    )
    named = {*by_id, *keys.values()}
    monitored: dict[int, bool] = (
        dict(scope.filter(pk__in=_among(named)).values_list("pk", "is_monitored")) if named else {}
    )
    emails: dict[str, int] = {}

    def find_emails(folded: set[str]) -> None:
        for key, contact_id, is_monitored in scope.filter(
            emails__email_folded__in=_among(folded)
        ).values_list("emails__email_folded", "pk", "is_monitored"):
            emails[key] = contact_id
            monitored[contact_id] = is_monitored

    if by_email:
        find_emails(by_email)
    unknown = {e.ref: e.email for e in checked if e.by == "email" and e.ref not in emails}
    if unknown and create_contacts:
        created = contacts.create_contacts_by_email(
            actor, emails=unknown.values(), source=Source.API, actor_label=label
        )
        emails.update(created)
        monitored.update(dict.fromkeys(created.values(), True))
        # Held by a contact already: one outside the actor's scope (refused below), or one a
        # concurrent batch has just created (found now).
        held = set(unknown) - set(created)
        if held:
            find_emails(held)
    kept = []
    for event in checked:
        contact_id = None
        if event.by == "id":
            contact_id = event.ref if event.ref in monitored else None
        elif event.by == "external_id":
            contact_id = keys.get(event.ref)
            contact_id = contact_id if contact_id in monitored else None
        else:
            contact_id = emails.get(event.ref)
        if contact_id is None:
            outcome.reject(event.index, {"contact": _("No such contact.")})
            continue
        if not monitored[contact_id] and kinds.is_behavioural(event.type):
            outcome.reject(
                event.index,
                {"contact": _("Monitoring of this contact is stopped: its behaviour is not kept.")},
            )
            continue
        event.contact_id = contact_id
        kept.append(event)
    return kept


def write_plan(
    actor, plan: ingest.Plan, *, source: str, batch: str, actor_label: str
) -> dict[str, int]:
    """Write a plan in bulk: the events (an id already stored, even by a batch committed a
    moment ago, is skipped), then for the written ones their lines, the products seen, the
    timeline entries, the totals, the coupons used and the shop ids learnt. Returns
    {client id: event id} of the events written."""
    if not plan.events:
        return {}
    currency = workspace_currency()
    now = timezone.now()
    creator = getattr(user_or_none(actor), "pk", None)
    rows = [
        [
            event.client_id,
            event.contact_id,
            event.type,
            event.occurred_at,
            now,
            event.value,
            event.currency,
            event.amount,
            event.rate,
            event.location,
            event.coupon,
            event.order_ref,
            event.payment_method,
            event.payment_status,
            event.details,
            source,
            batch,
            creator,
        ]
        for event in plan.events
    ]
    inserted = _insert_events(rows)
    written = [e for e in plan.events if e.client_id in inserted]
    line_rows = [
        (
            inserted[e.client_id],
            line.sku,
            line.name,
            line.price,
            line.quantity,
            line.category,
            line.url,
        )
        for e in written
        for line in e.lines
    ]
    insert_json(
        EventLine, ["event_id", "sku", "name", "price", "quantity", "category", "url"], line_rows
    )
    _products_seen(written)
    timeline.record_many(
        [
            kinds.event_entry(
                e.contact_id,
                type_name=e.type,
                occurred_at=e.occurred_at,
                actor=user_or_none(actor),
                actor_label=actor_label,
                payload=plan.payload(e, currency),
                event_id=inserted[e.client_id],
            )
            for e in written
        ],
        insert=_insert_entries,
    )
    totals.add_changes(plan.changes(set(inserted)))
    _coupons_used(written)
    _learn_keys(written)
    domain_events.publish_many(
        "event.received",
        [
            {"contact_id": e.contact_id, "event_id": inserted[e.client_id], "type": e.type}
            for e in written
        ],
    )
    return inserted


def _insert_entries(names: list[str], entries: Sequence) -> None:
    """The timeline entries as database values (time and payload made text here), in one
    statement for the batch."""
    adapt_time = sql.time_adapter()
    time_at, payload_at = names.index("occurred_at"), names.index("payload")
    rows = []
    for entry in entries:
        row = list(entry)
        row[time_at] = adapt_time(row[time_at])
        row[payload_at] = json.dumps(row[payload_at])
        rows.append(row)
    insert_json(Activity, names, rows)


_EVENT_COLUMNS = [
    "client_id",
    "contact_id",
    "type",
    "occurred_at",
    "received_at",
    "value",
    "currency",
    "amount",
    "rate",
    "location",
    "coupon",
    "order_ref",
    "payment_method",
    "payment_status",
    "details",
    "source",
    "batch",
    "created_by_id",
]


def _insert_events(rows: list[list]) -> dict[str, int]:
    """INSERT the event rows in one statement, skipping any whose client id is stored (ON
    CONFLICT DO NOTHING: on PostgreSQL a concurrent batch with the same ids waits for the first
    to commit and then skips them); {client id: new id} of the rows written. Rows hold the
    time and details as they come; they are made database values here."""
    adapt_time = sql.time_adapter()
    time_at, received_at = _EVENT_COLUMNS.index("occurred_at"), _EVENT_COLUMNS.index("received_at")
    details_at = _EVENT_COLUMNS.index("details")
    received = adapt_time(rows[0][received_at])
    for row in rows:
        row[time_at] = adapt_time(row[time_at])
        row[received_at] = received
        row[details_at] = json.dumps(row[details_at])
    returned = insert_json(
        ExternalEvent,
        _EVENT_COLUMNS,
        rows,
        tail="ON CONFLICT (client_id) DO NOTHING RETURNING id, client_id",
    )
    return {client_id: pk for pk, client_id in returned}


_PRODUCT_COLUMNS = [
    "sku",
    "name",
    "price",
    "currency",
    "category",
    "url",
    "first_seen_at",
    "last_seen_at",
]


def _products_seen(written: list[ingest.Checked]) -> None:
    """Keep each SKU in the catalogue with the newest event's name, price, category and URL:
    one upsert for the batch."""
    newest: dict[str, tuple] = {}
    for event in written:
        for line in event.lines:
            found = newest.get(line.sku)
            if found is None or event.occurred_at >= found[0]:
                first = found[1] if found else event.occurred_at
                newest[line.sku] = (event.occurred_at, min(first, event.occurred_at), line, event)
            else:
                newest[line.sku] = (found[0], min(found[1], event.occurred_at), found[2], found[3])
    if not newest:
        return
    table = connection.ops.quote_name(Product._meta.db_table)
    adapt_time = sql.time_adapter()
    rows = [
        [
            sku,
            line.name,
            line.price,
            event.currency if line.price is not None else "",
            line.category,
            line.url,
            adapt_time(first),
            adapt_time(last),
        ]
        # One order for every writer: no deadlock between batches.
        for sku, (last, first, line, event) in sorted(newest.items())
    ]
    newer = f"excluded.last_seen_at >= {table}.last_seen_at"
    insert_json(
        Product,
        _PRODUCT_COLUMNS,
        rows,
        tail="ON CONFLICT (sku) DO UPDATE SET"
        f" name = CASE WHEN {newer} AND excluded.name <> '' THEN excluded.name"
        f" ELSE {table}.name END,"
        f" price = CASE WHEN {newer} AND excluded.price IS NOT NULL THEN excluded.price"
        f" ELSE {table}.price END,"
        f" currency = CASE WHEN {newer} AND excluded.price IS NOT NULL THEN excluded.currency"
        f" ELSE {table}.currency END,"
        f" category = CASE WHEN {newer} AND excluded.category <> '' THEN excluded.category"
        f" ELSE {table}.category END,"
        f" url = CASE WHEN {newer} AND excluded.url <> '' THEN excluded.url ELSE {table}.url END,"
        f" first_seen_at = CASE WHEN excluded.first_seen_at < {table}.first_seen_at"
        f" THEN excluded.first_seen_at ELSE {table}.first_seen_at END,"
        f" last_seen_at = CASE WHEN excluded.last_seen_at > {table}.last_seen_at"
        f" THEN excluded.last_seen_at ELSE {table}.last_seen_at END",
    )


def _coupons_used(written: list[ingest.Checked]) -> None:
    """A purchase carrying one of its contact's available coupons marks it used (the batch's
    first purchase with it): one statement for the batch."""
    used: dict[tuple[int, str], dt.datetime] = {}
    for event in written:
        if event.type == kinds.PURCHASE and event.coupon:
            used.setdefault((event.contact_id, event.coupon), event.occurred_at)
    if not used:
        return
    table = connection.ops.quote_name(Coupon._meta.db_table)
    adapt_time = sql.time_adapter()
    if connection.vendor == "postgresql":
        source = (
            "SELECT (value ->> 0)::bigint AS contact_id, value ->> 1 AS code,"
            " (value ->> 2)::timestamptz AS used_at FROM json_array_elements(%s::json)"
        )
    else:
        source = (
            "SELECT value ->> 0 AS contact_id, value ->> 1 AS code, value ->> 2 AS used_at"
            " FROM json_each(%s)"
        )
    rows = [[contact_id, code, adapt_time(at)] for (contact_id, code), at in sorted(used.items())]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET status = %s, used_at = used.used_at FROM ({source}) AS used"
            f" WHERE {table}.contact_id = used.contact_id AND {table}.code = used.code"
            f" AND {table}.status = %s",
            [CouponStatus.USED, json_rows(rows), CouponStatus.AVAILABLE],
        )


def _learn_keys(written: list[ingest.Checked]) -> None:
    """An event naming a contact and the shop's id for it: later events may use the id alone."""
    pairs = {
        e.external_id: e.contact_id for e in written if e.external_id and e.by != "external_id"
    }
    if not pairs:
        return
    taken = set(
        ContactKey.objects.filter(external_id__in=pairs).values_list("external_id", flat=True)
    )
    ContactKey.objects.bulk_create(
        [ContactKey(external_id=k, contact_id=c) for k, c in pairs.items() if k not in taken],
        ignore_conflicts=True,
    )


def record_event_by_hand(actor, contact, *, data: dict) -> ExternalEvent:
    """An offline event recorded on the card (a purchase in the shop, a call-in payment): the
    same check and plan as the API's, for one event. InvalidInput names the fields."""
    raw = {**data, "id": f"manual-{uuid.uuid4().hex}", "contact": {"id": contact.pk}}
    outcome = record_events(actor, [raw], create_contacts=False, source=EventSource.MANUAL)
    if outcome.rejected:
        raise InvalidInput(errors={k: [v] for k, v in outcome.rejected[0]["errors"].items()})
    return ExternalEvent.objects.get(pk=outcome.event_ids[0])


def recount_contacts(contact_ids: list[int]) -> None:
    """Several contacts' totals folded again from their raw events, a chunk at a time."""
    ordered = sorted(set(contact_ids))
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        Totals.objects.filter(contact_id__in=chunk).delete()
        rows = ExternalEvent.objects.filter(contact_id__in=chunk).values_list(
            "contact_id", "type", "amount", "payment_status", "occurred_at", "rate"
        )
        totals.add_changes(totals.from_events(rows))


def recount_contact(contact_id: int) -> None:
    """One contact's totals folded again from its raw events (after a merge or an undo)."""
    rows = ExternalEvent.objects.filter(contact_id=contact_id).values_list(
        "contact_id", "type", "amount", "payment_status", "occurred_at", "rate"
    )
    change = totals.from_events(rows).get(contact_id)
    if change is None:
        Totals.objects.filter(contact_id=contact_id).delete()
        return
    Totals.objects.update_or_create(
        contact_id=contact_id,
        defaults={
            "total": change.total,
            "transactions": change.transactions,
            "average_cart": change.average_cart,
            "refunds": change.refunds,
            "cancellations": change.cancellations,
            "converted": change.converted,
            "first_purchase_at": change.first_purchase_at,
            "last_purchase_at": change.last_purchase_at,
        },
    )


def after_merge(*, event: str, contact_id: int, **payload: Any) -> None:
    """Subscriber of contact.merged / contact.merge_undone: the events moved with the merge
    (or back), so the contacts' totals are folded again from them."""
    with transaction.atomic():
        recount_contact(contact_id)
        restored = payload.get("restored_contact_id")
        if restored:
            recount_contact(restored)


# --------------------------------------------------------------------------------------------
# Custom event types and conversion rates (admins)


def _require_admin(actor) -> None:
    if not is_admin(actor):
        raise Forbidden(_("Only admins may do this."))


@transaction.atomic
def register_event_type(actor, *, name: Any, label: Any) -> EventType:
    _require_admin(actor)
    if not isinstance(name, str) or not _TYPE_NAME.match(name.strip()):
        raise InvalidInput(
            "name", _("A type name is 2 to 40 lower-case letters, digits or _, from a letter.")
        )
    name = name.strip()
    # Another app's kind of entry may not be shadowed; a custom type registered in this process
    # before (and since removed from the database) may be registered again.
    taken = {
        k.key for k in timeline_registry.registered() if not isinstance(k.label, kinds.CustomLabel)
    }
    if name in kinds.BUILT_IN or name in taken:
        raise Conflict(_("This name is taken by another kind of timeline entry."), field="name")
    if not isinstance(label, str) or not label.strip() or len(label.strip()) > 100:
        raise InvalidInput("label", _("Give a label of 1 to 100 characters."))
    try:
        with transaction.atomic():
            created = EventType.objects.create(
                name=name, label=label.strip(), created_at=timezone.now()
            )
    except IntegrityError:
        raise Conflict(_("This event type exists already."), field="name") from None
    kinds.register_custom(created.name, created.label)
    return created


@transaction.atomic
def set_rate(actor, *, currency: Any, rate: Any) -> CurrencyRate | None:
    """Set (or with an empty rate, remove) how much one unit of `currency` is worth in the
    workspace currency. Events already recorded keep the rate they were converted at."""
    _require_admin(actor)
    errors: dict[str, str] = {}
    code = ingest.clean_currency(currency, "currency", errors)
    if errors or not code:
        raise InvalidInput("currency", errors.get("currency") or _("Give an ISO 4217 code."))
    if code == workspace_currency():
        raise InvalidInput("currency", _("This is the workspace currency."))
    if rate in (None, ""):
        CurrencyRate.objects.filter(currency=code).delete()
        return None
    try:
        value = Decimal(str(rate).strip().replace(",", "."))
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or not Decimal("0.00000001") <= value < 10**9:
        raise InvalidInput("rate", _("A rate is a positive number."))
    found, _created = CurrencyRate.objects.update_or_create(
        currency=code,
        defaults={
            "rate": value.quantize(Decimal("0.00000001")),
            "updated_at": timezone.now(),
            "updated_by": user_or_none(actor),
        },
    )
    return found


# --------------------------------------------------------------------------------------------
# Coupons

_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: codes are read aloud
_TYPE_NAME = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
_CODE = re.compile(r"^[A-Za-z0-9_-]{3,64}$")
_PREFIX = re.compile(r"^[A-Za-z0-9_-]{0,20}$")
# Coupons may be valid for years ahead; their dates are checked against this horizon.
_COUPON_HORIZON = dt.timedelta(days=36500)


def _clean_coupon(data: dict, *, partial: bool) -> dict:
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    now = timezone.now()
    if "code" in data or not partial:
        code = data.get("code")
        if not isinstance(code, str) or not _CODE.match(code.strip()):
            errors["code"] = [_("A code is 3 to 64 letters, digits, - or _.")]
        else:
            cleaned["code"] = code.strip().upper()
    if "description" in data:
        text: dict[str, str] = {}
        cleaned["description"] = ingest.clean_text(
            data.get("description"), "description", 255, text
        )
        if text:
            errors["description"] = list(text.values())
    for name in ("valid_from", "valid_until"):
        if data.get(name) in (None, ""):
            if name in data:
                cleaned[name] = None
            continue
        value = data[name]
        if hasattr(value, "isoformat"):
            value = value.isoformat()
        found: dict[str, str] = {}
        cleaned[name] = ingest.clean_time(value, name, found, now=now + _COUPON_HORIZON)
        if found:
            errors[name] = list(found.values())
    start, end = cleaned.get("valid_from"), cleaned.get("valid_until")
    if start and end and end < start:
        errors["valid_until"] = [_("Must not be before the start.")]
    if "status" in data:
        if data["status"] not in (CouponStatus.AVAILABLE, CouponStatus.USED):
            errors["status"] = [_("A coupon is available or used.")]
        else:
            cleaned["status"] = data["status"]
    if errors:
        raise InvalidInput(errors=errors)
    return cleaned


def _require_contact(actor, contact_id: int):
    contact = visible_contacts(actor).filter(pk=contact_id).first()
    if contact is None or not contacts.can_edit(actor, contact):
        raise NotFound(_("No such contact."))
    return contact


@transaction.atomic
def add_coupon(actor, contact, *, data: dict, source: str = CouponSource.MANUAL) -> Coupon:
    contact = _require_contact(actor, contact.pk)
    cleaned = _clean_coupon(data, partial=False)
    try:
        with transaction.atomic():
            return Coupon.objects.create(
                contact=contact,
                code=cleaned["code"],
                description=cleaned.get("description", ""),
                valid_from=cleaned.get("valid_from"),
                valid_until=cleaned.get("valid_until"),
                source=source,
                created_at=timezone.now(),
            )
    except IntegrityError:
        raise Conflict(_("This code is taken."), field="code") from None


@transaction.atomic
def update_coupon(actor, coupon: Coupon, *, data: dict) -> Coupon:
    _require_contact(actor, coupon.contact_id)
    cleaned = _clean_coupon(data, partial=True)
    cleaned.pop("code", None)
    for name, value in cleaned.items():
        setattr(coupon, name, value)
    if cleaned.get("status") == CouponStatus.USED and coupon.used_at is None:
        coupon.used_at = timezone.now()
    if cleaned.get("status") == CouponStatus.AVAILABLE:
        coupon.used_at = None
    coupon.save()
    return coupon


def _random_code(prefix: str) -> str:
    return prefix + "".join(secrets.choice(_CODE_ALPHABET) for _ in range(10))


@transaction.atomic
def generate_coupons(
    actor, contact_ids: list[int], *, prefix: Any, valid_until: Any, description: Any
) -> int:
    """One new unique code (prefix + 10 random characters) for each contact; returns how
    many. Codes are never repeated: a clash with a stored code draws again."""
    if not isinstance(prefix, str) or not _PREFIX.match(prefix):
        raise InvalidInput("prefix", _("A prefix is up to 20 letters, digits, - or _."))
    cleaned = _clean_coupon(
        {"code": "XXX", "valid_until": valid_until, "description": description or ""},
        partial=False,
    )
    prefix = prefix.upper()
    now = timezone.now()
    created = 0
    ordered = sorted(set(contact_ids))
    for start in range(0, len(ordered), 1000):
        chunk = ordered[start : start + 1000]
        codes = {_random_code(prefix) for _ in chunk}
        while True:
            taken = set(Coupon.objects.filter(code__in=codes).values_list("code", flat=True))
            codes -= taken
            if len(codes) >= len(chunk):
                break
            codes |= {_random_code(prefix) for _ in range(len(chunk) - len(codes))}
        rows = [
            (contact_id, code, cleaned.get("description", ""), cleaned.get("valid_until"),
             CouponStatus.AVAILABLE, CouponSource.GENERATED, now)
            for contact_id, code in zip(chunk, sorted(codes)[: len(chunk)], strict=True)
        ]  # fmt: skip
        insert_values(
            Coupon,
            ["contact_id", "code", "description", "valid_until", "status", "source", "created_at"],
            rows,
        )
        created += len(rows)
    return created


def forget_mentions(mentions) -> int:
    """Take a forgotten person out of other contacts' event details (privacy.mentions);
    returns the rows changed."""
    changed = 0
    rows = mentions.candidates(ExternalEvent.objects.all(), ("details",))
    for event_id, details in rows.values_list("pk", "details").iterator():
        redacted = mentions.redact(details)
        if redacted != details:
            ExternalEvent.objects.filter(pk=event_id).update(details=redacted)
            changed += 1
    return changed


# --------------------------------------------------------------------------------------------
# Events import (CSV): one event per row, through record_events


@dataclass
class ImportOutcome:
    batch: str
    rows: int = 0
    accepted: int = 0
    duplicates: int = 0
    # {"row": line of the file, "errors": {field: message}, "cells": the row as read}
    rejected: list[dict] = field(default_factory=list)
    dry_run: bool = False


def import_events(
    actor,
    rows: Iterable[dict[str, str]],
    *,
    create_contacts: bool = True,
    dry_run: bool = False,
    batch: str = "",
) -> ImportOutcome:
    """Record the events of an import, `rows` being each event's mapped cells (imports.py
    reads and maps the file) with its line number under "__line__". Events go through
    record_events a thousand at a time, marked with the import's batch so it can be reverted;
    a dry run checks and writes everything, then rolls it back."""
    outcome = ImportOutcome(batch=batch or f"import-{uuid.uuid4().hex[:12]}", dry_run=dry_run)
    label = f"import {outcome.batch}"

    def send(chunk: list[dict]) -> None:
        events = [imports.event_from_row(row) for row in chunk]
        done = record_events(
            actor,
            events,
            create_contacts=create_contacts,
            source=EventSource.IMPORT,
            batch=outcome.batch,
            actor_label=label,
        )
        outcome.accepted += done.accepted
        outcome.duplicates += done.duplicates
        for item in done.rejected:
            row = chunk[item["index"]]
            cells = {k: v for k, v in row.items() if k != "__line__"}
            outcome.rejected.append(
                {"row": row["__line__"], "errors": item["errors"], "cells": cells}
            )

    with transaction.atomic():
        chunk: list[dict] = []
        for row in rows:
            outcome.rows += 1
            chunk.append(row)
            if len(chunk) == ingest.MAX_BATCH:
                send(chunk)
                chunk = []
        if chunk:
            send(chunk)
        if dry_run:
            transaction.set_rollback(True)
    return outcome


@transaction.atomic
def revert_events_import(actor, batch: str) -> int:
    """Take back every event an import wrote: rows, product lines, timeline entries and the
    totals they added (folded again from the events left). Admins, or whoever sent them."""
    found = ExternalEvent.objects.filter(batch=batch) if batch else ExternalEvent.objects.none()
    if not is_admin(actor):
        found = found.filter(created_by=user_or_none(actor))
    ids = list(found.values_list("pk", flat=True))
    if not ids:
        raise NotFound(_("No events of this import."))
    contact_ids = list(found.exclude(contact=None).values_list("contact_id", flat=True).distinct())
    timeline.erase_entries_of("commerce.externalevent", ids)
    for start in range(0, len(ids), 900):
        ExternalEvent.objects.filter(pk__in=ids[start : start + 900]).delete()
    recount_contacts(contact_ids)
    return len(ids)
