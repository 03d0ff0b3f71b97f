"""Writes: saved filters and segments (create, change, share, delete) and segment recounts."""

from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kartoteka.accounts.models import User
from kartoteka.core import events
from kartoteka.core.errors import Conflict, Forbidden, InvalidInput
from kartoteka.core.scope import SystemActor, is_admin, is_system
from kartoteka.core.writeplan import DerivedData
from kartoteka.segments import fields, queries, schema
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


# --------------------------------------------------------------------------------------------
# An index per custom detail, so equality and ranges on a detail use an index. On SQLite it is
# an expression index on the JSON value, which answers counts from the index alone. PostgreSQL
# cannot count from an expression index without visiting each matching row, so there the value
# is also kept in a generated column of the contact row (computed by the database on every
# write, bulk COPY included) and the index is on that column.

NUMERIC_TYPES = ("number", "decimal")
# Booleans too: "newsletter opt-in = yes" is among the most used filters, and without an index
# its count would read every contact row.
INDEXED_TYPES = ("text", "url", "number", "decimal", "date", "dictionary", "boolean")


def _index_name(key: str) -> str:
    return f"segments_detail_{key}"[:63]


def index_property(key: str, type: str) -> bool:
    """Create the index for a custom detail if its type benefits; True if it did."""
    return index_details([(key, type)]) == 1


def index_details(details: list[tuple[str, str]]) -> int:
    """Create the missing indexes for (key, type) custom details; returns how many qualify."""
    from django.db import connection

    details = [(key, type) for key, type in details if type in INDEXED_TYPES]
    for key, _type in details:
        # property_sql checks nothing itself; the key has passed the strict key pattern already.
        fields.PropertyValue(key)  # raises ValueError on anything but a plain key
    if not details:
        return 0
    quote = connection.ops.quote_name
    table, properties = quote("contacts_contact"), quote("properties")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            existing = fields.materialised_details()
            missing = [(k, t) for k, t in details if fields.detail_column(k) not in existing]
            if missing:
                # One ALTER for all of them: adding a generated column rewrites the table.
                columns = []
                for key, type in missing:
                    numeric = type in NUMERIC_TYPES
                    expression = fields.property_sql(properties, key, "postgresql", numeric)
                    columns.append(
                        f"ADD COLUMN {quote(fields.detail_column(key))}"
                        f" {'double precision' if numeric else 'text'}"
                        f" GENERATED ALWAYS AS ({expression}) STORED"
                    )
                    # An expression index of this name, from before the column, gives way.
                    cursor.execute(f"DROP INDEX IF EXISTS {_index_name(key)}")
                cursor.execute(f"ALTER TABLE {table} {', '.join(columns)}")
            for key, _type in details:
                cursor.execute(
                    f"CREATE INDEX IF NOT EXISTS {_index_name(key)}"
                    f" ON {table} ({quote(fields.detail_column(key))})"
                )
            if missing:
                # The rewritten table has no visibility map yet: until VACUUM sets it, counts
                # would visit the rows again. (VACUUM cannot run inside a transaction.)
                vacuum = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
                cursor.execute(f"{vacuum} {table}")
        else:
            for key, type in details:
                expression = fields.property_sql(
                    properties, key, connection.vendor, type in NUMERIC_TYPES
                )
                cursor.execute(
                    f"CREATE INDEX IF NOT EXISTS {_index_name(key)} ON {table} (({expression}))"
                )
    return len(details)


def drop_property_index(key: str) -> None:
    from django.db import connection

    fields.PropertyValue(key)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX IF EXISTS {_index_name(key)}")
        if connection.vendor == "postgresql":
            column = connection.ops.quote_name(fields.detail_column(key))
            cursor.execute(f"ALTER TABLE contacts_contact DROP COLUMN IF EXISTS {column}")


def index_all_properties() -> int:
    """Create the missing indexes for every defined custom detail; returns how many qualify."""
    from kartoteka.contacts.queries import all_property_definitions

    return index_details([(d.key, d.type) for d in all_property_definitions()])


def on_property_defined(event: str, key: str, type: str = "", **payload: Any) -> None:
    # On PostgreSQL this rewrites the contact table (about a minute and a half at a million
    # contacts), so a worker does it; filters read the detail from the JSON until it is done.
    from kartoteka.segments.tasks import index_detail

    index_detail.enqueue(key, type)


def on_property_deleted(event: str, key: str, **payload: Any) -> None:
    drop_property_index(key)


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
# Data segments derives from contacts' and activity's rows, suspended for their bulk loads
# (registered with core.writeplan from SegmentsConfig.ready()).

_SEARCH_TRIGGER = f"{fields.SQLITE_SEARCH_TABLE}_insert"
_RECENCY_TABLE = ActivityRecency._meta.db_table
_RECENCY_TRIGGER = f"{_RECENCY_TABLE}_insert"
# The text of each trigger while it is suspended, to re-create it from.
_suspended_triggers: dict[str, str] = {}


def _drop_row_trigger(name: str) -> bool:
    """SQLite: drop the row trigger `name` (inside the caller's transaction), keeping its text;
    False on PostgreSQL, whose triggers here are statement triggers and cheap in bulk."""
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = %s", [name])
        found = cursor.fetchone()
        if found is None:
            return False
        cursor.execute(f"DROP TRIGGER {name}")
    _suspended_triggers[name] = found[0]
    return True


def _restore_row_trigger(name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(_suspended_triggers.pop(name))


def suspend_search_index() -> bool:
    """Stop indexing new contacts for SQLite's text search row by row: FTS5 flushes its
    pending index data at every trigger statement, so a bulk load indexes its contacts at once
    instead (rebuild_search_index)."""
    return _drop_row_trigger(_SEARCH_TRIGGER)


def rebuild_search_index(first: int, last: int) -> None:
    """Index the contacts with ids first to last (new ones), and index row by row again."""
    try:
        if first <= last:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {fields.SQLITE_SEARCH_TABLE} (rowid, search_text)"
                    " SELECT id, search_text FROM contacts_contact WHERE id BETWEEN %s AND %s",
                    [first, last],
                )
    finally:
        _restore_row_trigger(_SEARCH_TRIGGER)


def suspend_recency_ladder() -> bool:
    """Stop keeping the recency ladder for new timeline entries row by row (on SQLite a row
    trigger recounts the entry's contact and kind); rebuild_recency_ladder ranks a bulk load's
    entries at once, the form of the ladder's first filling in migration 0005."""
    return _drop_row_trigger(_RECENCY_TRIGGER)


def rebuild_recency_ladder(first: int, last: int) -> None:
    """Re-rank the (contact, kind) pairs of the timeline entries with ids first to last, and
    keep the ladder row by row again."""
    try:
        if first <= last:
            touched = (
                "SELECT DISTINCT contact_id, kind FROM activity_activity"
                " WHERE id BETWEEN %s AND %s AND contact_id IS NOT NULL"
            )
            with connection.cursor() as cursor:
                cursor.execute(
                    f"DELETE FROM {_RECENCY_TABLE} WHERE (contact_id, kind) IN ({touched})",
                    [first, last],
                )
                cursor.execute(
                    f"INSERT INTO {_RECENCY_TABLE} (contact_id, kind, rank, occurred_at)"
                    " SELECT contact_id, kind, rank, occurred_at FROM ("
                    " SELECT contact_id, kind, occurred_at, row_number() OVER"
                    " (PARTITION BY contact_id, kind ORDER BY occurred_at DESC) AS rank"
                    " FROM activity_activity WHERE contact_id IN"
                    " (SELECT contact_id FROM activity_activity WHERE id BETWEEN %s AND %s)"
                    f") ranked WHERE rank <= %s AND (contact_id, kind) IN ({touched})",
                    [first, last, RECENCY_RANKS, first, last],
                )
    finally:
        _restore_row_trigger(_RECENCY_TRIGGER)


DERIVED = [
    DerivedData(
        "segments.search_index",
        table="contacts_contact",
        suspend=suspend_search_index,
        rebuild=rebuild_search_index,
    ),
    DerivedData(
        "segments.recency_ladder",
        table="activity_activity",
        suspend=suspend_recency_ladder,
        rebuild=rebuild_recency_ladder,
        writes=(_RECENCY_TABLE,),
    ),
]
