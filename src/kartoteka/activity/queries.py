"""Reads of the timeline, always through the actor's scope."""

from django.db.models import QuerySet

from kartoteka.activity.models import Activity
from kartoteka.core.scope import visible_contacts


def timeline(actor, contact_id: int, *, kinds: list[str] | None = None) -> QuerySet[Activity]:
    """A contact's timeline, newest first; empty when the actor may not see the contact."""
    entries = Activity.objects.filter(
        contact_id=contact_id, contact__in=visible_contacts(actor).filter(pk=contact_id)
    ).select_related("actor")
    if kinds:
        entries = entries.filter(kind__in=kinds)
    return entries.order_by("-occurred_at", "-id")
