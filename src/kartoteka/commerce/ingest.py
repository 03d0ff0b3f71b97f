"""Reading events sent from outside: one event checked on its own (one bad event never rejects
its batch), and the plan of what a batch writes — event rows, product lines, products seen,
timeline entries, totals changes, coupons used, shop ids learnt. services.record_events builds
the plan and runs it, for the API, the events import and the card's form alike."""

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

import pycountry
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from kartoteka.commerce import kinds, totals
from kartoteka.commerce.models import PaymentStatus
from kartoteka.core.errors import InvalidInput
from kartoteka.core.normalise import fold_email, normalise_email

MAX_BATCH = 1000
MAX_DETAILS = 20
MAX_LINES = 100
MAX_VALUE = Decimal("1000000000000")
CENT = Decimal("0.01")
# An event may be dated a little ahead of the server's clock (a shop's clock runs fast).
FUTURE_SLACK = dt.timedelta(days=1)
_ID = re.compile(r"^[\x21-\x7e]{1,100}$")


@dataclass
class Line:
    sku: str
    name: str
    price: Decimal | None
    quantity: int
    category: str
    url: str


@dataclass
class Checked:
    """One event that passed its checks, before its contact is known."""

    index: int
    client_id: str
    by: str  # "id", "external_id" or "email": how the contact is named
    ref: Any  # the contact id, the shop's id or the folded e-mail address
    email: str  # the address as sent (for a new contact), if any
    external_id: str  # the shop's id to learn for the contact, if any
    type: str
    occurred_at: dt.datetime
    value: Decimal | None
    currency: str
    amount: int | None
    rate: Decimal | None
    lines: list[Line]
    location: str
    coupon: str
    order_ref: str
    payment_method: str
    payment_status: str
    details: dict
    contact_id: int | None = None


@dataclass
class Plan:
    """What a batch writes, computed before anything is written."""

    events: list[Checked] = field(default_factory=list)

    def payload(self, event: Checked, workspace_currency: str) -> dict:
        """The event's timeline payload: small, and enough to render the entry."""
        payload: dict[str, Any] = {}
        if event.value is not None:
            payload["value"] = str(event.value)
            payload["currency"] = event.currency
            if event.rate is not None:
                payload["amount"] = str(Decimal(event.amount or 0) / 100)
                payload["workspace_currency"] = workspace_currency
        if event.lines and event.type in kinds.WITH_LINES:
            payload["lines"] = [
                [line.sku, line.name, line.quantity, str(line.price) if line.price else None]
                for line in event.lines[: kinds.LINES_SHOWN]
            ]
            if len(event.lines) > kinds.LINES_SHOWN:
                payload["more"] = len(event.lines) - kinds.LINES_SHOWN
        for key, value in (
            ("location", event.location),
            ("coupon", event.coupon),
            ("order", event.order_ref),
            ("method", event.payment_method),
            ("status", event.payment_status),
        ):
            if value:
                payload[key] = value
        return payload

    def changes(self, inserted: set[str]) -> dict[int, totals.Change]:
        """The totals changes of the events that were written (not the duplicates)."""
        found = []
        for event in self.events:
            if event.client_id not in inserted:
                continue
            change = totals.effect(
                event.type,
                amount=event.amount,
                payment_status=event.payment_status,
                occurred_at=event.occurred_at,
                converted=event.rate is not None,
            )
            if change is not None:
                found.append((event.contact_id, change))
        return totals.fold(found)


def clean_text(value: Any, name: str, limit: int, errors: dict, *, required: bool = False) -> str:
    if value is None or value == "":
        if required:
            errors[name] = _("This field is required.")
        return ""
    if not isinstance(value, str):
        errors[name] = _("Must be text.")
        return ""
    value = value.strip()
    if len(value) > limit:
        errors[name] = _("At most %(limit)s characters.") % {"limit": limit}
        return ""
    if "\x00" in value:
        errors[name] = _("Must not contain a NUL character.")
        return ""
    return value


def _decimal(value: Any, name: str, errors: dict) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        errors[name] = _("Must be a number.")
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        errors[name] = _("Must be a number.")
        return None
    if not number.is_finite() or number < 0 or number >= MAX_VALUE:
        errors[name] = _("Must be a number from 0 to 999,999,999,999.99.")
        return None
    return number.quantize(CENT, rounding=ROUND_HALF_EVEN)


def clean_currency(value: Any, name: str, errors: dict) -> str:
    code = clean_text(value, name, 3, errors).upper()
    if code and pycountry.currencies.get(alpha_3=code) is None:
        errors[name] = _("%(code)s is not an ISO 4217 currency code.") % {"code": code}
        return ""
    return code


def clean_time(value: Any, name: str, errors: dict, *, now: dt.datetime) -> dt.datetime | None:
    if not isinstance(value, str) or not value.strip():
        errors[name] = _("Give the time as ISO 8601, e.g. 2026-03-01T14:30:00+01:00.")
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        try:
            parsed = parse_datetime(value.strip())
        except ValueError:
            parsed = None
    if parsed is None:
        errors[name] = _("Give the time as ISO 8601, e.g. 2026-03-01T14:30:00+01:00.")
        return None
    if parsed.tzinfo is None:
        parsed = timezone.make_aware(parsed)
    if parsed > now + FUTURE_SLACK:
        errors[name] = _("The time is in the future.")
        return None
    if parsed.year < 1970:
        errors[name] = _("The time is before 1970.")
        return None
    return parsed


def _lines(value: Any, errors: dict) -> list[Line]:
    if value is None:
        return []
    if not isinstance(value, list):
        errors["products"] = _("Must be a list of product lines.")
        return []
    if len(value) > MAX_LINES:
        errors["products"] = _("At most %(limit)s product lines.") % {"limit": MAX_LINES}
        return []
    lines = []
    for number, raw in enumerate(value):
        where = f"products.{number}"
        if not isinstance(raw, dict):
            errors[where] = _("Must be an object with sku, name, price, quantity.")
            continue
        quantity = raw.get("quantity", 1)
        if (
            isinstance(quantity, bool)
            or not isinstance(quantity, int)
            or not 1 <= quantity <= 100000
        ):
            errors[f"{where}.quantity"] = _("Must be a whole number from 1 to 100,000.")
            quantity = 1
        lines.append(
            Line(
                sku=clean_text(raw.get("sku"), f"{where}.sku", 100, errors, required=True),
                name=clean_text(raw.get("name"), f"{where}.name", 255, errors),
                price=_decimal(raw.get("price"), f"{where}.price", errors),
                quantity=quantity,
                category=clean_text(raw.get("category"), f"{where}.category", 255, errors),
                url=clean_text(raw.get("url"), f"{where}.url", 2000, errors),
            )
        )
    return lines


def _details(value: Any, errors: dict) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        errors["details"] = _("Must be an object of names and values.")
        return {}
    if len(value) > MAX_DETAILS:
        errors["details"] = _("At most %(limit)s details.") % {"limit": MAX_DETAILS}
        return {}
    kept = {}
    for key, item in value.items():
        if not isinstance(key, str) or not 1 <= len(key) <= 50 or "\x00" in key:
            errors["details"] = _("Detail names are text of 1 to 50 characters.")
            return {}
        if isinstance(item, str):
            item = clean_text(item, f"details.{key}", 500, errors)
        elif isinstance(item, int) and not isinstance(item, bool) and abs(item) >= 2**63:
            errors[f"details.{key}"] = _("Must be a number.")
            continue
        elif item is not None and not isinstance(item, (bool, int, float)):
            errors[f"details.{key}"] = _("A detail is text, a number, true or false.")
            continue
        if isinstance(item, float) and not math.isfinite(item):  # JSON holds no NaN or infinity
            errors[f"details.{key}"] = _("Must be a number.")
            continue
        kept[key] = item
    return kept


def _contact(value: Any, errors: dict) -> tuple[str, Any, str, str]:
    """(how, reference, e-mail as sent, shop id to learn)."""
    if not isinstance(value, dict) or not value:
        errors["contact"] = _('Name the contact: {"email": …}, {"id": n} or {"external_id": …}.')
        return "", None, "", ""
    external = clean_text(value.get("external_id"), "contact.external_id", 100, errors)
    if value.get("id") is not None:
        contact_id = value["id"]
        whole = isinstance(contact_id, int) and not isinstance(contact_id, bool)
        if not whole or not 1 <= contact_id < 2**63:
            errors["contact.id"] = _("Must be a contact ID (a whole number).")
            return "", None, "", ""
        return "id", contact_id, "", external
    if value.get("email") not in (None, ""):
        try:
            address = normalise_email(value["email"], field="contact.email")
        except InvalidInput as exc:
            errors.update({k: v[0] for k, v in exc.errors.items()})
            return "", None, "", ""
        return "email", fold_email(address), address, external
    if external:
        return "external_id", external, "", ""
    errors["contact"] = _('Name the contact: {"email": …}, {"id": n} or {"external_id": …}.')
    return "", None, "", ""


def check_event(
    raw: Any,
    index: int,
    *,
    types: set[str],
    rates: dict[str, Decimal],
    workspace_currency: str,
    now: dt.datetime,
) -> tuple[Checked | None, dict[str, str]]:
    """One event checked on its own: (the event, {}) or (None, {field: message})."""
    errors: dict[str, str] = {}
    if not isinstance(raw, dict):
        return None, {"__all__": _("An event is an object.")}
    client_id = raw.get("id")
    if isinstance(client_id, int) and not isinstance(client_id, bool):
        client_id = str(client_id)
    if not isinstance(client_id, str) or not _ID.match(client_id):
        errors["id"] = _("Give each event your own id: 1 to 100 visible characters, no spaces.")
    by, ref, email, external = _contact(raw.get("contact"), errors)
    type_name = raw.get("type")
    if not isinstance(type_name, str) or type_name not in types:
        errors["type"] = _("Unknown event type; an admin registers custom types first.")
    occurred_at = clean_time(raw.get("occurred_at"), "occurred_at", errors, now=now)
    value = _decimal(raw.get("value"), "value", errors)
    currency = clean_currency(raw.get("currency"), "currency", errors)
    if value is not None and not currency:
        currency = "" if "currency" in errors else workspace_currency
    amount = rate = None
    if value is not None and currency:
        if currency == workspace_currency:
            amount = int(value * 100)
        elif currency in rates:
            rate = rates[currency]
            amount = int((value * rate * 100).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
        else:
            errors["currency"] = _(
                "No conversion rate from %(code)s to %(workspace)s; an admin sets it in Settings."
            ) % {"code": currency, "workspace": workspace_currency}
    status = clean_text(raw.get("status"), "status", 10, errors)
    if type_name == kinds.PAYMENT:
        status = status or PaymentStatus.PAID
        if status not in PaymentStatus.values:
            errors["status"] = _("A payment's status is paid, failed or refunded.")
    elif status:
        errors["status"] = _("Only payments have a status.")
    checked = Checked(
        index=index,
        client_id=client_id if isinstance(client_id, str) else "",
        by=by,
        ref=ref,
        email=email,
        external_id=external,
        type=type_name if isinstance(type_name, str) else "",
        occurred_at=occurred_at or now,
        value=value,
        currency=currency if value is not None else "",
        amount=amount,
        rate=rate,
        lines=_lines(raw.get("products"), errors),
        location=clean_text(raw.get("location"), "location", 255, errors),
        coupon=clean_text(raw.get("coupon"), "coupon", 64, errors),
        order_ref=clean_text(raw.get("order"), "order", 100, errors),
        payment_method=clean_text(raw.get("method"), "method", 50, errors),
        payment_status=status,
        details=_details(raw.get("details"), errors),
    )
    return (None, errors) if errors else (checked, {})
