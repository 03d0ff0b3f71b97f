"""The registry of filterable fields: what a condition may name, which operators fit it, and how
each (operator, value) becomes a Q on Contact.

Apps add fields from their AppConfig.ready() with `register(...)` (a fixed key) or
`register_family(prefix, resolve)` (keys such as "properties.<key>" resolved when used); the
compiler only ever asks the registry, so it never changes when a field is added.
"""

import datetime as dt
import json
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Count, F, Func, Q, QuerySet, Subquery, Value
from django.db.models import fields as model_fields
from django.db.models.functions import Coalesce, Lower
from django.db.models.lookups import (
    Exact,
    GreaterThan,
    GreaterThanOrEqual,
    IContains,
    IExact,
    In,
    IStartsWith,
    LessThan,
    LessThanOrEqual,
)
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kartoteka.contacts.detail_columns import PropertyValue
from kartoteka.core.errors import InvalidInput

# Value types and the operators each accepts, in the order the builder offers them.
OPERATORS: dict[str, tuple[str, ...]] = {
    "text": ("eq", "ne", "in", "not_in", "contains", "starts_with", "is_empty", "is_not_empty"),
    "number": (
        "eq",
        "ne",
        "gt",
        "gte",
        "lt",
        "lte",
        "between",
        "in",
        "not_in",
        "is_empty",
        "is_not_empty",
    ),
    "date": (
        "in_last_days",
        "more_than_days_ago",
        "before",
        "after",
        "between",
        "eq",
        "is_empty",
        "is_not_empty",
    ),
    "boolean": ("eq", "is_empty", "is_not_empty"),
    "choice": ("eq", "ne", "in", "not_in", "is_empty", "is_not_empty"),
    "set": ("has_any", "has_all", "has_none", "is_empty", "is_not_empty"),
    "search": ("contains",),
}
# Operators whose condition is true or false even where a value is missing; the others are
# unknown there (see Field.present).
TWO_VALUED = ("ne", "not_in", "has_none", "is_empty", "is_not_empty")
ALL_OPERATORS = tuple(sorted({op for ops in OPERATORS.values() for op in ops}))
# Generous limits that keep a hostile document from becoming a huge query.
MAX_LIST = 1000
MAX_TEXT = 500
MAX_ALL = 50  # each has_all value is its own subquery
MAX_DAYS = 36500


@dataclass(frozen=True)
class Field:
    """A filterable field. `build(op, value)` turns an already cleaned value into a Q on Contact
    that is never NULL, so `not` is always the exact complement."""

    key: str
    label: Any
    type: str
    build: Callable[[str, Any], Q]
    choices: Callable[[], list[tuple[str, str]]] | None = None
    group: Any = _("Contact")
    # Upper-cases codes (country) or folds case (tags) before comparing.
    normalise: Callable[[str], str] = field(default=lambda value: value)
    # For values that may be missing (SQL NULL): true when there is one. A negated condition
    # becomes "missing or not …", so `not` is the exact complement.
    present: Q | None = None
    # For fields kept in a link table: `ids(op, value)` gives the matching contact ids read
    # from that table alone, each contact once (None for operators it cannot answer so), for
    # counting.
    ids: Callable[[str, Any], Any] | None = None
    # For a condition under an `any` with other branches, when a different form combines
    # better there (see segments.compile); None: `build` everywhere.
    build_in_any: Callable[[str, Any], Q] | None = None
    # For "one of what exists" fields: the values found among some contacts with how many of
    # them have each (see `Options`), for the builder's pickers. Fields with `choices` and none
    # of these are counted choice by choice (segments.queries.field_options).
    options: "Callable[[Options], list[Option]] | None" = None
    # The names of values a description of a condition shows, by the value stored, where
    # `choices` does not list them (countries by code, owners by username).
    names: Callable[[], list[tuple[str, str]]] | None = None

    @property
    def operators(self) -> tuple[str, ...]:
        return OPERATORS[self.type]


@dataclass(frozen=True)
class Option:
    """A value a picker offers: what the filter stores, what a person reads, how many of the
    reader's contacts have it."""

    value: str
    label: str
    count: int


@dataclass(frozen=True)
class Options:
    """What a picker asks for: the values among `contacts` (the reader's scope; unfiltered for
    someone who sees everyone) whose label starts with `prefix` (any word of it), or exactly
    `values` when given, at most `limit` of them, most common first."""

    contacts: QuerySet
    prefix: str = ""
    values: tuple[str, ...] = ()
    limit: int = 50

    @property
    def everyone(self) -> bool:
        """The contacts are all of them, so link tables need no join to the contact table."""
        return not self.contacts.query.has_filters()

    def matches(self, label: str) -> bool:
        """`label` fits the prefix: it or one of its words starts with it, accents aside."""
        if not self.prefix:
            return True
        wanted = fold(self.prefix)
        folded = fold(label)
        return folded.startswith(wanted) or any(w.startswith(wanted) for w in folded.split())


def fold(text: str) -> str:
    """Text as a picker's search compares it: lower case, without accents."""
    decomposed = unicodedata.normalize("NFKD", str(text).casefold().replace("ł", "l"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def ranked(found: list[Option], limit: int) -> list[Option]:
    """The most common first, then by label."""
    return sorted(found, key=lambda o: (-o.count, fold(o.label)))[:limit]


def column_options(path: str, label_of: Callable[[str], str] | None = None, everything=None):
    """`Field.options` of a column of the contact row with few distinct values (a country, a
    status): one grouped query, labels by `label_of`; `everything` (a callable giving
    (value, label) pairs) adds the values nobody has yet, counted 0, to the ones found."""

    def options(asked: Options) -> list[Option]:
        rows = asked.contacts.exclude(**{path: ""}).exclude(**{f"{path}__isnull": True})
        if asked.values:
            rows = rows.filter(**{f"{path}__in": asked.values})
        counts = dict(rows.order_by().values_list(path).annotate(n=Count("pk")))
        labels = dict(everything()) if everything else {}
        found = {
            value: Option(value, str(labels.get(value) or (label_of or str)(value)), n)
            for value, n in counts.items()
        }
        for value, label in labels.items():
            if value not in found and (not asked.values or value in asked.values):
                found[value] = Option(value, str(label), 0)
        chosen = [o for o in found.values() if asked.values or asked.matches(o.label)]
        return ranked(chosen, asked.limit)

    return options


def linked_options(links: Callable[[], QuerySet], value: str, label: str, search: str):
    """`Field.options` of a link table (tags, owners): rows of `links()` grouped by the `value`
    path, read with its `label` path; the prefix is looked up by `search__istartswith` (an
    index), so a workspace with many thousand tags answers from the few that match."""

    def options(asked: Options) -> list[Option]:
        rows = links()
        if not asked.everyone:
            rows = rows.filter(contact_id__in=asked.contacts.values("pk"))
        if asked.values:
            rows = rows.filter(**{f"{value}__in": asked.values})
        elif asked.prefix:
            rows = rows.filter(**{f"{search}__istartswith": asked.prefix})
        grouped = (
            rows.order_by()
            .values_list(value, label)
            .annotate(n=Count("contact_id", distinct=True))
            .order_by("-n", label)[: asked.limit]
        )
        return [Option(str(v), str(shown), n) for v, shown, n in grouped]

    return options


_fields: dict[str, Field] = {}
_families: dict[str, Callable[[str], Field | None]] = {}


def register(item: Field) -> None:
    """Add or replace a field with a fixed key."""
    _fields[item.key] = item


def register_family(prefix: str, resolve: Callable[[str], Field | None]) -> None:
    """Add fields named "<prefix>.<name>", resolved by `resolve(name)` (None if unknown)."""
    _families[prefix] = resolve


_aliases: dict[str, str] = {}


def register_alias(alias: str, key: str) -> None:
    """A short name for a field in the text form of filters (deal-stage for deals.stage)."""
    _aliases[alias] = key


def alias(name: str) -> str:
    """The field key a text-form name stands for (itself when it is no alias)."""
    return _aliases.get(name, name)


def lookup(key: str) -> Field | None:
    """The field named `key`, or None when no app registered it."""
    if key in _fields:
        return _fields[key]
    prefix, dot, name = key.partition(".")
    if dot and prefix in _families and name:
        return _families[prefix](name)
    return None


def known_fields() -> list[Field]:
    """Every fixed field plus the family members that exist now (for the builder and errors)."""
    from kartoteka.segments import builtin  # the families list their members from the database

    return [*_fields.values(), *builtin.family_members()]


def describe(item: Field) -> dict:
    """A field as the API and the filter builder show it."""
    return {
        "key": item.key,
        "label": str(item.label),
        "group": str(item.group),
        "type": item.type,
        "operators": list(item.operators),
        "choices": [[code, str(label)] for code, label in item.choices()] if item.choices else None,
        "pickable": pickable(item),
    }


def pickable(item: Field) -> bool:
    """Whether the builder offers a picker of the values that exist (with their counts)."""
    return item.options is not None or item.choices is not None


# --------------------------------------------------------------------------------------------
# Cleaning values by type and operator; messages say what is allowed.


def clean_value(item: Field, op: str, value: Any, where: str) -> Any:
    """The value in the form `item.build` expects, or InvalidInput naming what is allowed."""
    if op in ("is_empty", "is_not_empty"):
        if value not in (None, True, "", []):
            raise InvalidInput(
                where, gettext("%(op)s takes no value; leave value out.") % {"op": op}
            )
        return None
    kind = item.type
    if op in ("in", "not_in", "has_any", "has_all", "has_none"):
        items = _list(value, where, op)
        cleaned = list(dict.fromkeys(_one(item, kind, entry, where) for entry in items))
        if op == "has_all" and len(cleaned) > MAX_ALL:
            raise InvalidInput(
                where, gettext("has_all takes at most %(max_all)s values.") % {"max_all": MAX_ALL}
            )
        return cleaned
    if op == "between":
        if not isinstance(value, list) or len(value) != 2:
            raise InvalidInput(where, gettext("between takes a list of two values: [from, to]."))
        low, high = (_one(item, kind, v, where) for v in value)
        if low > high:
            raise InvalidInput(where, gettext("between takes [from, to] with from not after to."))
        return [low, _day_end(high, value[1])]
    if op in ("in_last_days", "more_than_days_ago"):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_DAYS:
            raise InvalidInput(
                where,
                gettext("%(op)s takes a whole number of days from 0 to %(max_days)s.")
                % {"op": op, "max_days": MAX_DAYS},
            )
        return value
    cleaned = _one(item, kind, value, where)
    return _day_end(cleaned, value) if op == "after" else cleaned


def _day_end(cleaned: Any, given: Any) -> Any:
    """A date given without a time, as an upper bound, means the end of that day:
    "between 2024-01-01 and 2024-03-31" includes the afternoon of the 31st."""
    if isinstance(cleaned, dt.datetime) and isinstance(given, str) and len(given.strip()) == 10:
        return cleaned + dt.timedelta(days=1) - dt.timedelta(microseconds=1)
    return cleaned


def _list(value: Any, where: str, op: str) -> list:
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list) or not value:
        raise InvalidInput(where, gettext("%(op)s takes a non-empty list of values.") % {"op": op})
    if len(value) > MAX_LIST:
        raise InvalidInput(
            where,
            gettext("%(op)s takes at most %(max_list)s values; got %(len_value)s.")
            % {"op": op, "max_list": MAX_LIST, "len_value": len(value)},
        )
    return value


def _one(item: Field, kind: str, value: Any, where: str) -> Any:
    if kind in ("text", "search", "set", "choice"):
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise InvalidInput(where, gettext("Expected a text value."))
        text = str(value).strip()
        if not text or len(text) > MAX_TEXT or "\x00" in text:
            raise InvalidInput(
                where,
                gettext("Expected a text of 1 to %(max_text)s characters.")
                % {"max_text": MAX_TEXT},
            )
        text = item.normalise(text)
        if kind in ("choice", "set") and item.choices is not None:
            allowed = [code for code, _label in item.choices()]
            if text not in allowed:
                raise InvalidInput(
                    where,
                    gettext("Expected one of: %(join_allowed)s; got %(text)s.")
                    % {"join_allowed": ", ".join(allowed), "text": repr(text)},
                )
        return text
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            try:
                value = float(str(value).replace(",", "."))
            except ValueError:
                raise InvalidInput(
                    where, gettext("Expected a number; got %(value)s.") % {"value": repr(value)}
                ) from None
        if value != value or value in (float("inf"), float("-inf")):
            raise InvalidInput(where, gettext("Expected a finite number."))
        return value
    if kind == "date":
        return _date(value, where)
    if kind == "boolean":
        if not isinstance(value, bool):
            raise InvalidInput(where, gettext("Expected true or false."))
        return value
    raise InvalidInput(where, gettext("Unsupported value type %(kind)s.") % {"kind": repr(kind)})


def _date(value: Any, where: str) -> dt.datetime:
    if isinstance(value, str):
        text = value.strip()
        try:
            if len(text) == 10:
                day = dt.date.fromisoformat(text)
                return dt.datetime.combine(day, dt.time(), tzinfo=timezone.get_current_timezone())
            when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
            if timezone.is_naive(when):
                when = timezone.make_aware(when)
            return when
        except ValueError:
            pass
    raise InvalidInput(
        where,
        gettext("Expected a date as YYYY-MM-DD (or an ISO date-time); got %(value)s.")
        % {"value": repr(value)},
    )


# --------------------------------------------------------------------------------------------
# Builders: one per kind of storage. Each returns a function (op, value) -> Q.


def days_ago(days: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


def column(
    path: str, kind: str, *, nullable: bool = False, fold_case: bool = False, is_date: bool = False
):
    """A column of the contact row (or a single-valued relation such as company__name)."""

    def build(op: str, value: Any) -> Q:
        if op in ("is_empty", "is_not_empty"):
            empty = Q(**{f"{path}__isnull": True}) if nullable else Q(pk__in=[])
            if kind in ("text", "choice"):
                empty |= Q(**{path: ""})
            return empty if op == "is_empty" else ~empty
        if op in ("ne", "not_in"):
            return ~build("eq" if op == "ne" else "in", value)
        if kind == "date":
            return _date_q(path, op, value, is_date=is_date)
        if op == "eq":
            return Q(**{f"{path}__iexact" if fold_case else path: value})
        if op == "in":
            if fold_case:  # one IN over lower-cased text, not hundreds of ORs
                folded = Lower(Coalesce(F(path), Value(""))) if nullable else Lower(F(path))
                return Q(In(folded, [v.lower() for v in value]))
            return Q(**{f"{path}__in": value})
        lookups = {
            "gt": "gt",
            "gte": "gte",
            "lt": "lt",
            "lte": "lte",
            "contains": "icontains",
            "starts_with": "istartswith",
        }
        if op == "between":
            return Q(**{f"{path}__gte": value[0], f"{path}__lte": value[1]})
        return Q(**{f"{path}__{lookups[op]}": value})

    return build


def _date_q(path: str, op: str, value: Any, *, is_date: bool) -> Q:
    def at(when: dt.datetime):
        return timezone.localtime(when).date() if is_date else when

    if op == "in_last_days":  # up to now: a renewal next month is not "in the last days"
        return Q(**{f"{path}__gte": at(days_ago(value)), f"{path}__lte": at(timezone.now())})
    if op == "more_than_days_ago":
        return Q(**{f"{path}__lt": at(days_ago(value))})
    if op == "before":
        return Q(**{f"{path}__lt": at(value)})
    if op == "after":
        return Q(**{f"{path}__gt": at(value)})
    if op == "between":
        low, high = value
        return Q(**{f"{path}__gte": at(low), f"{path}__lte": at(high)})
    if op == "eq":  # the same calendar day
        start = timezone.localtime(value).replace(hour=0, minute=0, second=0, microsecond=0)
        if is_date:
            return Q(**{path: start.date()})
        return Q(**{f"{path}__gte": start, f"{path}__lt": start + dt.timedelta(days=1)})
    raise AssertionError(op)


def _any_of(conditions: list[Q]) -> Q:
    result = Q(pk__in=[])
    for condition in conditions:
        result |= condition
    return result


def related(rows: Callable[[list[str] | None], Any]):
    """A many-valued relation (tags, owners, messenger networks): `rows(values)` gives the
    contact ids having any of `values` (or any row at all for None) as a values_list query."""

    def build(op: str, value: Any) -> Q:
        if op in ("is_empty", "is_not_empty"):
            having = Q(pk__in=Subquery(rows(None)))
            return ~having if op == "is_empty" else having
        if op in ("eq", "in", "has_any"):
            return Q(pk__in=Subquery(rows(list(value) if op != "eq" else [value])))
        if op in ("ne", "not_in", "has_none"):
            return ~build("has_any", value if op != "ne" else [value])
        if op == "has_all":
            result = Q()
            for one in dict.fromkeys(value):
                result &= Q(pk__in=Subquery(rows([one])))
            return result
        raise AssertionError(op)

    return build


class TagIdsMatch(Func):
    """PostgreSQL: a test of the contact row's own array of tag ids (contacts_contact.tag_ids,
    kept in step by triggers, see segments migration 0009) against bound tag ids, answered by
    that array's GIN index: `&&` shares one of them, `@>` has them all."""

    conditional = True
    output_field = model_fields.BooleanField()

    def __init__(self, operator: str, ids: list[int]) -> None:
        if operator not in ("&&", "@>"):
            raise ValueError(f"not an array operator: {operator!r}")
        self.operator, self.ids = operator, ids
        super().__init__(F("pk"))

    def as_sql(self, compiler, connection, **extra):
        id_sql, params = compiler.compile(self.source_expressions[0])
        # The same table alias as the id (a subquery's U0 as well as the main table).
        alias = id_sql.rsplit(".", 1)[0]
        return f"{alias}.tag_ids {self.operator} %s::bigint[]", [*params, self.ids]


def tag_ids_on_row(resolve: Callable[[list[str]], list[int]], otherwise: Callable):
    """Tags under an `any`: on PostgreSQL, "has any" and "has all" test the row's tag-id array,
    which the planner ORs with the contact table's other indexes (a tag or a score: two bitmaps)
    where the link rows' semi-join would make it read every contact. The other operators, and
    every operator elsewhere, take `otherwise` (the link-table subqueries of `related`): "has
    none" of a popular tag is an anti-join that reads the link table's index, where the array
    would be read from each contact row."""

    def build(op: str, value: Any) -> Q:
        if connection.vendor != "postgresql" or op not in ("has_any", "has_all"):
            return otherwise(op, value)
        names = list(dict.fromkeys(value))
        ids = resolve(names)
        if op == "has_any":
            return Q(TagIdsMatch("&&", ids))
        # A name that is no tag at all: nobody has all of them.
        return Q(TagIdsMatch("@>", ids)) if len(ids) == len(names) else Q(pk__in=[])

    return build


def linked_ids(rows: Callable[[list[str] | None], Any], *, one_row_per_value: bool = False):
    """The `ids` of a field built by `related(rows)`: the link rows' contact ids for the
    positive operators, each contact once. A million contacts with a popular tag are counted
    from the link table's (value, contact) index alone, without visiting each contact row.

    With `one_row_per_value` (a unique (value, contact) constraint), the rows of one value
    already name each contact once, so counting them needs no de-duplication pass."""

    def ids(op: str, value: Any):
        if op in ("eq", "in", "has_any"):
            values = [value] if op == "eq" else list(value)
            found = rows(values)
            return found if one_row_per_value and len(values) == 1 else found.distinct()
        if op == "is_not_empty":
            return rows(None).distinct()
        return None

    return ids


def detail_present(key: str) -> Q:
    return Q(properties__has_key=key)


def custom_detail(key: str, kind: str, *, multi: bool = False, column: str | None = None):
    """A custom detail kept in Contact.properties[key]; `kind` is the value type; `column`, if
    given, the generated column that keeps its value too. Its Field takes
    `present=detail_present(key)`."""

    def value(numeric: bool = False) -> PropertyValue:
        return PropertyValue(key, numeric=numeric, column=column)

    has_key = detail_present(key)

    def build(op: str, raw: Any) -> Q:
        if op in ("is_empty", "is_not_empty"):
            return ~has_key if op == "is_empty" else has_key
        if op in ("ne", "not_in", "has_none"):
            positive = {"ne": "eq", "not_in": "in", "has_none": "has_any"}[op]
            return ~has_key | ~_property_condition(positive, raw)
        # Unknown (NULL) when the detail is missing, which a filter treats as "no match".
        return _property_condition(op, raw)

    def _property_condition(op: str, raw: Any) -> Q:
        if multi:  # a JSON list of choices: match the quoted choice inside its text
            texts = [json.dumps(v)[1:-1] for v in ([raw] if op == "eq" else raw)]
            parts = [Q(IContains(value(), f'"{text}"')) for text in texts]
            if op == "has_all":
                result = Q()
                for part in parts:
                    result &= part
                return result
            return _any_of(parts)
        if kind == "boolean":
            # The detail's text as its index holds it: PostgreSQL's ->> gives 'true' / 'false',
            # SQLite's json_extract 1 / 0.
            if connection.vendor == "postgresql":
                stored = Value("true" if raw else "false", output_field=model_fields.TextField())
            else:
                stored = Value(int(raw), output_field=model_fields.IntegerField())
            return Q(Exact(value(), stored))
        if kind == "number":
            number = value(numeric=True)
            if op == "in":
                return Q(In(number, raw))
            if op == "between":
                return Q(GreaterThanOrEqual(number, raw[0])) & Q(LessThanOrEqual(number, raw[1]))
            lookup = {
                "eq": Exact,
                "gt": GreaterThan,
                "gte": GreaterThanOrEqual,
                "lt": LessThan,
                "lte": LessThanOrEqual,
            }[op]
            return Q(lookup(number, raw))
        if kind == "date":
            return _property_date(op, raw)
        text = value()
        if op == "eq":
            return Q(IExact(text, raw)) if kind == "text" else Q(Exact(text, raw))
        if op == "in":
            if kind == "text":
                return Q(In(Lower(text), [v.lower() for v in raw]))
            return Q(In(text, raw))
        if op == "contains":
            return Q(IContains(text, raw))
        if op == "starts_with":
            return Q(IStartsWith(text, raw))
        raise AssertionError(op)

    def _property_date(op: str, raw: Any) -> Q:
        # Stored as ISO "YYYY-MM-DD" text, so text comparison is date order.
        text = value()

        def day(when: dt.datetime) -> str:
            return timezone.localtime(when).date().isoformat()

        if op == "in_last_days":
            return Q(GreaterThanOrEqual(text, day(days_ago(raw)))) & Q(
                LessThanOrEqual(text, day(timezone.now()))
            )
        if op == "more_than_days_ago":
            return Q(LessThan(text, day(days_ago(raw))))
        if op == "before":
            return Q(LessThan(text, day(raw)))
        if op == "after":
            return Q(GreaterThan(text, day(raw)))
        if op == "between":
            return Q(GreaterThanOrEqual(text, day(raw[0]))) & Q(LessThanOrEqual(text, day(raw[1])))
        if op == "eq":
            return Q(Exact(text, day(raw)))
        raise AssertionError(op)

    return build
