"""The timeline kinds of mailing lists and e-mail, and their typed constructors; registered
from MailingConfig.ready(). The row-by-row and bulk writes build entries with the same ones."""

from datetime import datetime
from typing import Any

from django.utils.translation import gettext_lazy as _

from kartoteka.activity.timeline import Context, Description, Entry, TimelineKind
from kartoteka.mailing.models import SubscriptionSource


def _subscription(payload: dict, _context: Context) -> Description:
    name = str(payload.get("list") or "")
    source = dict(SubscriptionSource.choices).get(payload.get("source"), "")
    return Description(text=f"{name} · {source}" if source else name)


def _email(payload: dict, _context: Context) -> Description:
    subject = str(payload.get("subject") or "")
    error = str(payload.get("error") or "")
    parts = [subject, str(payload.get("list") or ""), error]
    return Description(text=" · ".join(p for p in parts if p))


# The person's own subscribing and leaving (a form, a confirmation link, the preferences page,
# an unsubscribe link) is their activity; staff putting them on a list or taking them off it
# (the card, a selection, a filter or segment, an import, the API) is not, as staff tagging
# them is not: a segment of everyone subscribed at once must not make every dormant contact
# look active to "no activity in 90 days".
SUBSCRIBED = TimelineKind(
    "list_subscribed", _("Subscribed to a list"), icon="✉", describe=_subscription
)
ADDED = TimelineKind(
    "list_added",
    _("Added to a list"),
    icon="✉",
    describe=_subscription,
    counts_as_activity=False,
)
PENDING = TimelineKind(
    "list_pending",
    _("Subscription awaiting confirmation"),
    icon="✉",
    describe=_subscription,
    counts_as_activity=False,
)
UNSUBSCRIBED = TimelineKind(
    "list_unsubscribed", _("Unsubscribed from a list"), icon="✉", describe=_subscription
)
REMOVED = TimelineKind(
    "list_removed",
    _("Taken off a list"),
    icon="✉",
    describe=_subscription,
    counts_as_activity=False,
)
EXPIRED = TimelineKind(
    "list_expired",
    _("Subscription not confirmed in time"),
    icon="✉",
    describe=_subscription,
    counts_as_activity=False,
)
# The mail provider reported the address bouncing, or the person marking an e-mail as spam.
BOUNCED = TimelineKind(
    "list_bounced",
    _("E-mail bounced: off the list"),
    icon="✉",
    describe=_subscription,
    counts_as_activity=False,
)
COMPLAINED = TimelineKind(
    "list_complained",
    _("Marked an e-mail as spam: off the list"),
    icon="✉",
    describe=_subscription,
    counts_as_activity=False,
)
EMAIL_SENT = TimelineKind("email_sent", _("E-mail sent"), icon="✉", describe=_email)
EMAIL_FAILED = TimelineKind(
    "email_failed", _("E-mail not sent"), icon="✉", describe=_email, counts_as_activity=False
)

KINDS = [
    SUBSCRIBED,
    ADDED,
    PENDING,
    UNSUBSCRIBED,
    REMOVED,
    EXPIRED,
    BOUNCED,
    COMPLAINED,
    EMAIL_SENT,
    EMAIL_FAILED,
]

BY_STATUS = {
    "subscribed": SUBSCRIBED,
    "pending": PENDING,
    "unsubscribed": UNSUBSCRIBED,
    "bounced": BOUNCED,
    "complained": COMPLAINED,
}
BY_STATUS_FROM_STAFF = {**BY_STATUS, "subscribed": ADDED, "unsubscribed": REMOVED}
STAFF_SOURCES = frozenset(
    {
        SubscriptionSource.CARD,
        SubscriptionSource.BULK,
        SubscriptionSource.FILTER,
        SubscriptionSource.SEGMENT,
        SubscriptionSource.IMPORT,
        SubscriptionSource.API,
    }
)


def subscription_changed(
    contact: Any,
    *,
    status: str,
    list_name: str,
    source: str,
    actor: Any,
    actor_label: str,
    occurred_at: datetime | None = None,
) -> Entry:
    """The entry of a subscription that became `status` (subscribed, pending, unsubscribed,
    bounced, complained): subscribed and unsubscribed through staff (`source`) are their own
    kinds, which do not count as the contact's activity."""
    by_status = BY_STATUS_FROM_STAFF if source in STAFF_SOURCES else BY_STATUS
    return by_status[status].entry(
        contact,
        actor=actor,
        actor_label=actor_label,
        payload={"list": list_name, "source": source},
        occurred_at=occurred_at,
    )


def subscription_expired(contact: Any, *, list_name: str, actor_label: str) -> Entry:
    return EXPIRED.entry(contact, actor_label=actor_label, payload={"list": list_name})


def email_sent(
    contact: Any, *, email: Any, list_name: str, occurred_at: datetime | None = None
) -> Entry:
    """A recipient's copy: the entry points at the recorded e-mail."""
    return EMAIL_SENT.entry(
        contact,
        actor_label="system",
        payload={"subject": email.subject, "list": list_name, "kind": email.kind},
        detail=email,
        occurred_at=occurred_at,
    )


def email_failed(contact: Any, *, email: Any, list_name: str, error: str) -> Entry:
    return EMAIL_FAILED.entry(
        contact,
        actor_label="system",
        payload={"subject": email.subject, "list": list_name, "error": error[:300]},
        detail=email,
    )
