"""Turns a checked filter tree into one Q on Contact: columns, subqueries for tags, owners and
the timeline; values always bound as parameters, never spliced into SQL."""

from django.db.models import Count, Q, Subquery

from kartoteka.activity.models import Activity
from kartoteka.segments import fields
from kartoteka.segments.schema import Behaviour, Condition, Group, Negation, Node

NOTHING = Q(pk__in=[])
EVERYTHING = Q(pk__isnull=False)


def to_q(node: Node) -> Q:
    if isinstance(node, Group):
        if node.kind == "all":
            # An explicit "always true", since an empty Q() vanishes inside an "any".
            result = EVERYTHING
            for child in node.children:
                result &= to_q(child)
            return result
        if not node.children:
            return NOTHING
        result = NOTHING
        for child in node.children:
            result |= to_q(child)
        return result
    if isinstance(node, Negation):
        return ~to_q(node.child)
    if isinstance(node, Behaviour):
        return _behaviour(node)
    if isinstance(node, Condition):
        return node.field.build(node.op, node.value)
    raise TypeError(f"not a filter node: {node!r}")


def _behaviour(node: Behaviour) -> Q:
    entries = Activity.objects.filter(
        kind=node.kind, occurred_at__gte=fields.days_ago(node.within_days)
    ).order_by()
    if node.min_count > 1:
        entries = (
            entries.values("contact_id")
            .annotate(times=Count("id"))
            .filter(times__gte=node.min_count)
        )
    return Q(pk__in=Subquery(entries.values("contact_id")))
