"""Reads of mailing lists: lists with counts, subscribers, the chart of subscriptions per day,
the card's subscriptions and the recorded e-mails, each in the reader's scope."""

import datetime as dt
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from kartoteka.core.errors import InvalidInput, NotFound
from kartoteka.core.scope import SYSTEM, is_admin, visible_contacts
from kartoteka.mailing.models import (
    Mailing,
    MailingList,
    OutgoingEmail,
    SubscribeRun,
    Subscription,
    SubscriptionStatus,
)

STATUSES = [status for status, _label in SubscriptionStatus.choices]


def all_lists() -> QuerySet[MailingList]:
    return MailingList.objects.all()


def get_list(list_id: int) -> MailingList:
    found = MailingList.objects.filter(pk=list_id).first()
    if found is None:
        raise NotFound(_("No such list."))
    return found


def get_list_by_key(key: str) -> MailingList | None:
    if not isinstance(key, str) or len(key) > 60:
        return None
    return MailingList.objects.filter(key=key).first()


def find_list(reference: str) -> MailingList:
    """A list by its key, or by its id given as digits (the CLI's LIST argument)."""
    found = get_list_by_key(reference)
    if found is None and reference.isdigit():
        found = MailingList.objects.filter(pk=int(reference)).first()
    if found is None:
        raise NotFound(_("No list with the key or id %(ref)s.") % {"ref": reference})
    return found


def _subscriptions(actor) -> QuerySet[Subscription]:
    """Subscriptions of the contacts the actor sees."""
    if actor is SYSTEM or is_admin(actor):
        return Subscription.objects.all()
    return Subscription.objects.filter(contact__in=visible_contacts(actor))


def counts(actor, mailing_list: MailingList) -> dict[str, int]:
    """Subscribers per status, of the contacts the actor sees."""
    found = dict(
        _subscriptions(actor)
        .filter(mailing_list=mailing_list)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return {status: found.get(status, 0) for status in STATUSES}


def lists_with_counts(actor) -> list[tuple[MailingList, dict[str, int]]]:
    """Every list with its subscribers per status (in the actor's scope), in two queries."""
    lists = list(all_lists())
    rows = (
        _subscriptions(actor)
        .values_list("mailing_list_id", "status")
        .annotate(n=Count("pk"))
        .values_list("mailing_list_id", "status", "n")
    )
    found: dict[int, dict[str, int]] = {}
    for list_id, status, n in rows:
        found.setdefault(list_id, {})[status] = n
    return [
        (item, {status: found.get(item.pk, {}).get(status, 0) for status in STATUSES})
        for item in lists
    ]


def subscribers(actor, mailing_list: MailingList, *, status: str = "") -> QuerySet[Subscription]:
    if status and status not in STATUSES:
        raise InvalidInput(
            "status", _("Choose one of: %(choices)s.") % {"choices": ", ".join(STATUSES)}
        )
    rows = _subscriptions(actor).filter(mailing_list=mailing_list).select_related("contact")
    if status:
        rows = rows.filter(status=status)
    return rows.order_by("-status_at", "-pk")


def subscriptions_per_day(actor, mailing_list: MailingList, *, days: int = 30) -> list[dict]:
    """New subscriptions (now subscribed) per day over the last `days` days, every day listed."""
    today = timezone.localdate()
    start = today - dt.timedelta(days=days - 1)
    since = timezone.make_aware(dt.datetime.combine(start, dt.time.min))
    rows = (
        _subscriptions(actor)
        .filter(
            mailing_list=mailing_list,
            status=SubscriptionStatus.SUBSCRIBED,
            status_at__gte=since,
        )
        .annotate(day=TruncDate("status_at"))
        .values_list("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )
    per_day = dict(rows)
    return [
        {"day": start + dt.timedelta(days=i), "count": per_day.get(start + dt.timedelta(days=i), 0)}
        for i in range(days)
    ]


def contact_subscriptions(actor, contact_id: int) -> list[Subscription]:
    return list(
        _subscriptions(actor)
        .filter(contact_id=contact_id)
        .select_related("mailing_list")
        .order_by("mailing_list__name")
    )


def contact_emails(actor, contact_id: int, *, limit: int = 20) -> list[OutgoingEmail]:
    if not visible_contacts(actor).filter(pk=contact_id).exists():
        raise NotFound(_("No such contact."))
    return list(
        OutgoingEmail.objects.filter(contact_id=contact_id)
        .select_related("mailing_list")
        .order_by("-created_at", "-pk")[:limit]
    )


def get_email(actor, email_id: int) -> OutgoingEmail:
    """A recorded e-mail to a contact the actor sees (a timeline entry's detail)."""
    email = OutgoingEmail.objects.select_related("mailing_list", "contact").filter(pk=email_id)
    found = email.filter(contact__in=visible_contacts(actor)).first()
    if found is None:
        raise NotFound(_("No such e-mail."))
    return found


def mailings(mailing_list: MailingList, *, limit: int = 10) -> list[Mailing]:
    return list(Mailing.objects.filter(mailing_list=mailing_list)[:limit])


def get_mailing(mailing_id: int) -> Mailing:
    found = Mailing.objects.select_related("mailing_list").filter(pk=mailing_id).first()
    if found is None:
        raise NotFound(_("No such mailing."))
    return found


def get_run(actor, run_id: int) -> SubscribeRun:
    runs = SubscribeRun.objects.select_related("mailing_list").filter(pk=run_id)
    if not is_admin(actor):
        runs = runs.filter(created_by=actor)
    found = runs.first()
    if found is None:
        raise NotFound(_("No such run."))
    return found


def preferences(contact) -> list[Subscription]:
    """The lists a person sees on their preferences page: every list they were ever on."""
    return list(
        Subscription.objects.filter(contact=contact)
        .exclude(status=SubscriptionStatus.PENDING)
        .select_related("mailing_list")
        .order_by("mailing_list__name")
    )


def export_rows(actor, mailing_list: MailingList, *, status: str = "") -> Any:
    """(e-mail, first name, last name, status, source, since) of each subscriber."""
    return (
        subscribers(actor, mailing_list, status=status)
        .order_by("pk")
        .values_list(
            "contact__email",
            "contact__first_name",
            "contact__last_name",
            "status",
            "source",
            "status_at",
        )
        .iterator(chunk_size=2000)
    )


def subscribed_contact_ids(keys: list[str] | None, status: str | None = "subscribed"):
    """For the `list` filter: contact ids on the lists with `keys` (any list for None) with
    `status` (any status for None), as a values_list query."""
    rows = Subscription.objects.all()
    if keys is not None:
        rows = rows.filter(mailing_list__key__in=keys)
    if status is not None:
        rows = rows.filter(status=status)
    return rows.values_list("contact_id", flat=True)


def on_any(contact_id: int) -> bool:
    return Subscription.objects.filter(Q(contact_id=contact_id)).exists()
