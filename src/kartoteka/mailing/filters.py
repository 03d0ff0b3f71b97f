"""The filter fields of mailing lists: `list` (subscribed to any of these lists; text form
`list:newsletter`) and `list.<key>` (the subscription's status on one list, e.g.
`list.newsletter:pending`). Registered from MailingConfig.ready()."""

from typing import Any

from django.db.models import Q, Subquery
from django.utils.translation import gettext_lazy as _

from kartoteka.mailing.models import MailingList, Subscription, SubscriptionStatus
from kartoteka.segments.fields import Field, linked_ids, register, register_family, related

GROUP = _("Mailing lists")


def _subscribed(keys: list[str] | None):
    rows = Subscription.objects.filter(status=SubscriptionStatus.SUBSCRIBED)
    if keys is not None:
        rows = rows.filter(mailing_list_id__in=_list_ids(keys))
    return rows.values_list("contact_id", flat=True)


def _list_ids(keys: list[str]) -> list[int]:
    return list(MailingList.objects.filter(key__in=keys).values_list("pk", flat=True))


def _list_choices() -> list[tuple[str, str]]:
    return list(MailingList.objects.order_by("name").values_list("key", "name"))


def _on_list(list_id: int, statuses: list[str] | None):
    """The ids of the contacts on the list (with one of these statuses, if given): one
    subscription per contact and list, so each contact once."""
    rows = Subscription.objects.filter(mailing_list_id=list_id)
    if statuses is not None:
        rows = rows.filter(status__in=statuses)
    return rows.values_list("contact_id", flat=True)


def _status_on(list_id: int):
    def build(op: str, value: Any) -> Q:
        if op in ("is_empty", "is_not_empty"):
            having = Q(pk__in=Subquery(_on_list(list_id, None)))
            return ~having if op == "is_empty" else having
        statuses = [value] if op in ("eq", "ne") else list(value)
        having = Q(pk__in=Subquery(_on_list(list_id, statuses)))
        return ~having if op in ("ne", "not_in") else having

    def ids(op: str, value: Any):
        """Counted from the (list, status, contact) index alone."""
        if op in ("eq", "in"):
            return _on_list(list_id, [value] if op == "eq" else list(value))
        return _on_list(list_id, None) if op == "is_not_empty" else None

    return build, ids


def _list_field(key: str) -> Field | None:
    found = MailingList.objects.filter(key=key).values_list("pk", "name").first()
    if found is None:
        return None
    list_id, name = found
    build, ids = _status_on(list_id)
    return Field(
        f"list.{key}",
        name,
        "choice",
        build,
        choices=lambda: list(SubscriptionStatus.choices),
        group=GROUP,
        normalise=str.lower,
        ids=ids,
    )


def register_fields() -> None:
    register(
        Field(
            "list",
            _("Subscribed to list"),
            "set",
            related(_subscribed),
            choices=_list_choices,
            group=GROUP,
            normalise=str.lower,
            ids=linked_ids(_subscribed, one_row_per_value=True),
        )
    )
    register_family("list", _list_field)
