"""Reads of contacts, always starting from the actor's scope."""

import datetime as dt
from collections.abc import Callable

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from kartoteka.activity import queries as activity_queries
from kartoteka.activity.models import Activity
from kartoteka.contacts import statuses as lead_statuses
from kartoteka.contacts.models import BulkChange, Contact, ContactTag, PropertyDefinition, Tag
from kartoteka.contacts.search import search_words
from kartoteka.core.errors import NotFound
from kartoteka.core.scope import visible_contacts


def with_card_data(contacts: QuerySet[Contact]) -> QuerySet[Contact]:
    """Prefetch everything a contact's API shape or card header shows, in a fixed query count."""
    return contacts.select_related("company").prefetch_related(
        "emails",
        "phones",
        "messengers",
        "owners",
        Prefetch("tag_links", queryset=ContactTag.objects.select_related("tag", "added_by")),
    )


def get_contact(actor, contact_id: int, *, card_data: bool = True) -> Contact:
    """The contact if the actor may see it; NotFound otherwise (never "forbidden"). Without
    `card_data`, the row alone, for a page that shows none of its e-mails, phones, owners
    and tags."""
    visible = visible_contacts(actor)
    contact = (with_card_data(visible) if card_data else visible).filter(pk=contact_id).first()
    if contact is None:
        raise NotFound(_("No such contact."))
    return contact


def get_bulk_change(actor, change_id: int) -> BulkChange:
    """A bulk change of the list, to the user who asked for it only."""
    change = BulkChange.objects.filter(pk=change_id, created_by_id=actor.pk).first()
    if change is None:
        raise NotFound(_("No such bulk change."))
    return change


def search_contacts(actor, text: str) -> QuerySet[Contact]:
    """Contacts whose name, e-mail, phone or company contain every word of `text`."""
    return visible_contacts(actor).filter(search_words("search_text")("contains", text))


def filter_contacts(
    actor,
    *,
    search: str = "",
    tag: str = "",
    owner: str = "",
    status: str = "",
    source: str = "",
    created_from: dt.datetime | None = None,
    created_to: dt.datetime | None = None,
) -> QuerySet[Contact]:
    """The quick filters shared by the API list and the web list."""
    contacts = search_contacts(actor, search) if search else visible_contacts(actor)
    if tag:
        contacts = contacts.filter(tag_links__tag__name_folded=tag.casefold())
    if owner:
        contacts = contacts.filter(ownerships__user__username__iexact=owner)
    if status:
        contacts = contacts.filter(status=status)
    if source:
        contacts = contacts.filter(source=source)
    if created_from:
        contacts = contacts.filter(created_at__gte=created_from)
    if created_to:
        contacts = contacts.filter(created_at__lt=created_to)
    return contacts


def keyset_page(
    contacts: QuerySet[Contact],
    *,
    after_id: int | None,
    limit: int,
    rows: Callable[[QuerySet[Contact]], QuerySet[Contact]] = lambda page: page,
) -> tuple[list[Contact], int | None]:
    """One page, newest id first, starting after `after_id`; returns (items, next after_id).

    The page's ids are read first, then their rows by id (shaped by `rows`, e.g.
    with_card_data): when the database finds the matches through an index and must sort them,
    it sorts bare ids instead of whole rows, and the filter is not evaluated again for the rows.
    """
    if after_id is not None:
        contacts = contacts.filter(pk__lt=after_id)
    ids = list(contacts.order_by("-pk").values_list("pk", flat=True)[: limit + 1])
    page = ids[:limit]
    items = sorted(rows(Contact.objects.filter(pk__in=page)), key=lambda c: -c.pk) if page else []
    next_after = page[-1] if len(ids) > limit else None
    return items, next_after


def timeline_page(
    actor,
    contact_id: int,
    *,
    after: tuple[dt.datetime, int] | None,
    limit: int,
    kinds: list[str] | None = None,
) -> tuple[list[Activity], tuple[dt.datetime, int] | None]:
    """One page of a visible contact's timeline (NotFound if the actor may not see it)."""
    get_contact(actor, contact_id)
    return activity_queries.timeline_page(actor, contact_id, after=after, limit=limit, kinds=kinds)


def get_property_definition(key: str) -> PropertyDefinition:
    definition = PropertyDefinition.objects.filter(key=key).first()
    if definition is None:
        raise NotFound(_("No custom detail with the key %(key)s.") % {"key": repr(key)})
    return definition


def clients(actor) -> QuerySet[Contact]:
    """Won contacts, newest client first."""
    return visible_contacts(actor).filter(lead_statuses.load().clients()).order_by("-won_at", "-pk")


def all_tags() -> QuerySet[Tag]:
    return Tag.objects.order_by("name")


def get_tag(name: str) -> Tag:
    """The tag of this name (in any case)."""
    tag = Tag.objects.filter(name_folded=name.strip().casefold()).first()
    if tag is None:
        raise NotFound(_("No tag named %(name)s.") % {"name": repr(name)})
    return tag


def all_property_definitions() -> QuerySet[PropertyDefinition]:
    return PropertyDefinition.objects.order_by("position", "id")
