"""The consent and blocking fields of the filter language, registered from ready():

    consent:email            marketing consent on e-mail in force (consent:email,sms: either)
    consent.email:withdrawn  the marketing consent on e-mail: granted, withdrawn or none
    consent.sms.processing:granted   another purpose
    blocked:no

They read the state table (one indexed row per contact, channel and purpose), never the ledger.
"""

from typing import Any

from django.db.models import Exists, OuterRef, Q
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kartoteka.consents import queries
from kartoteka.consents.models import Channel, ConsentState
from kartoteka.segments.fields import Field, register, register_family

DEFAULT_PURPOSE = "marketing"
STATUSES = ("granted", "withdrawn", queries.NONE)
GROUP = _("Consents")


def _status_choices() -> list[tuple[str, str]]:
    return [(status, queries.status_label(status)) for status in STATUSES]


def _having(channel: str, purpose: str, status: str) -> Q:
    """Contacts whose consent in force on channel and purpose has this status. EXISTS, not IN:
    negated (`none`, `-consent:email`) it stays an anti-join, where PostgreSQL runs NOT IN over
    a subquery too large for its memory row by row."""
    if status == queries.NONE:
        return ~Q(Exists(queries.consent_of_contact(channel, purpose, None)))
    return Q(Exists(queries.consent_of_contact(channel, purpose, status)))


def _status_field(channel: str, purpose: str, label: Any) -> Field:
    def build(op: str, value: Any) -> Q:
        if op == "is_empty":
            return _having(channel, purpose, queries.NONE)
        if op == "is_not_empty":
            return ~_having(channel, purpose, queries.NONE)
        if op in ("ne", "not_in"):
            return ~build("eq" if op == "ne" else "in", value)
        values = [value] if op == "eq" else list(value)
        result = Q(pk__in=[])
        for status in values:
            result |= _having(channel, purpose, status)
        return result

    def ids(op: str, value: Any):
        if op == "eq" and value != queries.NONE:
            return queries.with_consent(channel, purpose, value).values_list(
                "contact_id", flat=True
            )
        if op == "is_not_empty" or (op == "ne" and value == queries.NONE):
            # Any status: the contacts with a state row (one per contact, channel and purpose),
            # whose complement is `none` (see segments.compile.complement_source).
            return ConsentState.objects.filter(channel=channel, purpose=purpose).values_list(
                "contact_id", flat=True
            )
        return None

    key = f"consent.{channel}" if purpose == DEFAULT_PURPOSE else f"consent.{channel}.{purpose}"
    return Field(
        key=key,
        label=label,
        type="choice",
        build=build,
        choices=_status_choices,
        group=GROUP,
        normalise=str.lower,
        ids=ids,
    )


def _granted_on_channels(op: str, value: Any) -> Q:
    """`consent`: contacts with marketing consent granted on any (has_any) or all channels."""

    def on(channel: str) -> Q:
        return _having(channel, DEFAULT_PURPOSE, "granted")

    if op in ("is_empty", "is_not_empty"):
        granted = Q(
            Exists(
                ConsentState.objects.filter(
                    contact_id=OuterRef("pk"), purpose=DEFAULT_PURPOSE, status="granted"
                )
            )
        )
        return ~granted if op == "is_empty" else granted
    if op == "has_all":
        result = Q()
        for channel in value:
            result &= on(channel)
        return result
    result = Q(pk__in=[])
    for channel in value:
        result |= on(channel)
    return ~result if op == "has_none" else result


def _granted_ids(op: str, value: Any):
    if op == "has_any" and len(value) == 1:
        return queries.with_consent(value[0], DEFAULT_PURPOSE, "granted").values_list(
            "contact_id", flat=True
        )
    return None


def _purpose_field(name: str) -> Field | None:
    """consent.<channel>.<purpose> for any purpose there is."""
    channel, dot, purpose = name.partition(".")
    if not dot or channel not in Channel.values or purpose not in queries.purpose_keys():
        return None
    label = gettext("%(channel)s consent: %(purpose)s") % {
        "channel": queries.channel_label(channel),
        "purpose": queries.purpose_names().get(purpose, purpose),
    }
    return _status_field(channel, purpose, label)


def _blocked(op: str, value: Any) -> Q:
    blocked = Q(Exists(queries.block_of_contact()))
    if op == "is_empty":
        return ~blocked
    if op == "is_not_empty":
        return blocked
    return blocked if value else ~blocked


def _marketing_label(channel: Any) -> Any:
    """ "E-mail marketing consent", in the language of whoever reads it."""
    return lazy(lambda: gettext("%(channel)s marketing consent") % {"channel": channel}, str)()


def register_filter_fields() -> None:
    register(
        Field(
            "consent",
            _("Marketing consent on"),
            "set",
            _granted_on_channels,
            choices=lambda: list(Channel.choices),
            group=GROUP,
            normalise=str.lower,
            ids=_granted_ids,
        )
    )
    for channel, label in Channel.choices:
        register(_status_field(channel, DEFAULT_PURPOSE, _marketing_label(label)))
    register_family("consent", _purpose_field)
    register(Field("blocked", _("Blocked"), "boolean", _blocked, group=GROUP))
