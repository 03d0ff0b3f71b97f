"""The event types and their timeline kinds: each built-in type is a kind of its own (its key
is the type's name, so behaviour filters such as did:purchase>=2/30d know it), and a custom
type an admin registers becomes one too. Registered from CommerceConfig.ready()."""

from typing import Any

from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kartoteka.activity import timeline
from kartoteka.activity.timeline import Context, Description, Entry, TimelineKind
from kartoteka.commerce.models import PaymentStatus
from kartoteka.core import display

PURCHASE = "purchase"
CART = "cart"
CANCELLATION = "cancellation"
REFUND = "refund"
PAYMENT = "payment"
DOWNLOAD = "download"
REGISTRATION = "registration"

BUILT_IN_LABELS = {
    PURCHASE: gettext_lazy("Purchase"),
    CART: gettext_lazy("Cart"),
    CANCELLATION: gettext_lazy("Cancellation"),
    REFUND: gettext_lazy("Refund"),
    PAYMENT: gettext_lazy("Payment"),
    DOWNLOAD: gettext_lazy("File download"),
    REGISTRATION: gettext_lazy("Registration"),
}
BUILT_IN = tuple(BUILT_IN_LABELS)
# Money changes hands: kept even for a contact whose monitoring is stopped.
TRANSACTIONS = frozenset({PURCHASE, CANCELLATION, REFUND, PAYMENT})
# Types whose events may carry product lines shown on the timeline.
WITH_LINES = frozenset({PURCHASE, CART, CANCELLATION, REFUND})
ICONS = {PURCHASE: "¤", CART: "⊞", CANCELLATION: "✕", REFUND: "↩", PAYMENT: "≡", DOWNLOAD: "↓"}
# How many product lines a timeline entry carries; the tab shows them all.
LINES_SHOWN = 10


def is_behavioural(type_name: str) -> bool:
    """Behaviour (carts, downloads, custom types), which stopped monitoring refuses."""
    return type_name not in TRANSACTIONS and type_name != REGISTRATION


def _money(payload: dict) -> str:
    if payload.get("value") in (None, ""):
        return ""
    text = display.money(payload["value"], payload.get("currency")) or str(payload["value"])
    if payload.get("amount") not in (None, ""):
        text += " " + _("(%(amount)s %(currency)s converted)") % {
            "amount": display.number(payload["amount"], 2),
            "currency": payload.get("workspace_currency", ""),
        }
    return text


def _facts(payload: dict) -> list[str]:
    facts = []
    money = _money(payload)
    if money:
        facts.append(money)
    if payload.get("status"):
        status = str(payload["status"])
        facts.append(str(dict(PaymentStatus.choices).get(status, status)))
    if payload.get("method"):
        facts.append(str(payload["method"]))
    if payload.get("order"):
        facts.append(_("order %(order)s") % {"order": payload["order"]})
    if payload.get("location"):
        facts.append(str(payload["location"]))
    if payload.get("coupon"):
        facts.append(_("coupon %(code)s") % {"code": payload["coupon"]})
    return facts


def _price(price: Any, payload: dict) -> str:
    if price is None:
        return "—"
    return display.money(price, payload.get("currency")) or str(price)


def describe(payload: dict, _context: Context) -> Description:
    """An event's entry: its value (and what it converted to), its facts, and its product
    lines as a small table with the total."""
    facts = " · ".join(_facts(payload))
    lines = payload.get("lines") or []
    if not lines:
        label = payload.get("label") or ""
        return Description(text=" · ".join(part for part in (label, facts) if part))
    rows = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (line[0], line[1], display.number(line[2]) or line[2], _price(line[3], payload))
            for line in lines
        ),
    )
    more = payload.get("more") or 0
    html = format_html(
        "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>"
        "<tbody>{}</tbody></table><p><strong>{}</strong> {}{}</p>",
        _("SKU"),
        _("Product"),
        _("Quantity"),
        _("Price"),
        rows,
        _("Total:"),
        facts or "—",
        format_html(" ({})", _("%(count)s more lines") % {"count": more}) if more else "",
    )
    return Description(html=timeline.sanitised(html))


def kind_for(type_name: str, label: Any) -> TimelineKind:
    return TimelineKind(type_name, label, icon=ICONS.get(type_name, "◆"), describe=describe)


KINDS = [kind_for(name, label) for name, label in BUILT_IN_LABELS.items()]


class CustomLabel:
    """A custom type's label as the admin last wrote it, read when shown: a label edited later
    shows on every entry without registering the kind again."""

    labels: dict[str, str] = {}

    def __init__(self, name: str) -> None:
        self.name = name

    def __str__(self) -> str:
        return self.labels.get(self.name) or self.name.replace("_", " ").capitalize()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CustomLabel) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)


def register_custom(name: str, label: str) -> None:
    """Make a custom type a timeline kind in this process, under its current label."""
    CustomLabel.labels[name] = label
    timeline.register(kind_for(name, CustomLabel(name)))


def event_entry(
    contact_id: int,
    *,
    type_name: str,
    occurred_at: Any,
    actor: Any,
    actor_label: str,
    payload: dict,
    event_id: int,
) -> Entry:
    """The timeline entry of one event, pointing at its row."""
    return Entry(
        contact_id=contact_id,
        kind=type_name,
        occurred_at=occurred_at,
        actor_id=getattr(actor, "pk", None),
        actor_label=actor_label,
        payload=payload,
        detail_type="commerce.externalevent",
        detail_id=event_id,
    )
