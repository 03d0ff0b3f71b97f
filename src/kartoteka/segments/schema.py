"""The filter document: its shape, its limits, and the checks that give each mistake a message
saying what is allowed.

A document is a condition or a group:
  {"all": [...]}, {"any": [...]}, {"not": <document>}
  {"field": "<field>", "op": "<operator>", "value": ...}
  {"activity": "<kind>", "min_count": N, "within_days": D}
An empty document ({} or {"all": []}) matches every contact the user may see.
"""

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from kartoteka.core.errors import InvalidInput
from kartoteka.segments import fields

MAX_DEPTH = 12
MAX_NODES = 300
MAX_ACTIVITY_COUNT = 100_000
GROUPS = ("all", "any")


@dataclass(frozen=True)
class Condition:
    field: fields.Field
    op: str
    value: Any  # cleaned: the form Field.build expects
    raw: Any  # as given (normalised), for the stored document


@dataclass(frozen=True)
class Behaviour:
    kind: str
    min_count: int
    within_days: int


@dataclass(frozen=True)
class Group:
    kind: str  # "all" or "any"
    children: tuple


@dataclass(frozen=True)
class Negation:
    child: Any


Node = Condition | Behaviour | Group | Negation


def parse(document: Any) -> Node:
    """The checked tree of `document`; InvalidInput (field "filter…") on the first mistake."""
    if document is None:
        document = {}
    counter = [0]
    return _node(document, "filter", 1, counter)


def validate(document: Any) -> dict:
    """Check `document` and return it normalised (codes upper-cased, tags folded, …).

    Raises InvalidInput with a message that says what is allowed.
    """
    return to_document(parse(document))


def to_document(node: Node) -> dict:
    if isinstance(node, Group):
        return {node.kind: [to_document(child) for child in node.children]}
    if isinstance(node, Negation):
        return {"not": to_document(node.child)}
    if isinstance(node, Behaviour):
        return {"activity": node.kind, "min_count": node.min_count, "within_days": node.within_days}
    document = {"field": node.field.key, "op": node.op}
    if node.raw is not None:
        document["value"] = node.raw
    return document


def _node(node: Any, where: str, depth: int, counter: list[int]) -> Node:
    if depth > MAX_DEPTH:
        raise InvalidInput(
            where,
            _("Filters may be nested at most %(max_depth)s levels deep.")
            % {"max_depth": MAX_DEPTH},
        )
    counter[0] += 1
    if counter[0] > MAX_NODES:
        raise InvalidInput(
            "filter",
            _("A filter may have at most %(max_nodes)s conditions and groups.")
            % {"max_nodes": MAX_NODES},
        )
    if not isinstance(node, dict):
        raise InvalidInput(where, _shape_message())
    if not node:
        return Group("all", ())
    keys = set(node)
    for group in GROUPS:
        if group in keys:
            if keys != {group}:
                raise InvalidInput(
                    where, _('A group has only the key "%(group)s".') % {"group": group}
                )
            children = node[group]
            if not isinstance(children, list):
                raise InvalidInput(
                    where, _('"%(group)s" takes a list of conditions or groups.') % {"group": group}
                )
            return Group(
                group,
                tuple(
                    _node(child, f"{where}.{group}[{i}]", depth + 1, counter)
                    for i, child in enumerate(children)
                ),
            )
    if "not" in keys:
        if keys != {"not"}:
            raise InvalidInput(where, _('A negation has only the key "not".'))
        return Negation(_node(node["not"], f"{where}.not", depth + 1, counter))
    if "activity" in keys:
        return _behaviour(node, where)
    if "field" in keys:
        return _condition(node, where)
    raise InvalidInput(where, _shape_message())


def _shape_message() -> str:
    return _(
        'Expected {"all": [...]}, {"any": [...]}, {"not": {...}}, '
        '{"field": ..., "op": ..., "value": ...} or '
        '{"activity": ..., "min_count": N, "within_days": D}.'
    )


def _condition(node: dict, where: str) -> Condition:
    extra = set(node) - {"field", "op", "value"}
    if extra:
        raise InvalidInput(
            where,
            _("Unknown key(s) %(join_sorted_extra)s in a condition.")
            % {"join_sorted_extra": ", ".join(sorted(extra))},
        )
    key = node.get("field")
    if not isinstance(key, str) or not key:
        raise InvalidInput(f"{where}.field", _("field must be a field name."))
    item = fields.lookup(key)
    if item is None:
        shown = key if len(key) <= 60 else key[:57] + "…"
        raise InvalidInput(
            f"{where}.field",
            _("Unknown field %(field)s. Allowed: %(allowed)s.")
            % {"field": repr(shown), "allowed": ", ".join(f.key for f in fields.known_fields())},
        )
    op = node.get("op")
    if op not in item.operators:
        raise InvalidInput(
            f"{where}.op",
            _(
                "Operator %(op)s does not fit %(item_key)s (%(item_type)s); "
                "allowed: %(join_item_operators)s."
            )
            % {
                "op": repr(op),
                "item_key": item.key,
                "item_type": item.type,
                "join_item_operators": ", ".join(item.operators),
            },
        )
    value = node.get("value")
    cleaned = fields.clean_value(item, op, value, f"{where}.value")
    return Condition(item, op, cleaned, _stored(cleaned, value, op))


def _stored(cleaned: Any, given: Any, op: str) -> Any:
    """The JSON form to keep: normalised text, but dates and numbers as given."""
    if op in ("is_empty", "is_not_empty"):
        return None
    if isinstance(cleaned, list):
        return [
            c if isinstance(c, str) else g
            for c, g in zip(cleaned, given if isinstance(given, list) else [given], strict=False)
        ]
    return cleaned if isinstance(cleaned, str) else given


def _behaviour(node: dict, where: str) -> Behaviour:
    extra = set(node) - {"activity", "min_count", "within_days"}
    if extra:
        raise InvalidInput(
            where,
            _(
                "Unknown key(s) %(join_sorted_extra)s; "
                "a behaviour condition has activity, min_count and within_days."
            )
            % {"join_sorted_extra": ", ".join(sorted(extra))},
        )
    kind = node.get("activity")
    if not isinstance(kind, str) or not kind.strip() or len(kind) > 40:
        raise InvalidInput(f"{where}.activity", _("activity must be a timeline kind, e.g. visit."))
    min_count = node.get("min_count", 1)
    if isinstance(min_count, bool) or not isinstance(min_count, int):
        raise InvalidInput(f"{where}.min_count", _("min_count must be a whole number."))
    if not 1 <= min_count <= MAX_ACTIVITY_COUNT:
        raise InvalidInput(
            f"{where}.min_count",
            _("min_count must be from 1 to %(max_activity_count)s.")
            % {"max_activity_count": MAX_ACTIVITY_COUNT},
        )
    days = node.get("within_days")
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= fields.MAX_DAYS:
        raise InvalidInput(
            f"{where}.within_days",
            _("within_days must be a whole number from 1 to %(fields_max_days)s.")
            % {"fields_max_days": fields.MAX_DAYS},
        )
    return Behaviour(kind.strip(), min_count, days)
