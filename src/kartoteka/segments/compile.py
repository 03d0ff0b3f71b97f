"""Turns a checked filter tree into one Q on Contact: columns, subqueries for tags, owners and
the timeline; values always bound as parameters, never spliced into SQL.

Negations are pushed down to the conditions (De Morgan), so a condition on a value that may be
missing (a custom detail) is written without a guard when positive, which lets its expression
index answer alone, and with an explicit "or missing" when negated, so `not` stays the exact
complement instead of SQL's unknown.

A condition under an `any` (after that push-down) may be built differently from one in a plain
conjunction (`Field.build_in_any`): PostgreSQL ORs index bitmaps, but not a semi-join with a
bitmap, so there a tag condition reads the contact row's tag-id array instead of its link rows.
"""

from django.core.exceptions import FieldDoesNotExist
from django.db import connection
from django.db.models import Count, Exists, F, OneToOneRel, OuterRef, Q, Subquery
from django.db.models.constants import LOOKUP_SEP

from kartoteka.activity.models import Activity
from kartoteka.contacts.models import Contact
from kartoteka.segments import fields
from kartoteka.segments.models import RECENCY_RANKS, ActivityRecency
from kartoteka.segments.schema import Behaviour, Condition, Group, Negation, Node

# Each operator and the one whose exact complement it is, for a field whose values live in a
# side table (one with `ids` and no `present`): "has none of" is "not has any of".
OPPOSITES = {
    "eq": "ne",
    "ne": "eq",
    "in": "not_in",
    "not_in": "in",
    "has_any": "has_none",
    "has_none": "has_any",
    "is_empty": "is_not_empty",
    "is_not_empty": "is_empty",
}
NOTHING = Q(pk__in=[])
# An explicit "always true", since an empty Q() vanishes inside an "any".
EVERYTHING = Q(pk__isnull=False)


def to_q(node: Node, *, negated: bool = False, in_any: bool = False) -> Q:
    if isinstance(node, Group):
        conjunction = (node.kind == "all") != negated
        if not node.children:
            return EVERYTHING if conjunction else NOTHING
        in_any = in_any or (not conjunction and len(node.children) > 1)
        parts = [to_q(child, negated=negated, in_any=in_any) for child in node.children]
        result = parts[0]
        for part in parts[1:]:
            result = (result & part) if conjunction else (result | part)
        return result
    if isinstance(node, Negation):
        return to_q(node.child, negated=not negated, in_any=in_any)
    if isinstance(node, Behaviour):
        condition = _behaviour(node)
        return _anti_joins(~condition if negated else condition)
    if isinstance(node, Condition):
        build = (in_any and node.field.build_in_any) or node.field.build
        condition = build(node.op, node.value)
        if not negated:
            return _anti_joins(condition)
        if node.field.present is not None and node.op not in fields.TWO_VALUED:
            return _anti_joins(~node.field.present | ~condition)
        return _anti_joins(~condition)
    raise TypeError(f"not a filter node: {node!r}")


def _anti_joins(condition: Q) -> Q:
    """PostgreSQL: each `NOT (id IN (subquery))` in `condition` written as NOT EXISTS. NOT IN
    cannot be an anti-join (a NULL among the subquery's ids would make it unknown), so
    PostgreSQL hashes every id of the subquery before the first contact (285,000 subscribers
    for `-list:newsletter`), where NOT EXISTS lets a page's walk probe the side table's
    contact index row by row. The subqueries here never yield NULL ids, so both mean the
    same. SQLite plans the two alike and keeps its form."""
    if connection.vendor != "postgresql":
        return condition
    children = [_anti_joins(c) if isinstance(c, Q) else c for c in condition.children]
    if condition.negated and len(children) == 1 and _in_subquery(children[0]):
        query = children[0][1].query.clone()
        (column,) = query.values_select
        query.add_q(Q(**{column: OuterRef("pk")}))
        return ~Q(Exists(query))
    return Q(*children, _connector=condition.connector, _negated=condition.negated)


def _in_subquery(child) -> bool:
    """Whether a Q's child is `pk__in=Subquery(…)` over one plain column, without grouping."""
    if not (isinstance(child, tuple) and child[0] in ("pk__in", "id__in")):
        return False
    subquery = child[1]
    if not isinstance(subquery, Subquery) or isinstance(subquery, Exists):
        return False
    query = subquery.query
    return len(query.values_select) == 1 and not query.group_by and not query.annotation_select


def id_source(node: Node, compiled: Q | None = None):
    """The ids of all contacts matching `node`, each once, read from one side table (link
    rows, the recency ladder, another app's one row per contact) without the contact table, as
    a values query; None when the node needs the contact row. It ignores scope: counted alone
    it counts for an actor who sees every contact (see segments.queries for the others).
    `compiled`: `to_q(node)` when the caller has it, so that it is not built again."""
    if isinstance(node, Group) and len(node.children) == 1:
        return id_source(node.children[0], compiled)
    if isinstance(node, Behaviour) and node.min_count <= RECENCY_RANKS:
        return _rungs(node).values("contact_id")  # one rung per (contact, kind, rank)
    if isinstance(node, Condition):
        if node.field.ids is not None:
            return node.field.ids(node.op, node.value)
        return _one_row_ids(compiled if compiled is not None else to_q(node))
    return None


def complement_source(node: Node):
    """The ids of all contacts that do NOT match `node`, each once, read from one side table
    as `id_source` reads them (a negated tag, `-consent:email`, `consent.email:none`); None
    when no side table names them. The contacts matching `node` are then the others: counted,
    the contacts in scope less these, where the condition itself is an anti-join that visits
    every contact."""
    if isinstance(node, Group) and len(node.children) == 1:
        return complement_source(node.children[0])
    if isinstance(node, Negation):
        return id_source(node.child)
    if isinstance(node, Condition) and node.field.ids is not None and node.field.present is None:
        opposite = OPPOSITES.get(node.op)
        return node.field.ids(opposite, node.value) if opposite else None
    return None


def _one_row_ids(condition: Q):
    """The contact ids of the rows of one reverse one-to-one relation (eCommerce totals: at
    most one row per contact, each row's contact existing) that meet `condition`, a Q on
    Contact whose every lookup is a positive test of a column of that related row; None for
    any other Q. Such a condition is an inner join, so the contacts it matches are exactly
    the related rows it matches: they are counted from the related table's index alone.

    Negations and `isnull` tests are left to the contact table, since a contact without a
    related row can meet them."""
    found = _related_lookups(condition)
    if not found:
        return None
    relation, rewritten = found
    link = relation.field
    rows = relation.related_model.objects.filter(rewritten)
    if link.null:
        rows = rows.filter(**{f"{link.name}__isnull": False})
    return rows.order_by().values(link.attname)


def _related_lookups(condition: Q):
    """(the relation, the Q rewritten onto its model) when each lookup of `condition` goes
    through the same relation of Contact to a column, with a plain value; None otherwise."""
    if condition.negated or not condition.children:
        return None
    relation, children = None, []
    for child in condition.children:
        if isinstance(child, Q):
            found = _related_lookups(child)
            if not found:
                return None
            through, rewritten = found
        elif isinstance(child, tuple) and not hasattr(child[1], "resolve_expression"):
            name, _sep, rest = child[0].partition(LOOKUP_SEP)
            if not rest or rest.rsplit(LOOKUP_SEP, 1)[-1] == "isnull":
                return None
            through = _relation(name)
            rewritten = (rest, child[1])
        else:
            return None
        if through is None or (relation is not None and through is not relation):
            return None
        relation = through
        children.append(rewritten)
    return relation, Q(*children, _connector=condition.connector)


def _relation(name: str) -> OneToOneRel | None:
    """Contact's reverse one-to-one relation of this name (another model's row per contact)."""
    try:
        found = Contact._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return found if isinstance(found, OneToOneRel) else None


def _rungs(node: Behaviour):
    # At least N entries since then ⇔ the N-th most recent one is since then: one range of the
    # ladder's (kind, rank, occurred_at) index, whatever the number of recent entries.
    return ActivityRecency.objects.filter(
        kind=node.kind, rank=node.min_count, occurred_at__gte=fields.days_ago(node.within_days)
    )


def _behaviour(node: Behaviour) -> Q:
    if node.min_count <= RECENCY_RANKS:
        return Q(pk__in=Subquery(_rungs(node).values("contact_id")))
    since = fields.days_ago(node.within_days)
    entries = Activity.objects.filter(kind=node.kind, occurred_at__gte=since).order_by()
    # Grouping by contact_id + 0 rather than the bare column keeps SQLite from walking the
    # whole (contact, kind, time) index in contact order to skip a sort; the window of recent
    # entries, read from the (kind, time, contact) index, is far smaller.
    return Q(
        pk__in=Subquery(
            entries.annotate(who=F("contact_id") + 0)
            .values("who")
            .annotate(times=Count("contact_id"))
            .filter(times__gte=node.min_count)
            .values("who")
        )
    )
