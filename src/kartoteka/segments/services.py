"""Writes: saved filters and segments (create, change, share, delete) and segment recounts."""

from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kartoteka.accounts.models import User

# Custom detail indexes are contacts' (contacts.detail_columns); the landed migrations 0006 and
# 0012 of segments still import index_details from here.
from kartoteka.contacts.detail_columns import index_details  # noqa: F401
from kartoteka.core import events
from kartoteka.core.errors import Conflict, Forbidden, InvalidInput
from kartoteka.core.scope import SystemActor, is_admin, is_system
from kartoteka.core.triggers import drop_row_trigger, restore_row_trigger
from kartoteka.core.writeplan import DerivedData
from kartoteka.segments import queries, schema
from kartoteka.segments.models import (
    RECENCY_RANKS,
    ActivityRecency,
    NamedFilter,
    SavedFilter,
    Segment,
)

MAX_NAME = 120


def can_change(actor: User | SystemActor, item: NamedFilter) -> bool:
    """Owners change their own; admins change any shared one (and their own)."""
    if not actor.is_authenticated:
        return False
    return item.owner_id == actor.pk or (is_admin(actor) and item.is_shared)


def _clean_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput("name", _("Give it a name."))
    name = " ".join(name.split())
    if len(name) > MAX_NAME:
        raise InvalidInput(
            "name", _("A name may be at most %(max_name)s characters.") % {"max_name": MAX_NAME}
        )
    return name


def _ensure_name_free(model, owner: User, name: str, exclude_id: int | None) -> None:
    taken = model.objects.filter(owner=owner, name__iexact=name).exclude(pk=exclude_id)
    if taken.exists():
        raise Conflict(
            _("You already have one named %(name)s.") % {"name": repr(name)}, field="name"
        )


def _create(model, actor: User, *, name: str, document: Any, shared: bool) -> NamedFilter:
    if is_system(actor) or not actor.is_authenticated:
        raise Forbidden(_("Sign in to save filters."))
    cleaned_name = _clean_name(name)
    cleaned = schema.validate(document)
    _ensure_name_free(model, actor, cleaned_name, None)
    return model.objects.create(
        name=cleaned_name, owner=actor, is_shared=bool(shared), document=cleaned
    )


def _update(
    actor: User, item: NamedFilter, *, name: str | None, document: Any, shared: bool | None
) -> NamedFilter:
    if not can_change(actor, item):
        raise Forbidden(_("Only its owner (or an admin, once shared) may change this."))
    if name is not None:
        item.name = _clean_name(name)
        _ensure_name_free(type(item), item.owner, item.name, item.pk)
    if document is not None:
        item.document = schema.validate(document)
    if shared is not None:
        item.is_shared = bool(shared)
    item.save()
    return item


def _delete(actor: User, item: NamedFilter) -> None:
    if not can_change(actor, item):
        raise Forbidden(_("Only its owner (or an admin, once shared) may delete this."))
    item.delete()


@transaction.atomic
def create_saved_filter(
    actor: User, *, name: str, document: Any, shared: bool = False
) -> SavedFilter:
    saved = _create(SavedFilter, actor, name=name, document=document, shared=shared)
    events.publish("saved_filter.created", saved_filter_id=saved.pk, actor_id=actor.pk)
    return saved


@transaction.atomic
def update_saved_filter(
    actor: User,
    saved: SavedFilter,
    *,
    name: str | None = None,
    document: Any = None,
    shared: bool | None = None,
) -> SavedFilter:
    _update(actor, saved, name=name, document=document, shared=shared)
    events.publish("saved_filter.changed", saved_filter_id=saved.pk, actor_id=actor.pk)
    return saved


@transaction.atomic
def delete_saved_filter(actor: User, saved: SavedFilter) -> None:
    saved_id = saved.pk
    _delete(actor, saved)
    events.publish("saved_filter.deleted", saved_filter_id=saved_id, actor_id=actor.pk)


@transaction.atomic
def create_segment(actor: User, *, name: str, document: Any, shared: bool = False) -> Segment:
    segment = _create(Segment, actor, name=name, document=document, shared=shared)
    _count(segment)
    events.publish("segment.created", segment_id=segment.pk, actor_id=actor.pk)
    return segment


@transaction.atomic
def update_segment(
    actor: User,
    segment: Segment,
    *,
    name: str | None = None,
    document: Any = None,
    shared: bool | None = None,
) -> Segment:
    _update(actor, segment, name=name, document=document, shared=shared)
    if document is not None:
        _count(segment)
    events.publish("segment.changed", segment_id=segment.pk, actor_id=actor.pk)
    return segment


@transaction.atomic
def delete_segment(actor: User, segment: Segment) -> None:
    segment_id = segment.pk
    _delete(actor, segment)
    events.publish("segment.deleted", segment_id=segment_id, actor_id=actor.pk)


def _count(segment: Segment) -> None:
    segment.count = queries.count_contacts(segment.owner, segment.document)
    segment.counted_at = timezone.now()
    segment.save(update_fields=["count", "counted_at"])


def recount_segment(segment_id: int) -> Segment | None:
    """Count the segment again in its owner's scope; None if it is gone (safe to run twice)."""
    segment = Segment.objects.select_related("owner").filter(pk=segment_id).first()
    if segment is None:
        return None
    try:
        _count(segment)
    except InvalidInput:  # a custom detail it names was deleted since; keep the last count
        return segment
    return segment


def recount_all_segments() -> int:
    """Count every segment again, each in its owner's scope; how many were counted."""
    counted = 0
    for segment_id in Segment.objects.order_by("pk").values_list("pk", flat=True):
        counted += recount_segment(segment_id) is not None
    return counted


# The example segments a demo opens with, on the demo's tags and custom details: a plain
# conjunction, a negation, an "any" and a custom detail range, so the Segments page and the
# builder show what the filter language can say.
DEMO_SEGMENTS = [
    (
        "VIP in Spain and Poland",
        {
            "all": [
                {"field": "tags", "op": "has_any", "value": ["vip"]},
                {"field": "country", "op": "in", "value": ["ES", "PL"]},
            ]
        },
    ),
    (
        "Newsletter opt-in, no churn risk",
        {
            "all": [
                {"field": "properties.newsletter_opt_in", "op": "eq", "value": True},
                {"field": "tags", "op": "has_none", "value": ["churn risk"]},
            ]
        },
    ),
    (
        "To follow up: qualified, opportunity or hot lead",
        {
            "any": [
                {"field": "status", "op": "in", "value": ["qualified", "opportunity"]},
                {"field": "tags", "op": "has_any", "value": ["hot lead", "demo requested"]},
            ]
        },
    ),
    (
        "Budgets over 50,000 EUR outside Spain",
        {
            "all": [
                {"field": "properties.budget", "op": "gt", "value": 50000},
                {"not": {"field": "country", "op": "eq", "value": "ES"}},
            ]
        },
    ),
]


def add_demo_segments(event: str, admin_id: int, **payload: Any) -> None:
    """Subscriber of "demo.loaded": the demo admin's shared example segments, each one unless
    the admin has a segment of that name already (a second demo run adds none)."""
    admin = User.objects.get(pk=admin_id)
    have = set(Segment.objects.filter(owner=admin).values_list("name", flat=True))
    for name, document in DEMO_SEGMENTS:
        if name not in have:
            create_segment(admin, name=name, document=document, shared=True)


# --------------------------------------------------------------------------------------------
# Data segments derives from activity's and contacts' rows, suspended for their bulk loads
# (registered with core.writeplan from SegmentsConfig.ready()). Contacts' search index is
# contacts' (contacts.search).

_RECENCY_TABLE = ActivityRecency._meta.db_table
_RECENCY_TRIGGER = f"{_RECENCY_TABLE}_insert"


def suspend_recency_ladder() -> bool:
    """Stop keeping the recency ladder for new timeline entries row by row (on SQLite a row
    trigger recounts the entry's contact and kind); rebuild_recency_ladder ranks a bulk load's
    entries at once."""
    return drop_row_trigger(_RECENCY_TRIGGER)


def rebuild_recency_ladder(first: int, last: int) -> None:
    """Re-rank the (contact, kind) pairs of the timeline entries with ids first to last, and
    keep the ladder row by row again.

    Only entries were added meanwhile (the triggers of updates and deletes stay), so no rung
    can have gone: each pair's newest RECENCY_RANKS entries are written over its rungs, and
    only the rungs whose time changed are rewritten, as the row trigger does."""
    try:
        if first <= last:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {_RECENCY_TABLE} (contact_id, kind, rank, occurred_at)"
                    " SELECT contact_id, kind, rank, occurred_at FROM ("
                    " SELECT entry.contact_id, entry.kind, entry.occurred_at, row_number() OVER"
                    " (PARTITION BY entry.contact_id, entry.kind ORDER BY entry.occurred_at DESC)"
                    " AS rank FROM (SELECT DISTINCT contact_id, kind FROM activity_activity"
                    " WHERE id BETWEEN %s AND %s AND contact_id IS NOT NULL) touched"
                    " JOIN activity_activity entry ON entry.contact_id = touched.contact_id"
                    " AND entry.kind = touched.kind"
                    ") ranked WHERE rank <= %s"
                    " ON CONFLICT (contact_id, kind, rank) DO UPDATE"
                    " SET occurred_at = excluded.occurred_at"
                    f" WHERE {_RECENCY_TABLE}.occurred_at <> excluded.occurred_at",
                    [first, last, RECENCY_RANKS],
                )
    finally:
        restore_row_trigger(_RECENCY_TRIGGER)


# PostgreSQL keeps each contact's tag ids on its row (migrations 0009 and 0013).
_TAG_LINKS = "contacts_contacttag"
_TAG_IDS_SUSPENDED = "kartoteka.tag_ids_suspended"


def suspend_tag_ids() -> bool:
    """PostgreSQL: stop the trigger that refreshes the tag ids on the rows of contacts given
    tags, for this transaction only (a setting its function reads; other writers keep it): it
    rewrites every such contact row once per statement that adds links, a second version of
    the row in all of its indexes."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, 'on', true)", [_TAG_IDS_SUSPENDED])
    return True


def rebuild_tag_ids(first: int, last: int) -> None:
    """Refresh the tag ids of the contacts that the links with ids first to last point at, in
    one statement, and keep them by the trigger again."""
    with connection.cursor() as cursor:
        try:
            if first <= last:
                cursor.execute(
                    "SELECT contacts_contact_tag_ids_refresh(array("
                    f"SELECT DISTINCT contact_id FROM {_TAG_LINKS} WHERE id BETWEEN %s AND %s))",
                    [first, last],
                )
        finally:
            cursor.execute("SELECT set_config(%s, 'off', true)", [_TAG_IDS_SUSPENDED])


DERIVED = [
    DerivedData(
        "segments.recency_ladder",
        table="activity_activity",
        suspend=suspend_recency_ladder,
        rebuild=rebuild_recency_ladder,
        writes=(_RECENCY_TABLE,),
    ),
    DerivedData(
        "segments.tag_ids",
        table=_TAG_LINKS,
        suspend=suspend_tag_ids,
        rebuild=rebuild_tag_ids,
    ),
]
