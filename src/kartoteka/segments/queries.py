"""Reads: contacts matching a filter (always within the actor's scope), and the saved filters
and segments an actor may see."""

from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from kartoteka.contacts.models import Contact, Tag
from kartoteka.contacts.queries import keyset_page, with_card_data
from kartoteka.core.errors import InvalidInput, NotFound
from kartoteka.core.scope import (
    ALL,
    NONE,
    is_system,
    reach,
    visible_contact_ids,
    visible_contacts,
)
from kartoteka.segments import fields, schema, text
from kartoteka.segments.compile import complement_source, id_source, to_q
from kartoteka.segments.models import SavedFilter, Segment

MAX_PAGE = 200
MAX_OPTIONS = 200
MAX_PREFIX = 100
# A field whose values are counted choice by choice counts at most this many in one query.
MAX_COUNTED_CHOICES = 100


def filter_contacts(actor, document: Any) -> QuerySet[Contact]:
    """Contacts the actor may see that match `document` (validated; InvalidInput if not)."""
    return visible_contacts(actor).filter(to_q(schema.parse(document)))


def count_contacts(actor, document: Any) -> int:
    """How many contacts the actor may see match `document`."""
    node = schema.parse(document)
    condition = to_q(node)
    return _count(actor, node, condition, visible_contacts(actor).filter(condition))


def _count(actor, node, condition: Q, contacts: QuerySet[Contact]) -> int:
    """A filter that one side table answers alone (a tag, an owner, a behaviour, another app's
    row per contact such as the eCommerce totals) is counted there, without visiting each
    matching contact row: for someone who sees every contact, the side table's ids alone; for
    anyone else, the ids of the contacts they see (`core.scope.visible_contact_ids`, a sales
    user's ownership rows) whose contact is among those ids. Its negation (`-tag:vip`,
    `consent.email:none`) is counted as the contacts they see less those."""
    seen = reach(actor)
    if seen == NONE:
        return 0
    source = id_source(node, condition)
    if source is not None:
        return _count_seen(actor, seen, source)
    outside = complement_source(node)
    if outside is not None:
        return visible_contact_ids(actor).order_by().count() - _count_seen(actor, seen, outside)
    return contacts.count()


def _count_seen(actor, seen: str, source: QuerySet) -> int:
    """How many of the contact ids of `source` (a values query of one side table's contact
    ids, each contact once) `actor` sees."""
    if seen == ALL:
        return source.order_by().count()
    # EXISTS, not IN: SQLite builds the whole IN list (every matching row of the side table)
    # before reading the user's rows, where EXISTS probes the side table's contact index per
    # owned contact; PostgreSQL plans both as the same semi-join. (The side table's column of
    # contact ids is the one its values query names.)
    (column,) = source.query.values_select
    found = source.order_by().filter(**{column: OuterRef("contact_id")})
    return visible_contact_ids(actor).filter(Exists(found)).count()


def segment_count(actor, segment: Segment) -> tuple[int | None, Any]:
    """(count, counted_at) of the segment in the actor's own scope. Its owner gets the kept
    count; anyone else a count made now of the contacts they see (counted_at None), since the
    kept one is of the owner's scope. None when it names a custom detail deleted since."""
    if segment.owner_id == actor.pk:
        return segment.count, segment.counted_at
    try:
        return count_contacts(actor, segment.document), None
    except InvalidInput:
        return None, None


def document_from(*, document: Any = None, q: str = "") -> dict:
    """One checked document from a JSON document and / or the text form (both must hold)."""
    parts = []
    if document:
        parts.append(schema.validate(document))
    if q and q.strip():
        parts.append(text.parse(q))
    if not parts:
        return {"all": []}
    return parts[0] if len(parts) == 1 else {"all": parts}


def search(
    actor, document: Any, *, limit: int = 50, after_id: int | None = None
) -> tuple[int, list[Contact], int | None]:
    """Count plus one keyset page (newest first) of the matching contacts."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(
            "limit", _("limit must be from 1 to %(max_page)s.") % {"max_page": MAX_PAGE}
        )
    # Parsed and compiled once for the page and the count (each names, tags and users to look up).
    node = schema.parse(document)
    condition = to_q(node)
    matching = visible_contacts(actor).filter(condition)
    items, next_after = keyset_page(matching, after_id=after_id, limit=limit, rows=with_card_data)
    return _count(actor, node, condition, matching), items, next_after


def field_options(
    actor, key: str, *, prefix: str = "", values: list[str] | None = None, limit: int = 50
) -> list[fields.Option]:
    """The values a picker of field `key` offers, each with how many of the contacts the actor
    sees have it, most common first: those whose label starts with `prefix`, or exactly
    `values` (to name the values of a filter being opened)."""
    item = fields.lookup(key) if isinstance(key, str) else None
    if item is None:
        raise InvalidInput("field", _("Unknown field %(field)s.") % {"field": repr(key)[:60]})
    if not fields.pickable(item):
        raise InvalidInput(
            "field",
            _("%(label)s has no list of values to choose from; type a value instead.")
            % {"label": item.label},
        )
    if not 1 <= limit <= MAX_OPTIONS:
        raise InvalidInput(
            "limit", _("limit must be from 1 to %(max_page)s.") % {"max_page": MAX_OPTIONS}
        )
    if len(prefix) > MAX_PREFIX or "\x00" in prefix:
        raise InvalidInput("q", _("Search with at most %(max)s characters.") % {"max": MAX_PREFIX})
    values = [v for v in (values or []) if isinstance(v, str) and v.strip()][:MAX_OPTIONS]
    asked = fields.Options(
        visible_contacts(actor), prefix=prefix.strip(), values=tuple(values), limit=limit
    )
    if item.options is not None:
        return item.options(asked)
    return _counted_choices(item, asked)


def _counted_choices(item: fields.Field, asked: fields.Options) -> list[fields.Option]:
    """A field's fixed choices, counted in one query: one filtered count per choice."""
    chosen = [
        (code, str(label))
        for code, label in item.choices()
        if ((code in asked.values) if asked.values else asked.matches(str(label)))
    ][:MAX_COUNTED_CHOICES]
    if not chosen:
        return []
    op = "has_any" if item.type == "set" else "in"
    counts = asked.contacts.aggregate(
        **{
            f"c{i}": Count("pk", filter=item.build(op, [code]))
            for i, (code, _label) in enumerate(chosen)
        }
    )
    found = [fields.Option(code, label, counts[f"c{i}"]) for i, (code, label) in enumerate(chosen)]
    return fields.ranked(found, asked.limit)


def _visible(model, actor) -> QuerySet:
    if is_system(actor):
        return model.objects.select_related("owner")
    if not actor.is_authenticated:
        return model.objects.none()
    return model.objects.filter(Q(owner=actor) | Q(is_shared=True)).select_related("owner")


def saved_filters(actor) -> QuerySet[SavedFilter]:
    """The actor's own saved filters and the ones shared with the team."""
    return _visible(SavedFilter, actor)


def segments(actor) -> QuerySet[Segment]:
    return _visible(Segment, actor)


def get_saved_filter(actor, saved_filter_id: int) -> SavedFilter:
    found = saved_filters(actor).filter(pk=saved_filter_id).first()
    if found is None:
        raise NotFound(_("No such saved filter."))
    return found


def get_segment(actor, segment_id: int) -> Segment:
    found = segments(actor).filter(pk=segment_id).first()
    if found is None:
        raise NotFound(_("No such segment."))
    return found


def tag_colors(folded_names: set[str]) -> dict[str, tuple[str, str]]:
    """The tags of these folded names (as filters name them): their name and colour."""
    rows = Tag.objects.filter(name_folded__in=folded_names)
    return {
        folded: (name, color)
        for folded, name, color in rows.values_list("name_folded", "name", "color")
    }
