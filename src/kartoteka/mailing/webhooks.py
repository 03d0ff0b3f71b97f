"""Bounces and complaints reported by the mail provider. django-anymail receives the provider's
tracking webhook (mounted at /anymail/<esp>/tracking/, secured by ANYMAIL's WEBHOOK_SECRET),
normalises it and sends `anymail.signals.tracking`; a bounce or a complaint marks the address's
contact `bounced` / `complained` on every list it is on, on the timeline, and keeps the address
from being mailed again (a hashed suppression entry)."""

import contextlib

from django.db import transaction

from kartoteka.consents import services as consent_services
from kartoteka.contacts.models import Contact
from kartoteka.core.errors import InvalidInput
from kartoteka.core.normalise import fold_email
from kartoteka.core.scope import SYSTEM
from kartoteka.mailing.models import Subscription, SubscriptionSource, SubscriptionStatus

# anymail's normalised event types → the subscription status they lead to.
STATUSES = {"bounced": SubscriptionStatus.BOUNCED, "complained": SubscriptionStatus.COMPLAINED}
_REASONS = {"bounced": "bounce", "complained": "complaint"}


@transaction.atomic
def record_delivery_problem(address: str, event_type: str) -> int:
    """Mark every subscription of the contacts with `address` bounced or complained; returns
    how many changed. Unknown addresses and other event types change nothing."""
    from kartoteka.mailing.services import _set_status

    status = STATUSES.get(event_type)
    if status is None or not isinstance(address, str) or not address.strip():
        return 0
    folded = fold_email(address.strip())
    contact_ids = list(
        Contact.objects.filter(emails__email_folded=folded).values_list("pk", flat=True)
    )
    changed = 0
    for subscription in (
        Subscription.objects.select_for_update()
        .select_related("mailing_list")
        .filter(contact_id__in=contact_ids)
        .exclude(status=status)
        .order_by("pk")
    ):
        _set_status(SYSTEM, subscription, status, source=SubscriptionSource.PROVIDER)
        changed += 1
    # An address the e-mail channel cannot reach has nothing to be kept from.
    with contextlib.suppress(InvalidInput):
        consent_services.suppress(address.strip(), reason=_REASONS[event_type], channel="email")
    return changed


def on_tracking(sender, event, esp_name, **kwargs) -> None:
    """anymail's tracking signal: one normalised event of any provider."""
    if event.event_type in STATUSES and event.recipient:
        record_delivery_problem(event.recipient, event.event_type)
