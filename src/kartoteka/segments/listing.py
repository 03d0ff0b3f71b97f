"""What segments gives the contact list (registered as contacts.listing.FilterLanguage): its
filter read from ?f= (JSON document) and ?q= (text form), the chips that show and remove each
condition, and the builder's context."""

import datetime as dt
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy

from kartoteka.activity import timeline
from kartoteka.contacts import tag_colors
from kartoteka.core import display
from kartoteka.core.errors import InvalidInput
from kartoteka.segments import fields, queries, schema, services
from kartoteka.segments.compile import to_q

OPERATOR_LABELS = {
    "eq": gettext_lazy("is"),
    "ne": gettext_lazy("is not"),
    "in": gettext_lazy("is one of"),
    "not_in": gettext_lazy("is none of"),
    "gt": ">",
    "gte": "≥",
    "lt": "<",
    "lte": "≤",
    "between": gettext_lazy("between"),
    "contains": gettext_lazy("contains"),
    "starts_with": gettext_lazy("starts with"),
    "is_empty": gettext_lazy("is empty"),
    "is_not_empty": gettext_lazy("is not empty"),
    "has_any": gettext_lazy("has any of"),
    "has_all": gettext_lazy("has all of"),
    "has_none": gettext_lazy("has none of"),
    "in_last_days": gettext_lazy("in the last … days"),
    "more_than_days_ago": gettext_lazy("more than … days ago"),
    "before": gettext_lazy("before"),
    "after": gettext_lazy("after"),
}


@dataclass
class Chip:
    label: str
    remove_url: str


@dataclass
class ListFilter:
    """The filter of a list request: its document (None when it has an error) and chips."""

    document: dict | None
    error: str = ""
    chips: list[Chip] = field(default_factory=list)

    @property
    def json(self) -> str:
        return json.dumps(self.document or {"all": []}, ensure_ascii=False)


def list_filter(request: HttpRequest) -> ListFilter:
    """Read ?f=<json document> and ?q=<text form> of a list request into one document."""
    found = filter_of(request.GET)
    if found.document is not None:
        found.chips = _chips(request, found.document)
    return found


def filter_of(params: Mapping[str, str]) -> ListFilter:
    """The filter of a list's parameters f (JSON document) and q (text form), without chips."""
    raw, text = (params.get("f") or "").strip(), params.get("q") or ""
    try:
        document = json.loads(raw) if raw else None
    except ValueError:
        return ListFilter(None, _("The filter in the address is not valid JSON."))
    try:
        combined = queries.document_from(document=document, q=text)
    except InvalidInput as exc:
        return ListFilter(None, " ".join(m for ms in exc.errors.values() for m in ms))
    return ListFilter(combined)


def narrow_by(params: Mapping[str, str], contacts: QuerySet) -> tuple[QuerySet, str]:
    """`contacts` (already the user's scope) narrowed by the list's filter (f and q); an error
    message instead when the filter is wrong (then nothing is listed and the list says why)."""
    found = filter_of(params)
    if found.document is None:
        return contacts.none(), found.error
    return contacts.filter(to_q(schema.parse(found.document))), ""


def _conditions(document: dict) -> list[dict]:
    """The top-level conditions, flattening nested "all" groups (what the chips show)."""
    if set(document) == {"all"}:
        return [c for part in document["all"] for c in _conditions(part)]
    return [document]


def _chips(request: HttpRequest, document: dict) -> list[Chip]:
    conditions = _conditions(document)
    describer = Describer()
    chips = []
    for index, condition in enumerate(conditions):
        rest = conditions[:index] + conditions[index + 1 :]
        query = request.GET.copy()
        for name in ("q", "f", "after", "before"):
            query.pop(name, None)
        if rest:
            query["f"] = json.dumps({"all": rest}, ensure_ascii=False)
        chips.append(Chip(describer.text(condition), f"{request.path}?{query.urlencode()}"))
    return chips


class Describer:
    """Writes conditions as sentences in the reader's language: a value by its name ("Country
    is Spain", "Status is Client"), numbers and dates as the reader writes them; as HTML, tags
    as their coloured chips. A field's names are read once per describer, so describing many
    conditions costs no query each."""

    def __init__(self) -> None:
        self._fields: dict[str, fields.Field | None] = {}
        self._names: dict[str, dict[str, str]] = {}
        self._tags: dict[str, tuple[str, str]] = {}

    def field(self, key: str) -> fields.Field | None:
        if key not in self._fields:
            self._fields[key] = fields.lookup(key)
        return self._fields[key]

    def names(self, item: fields.Field) -> dict[str, str]:
        """The names of `item`'s values by the value a filter stores."""
        if item.key not in self._names:
            pairs = item.names or item.choices
            self._names[item.key] = {code: str(text) for code, text in pairs()} if pairs else {}
        return self._names[item.key]

    def text(self, condition: dict) -> str:
        return self._sentence(condition, str)

    def html(self, condition: dict) -> SafeString:
        """The sentence as HTML, each tag as its chip (the tags' colours read in one query)."""
        wanted = {name for name in _tag_names(condition) if name not in self._tags}
        if wanted:
            self._tags.update(queries.tag_colors(wanted))
        return mark_safe(self._sentence(condition, conditional_escape))  # noqa: S308 (escaped)

    def _sentence(self, condition: dict, e: Callable[[Any], str]) -> str:
        """The sentence, each piece passed through `e` (str, or an escape for HTML)."""
        if "all" in condition or "any" in condition:
            kind = "all" if "all" in condition else "any"
            joiner = e(_(" and ") if kind == "all" else _(" or "))
            return "(" + joiner.join(self._sentence(c, e) for c in condition[kind]) + ")"
        if "not" in condition:
            return e(_("not %(condition)s")) % {"condition": self._sentence(condition["not"], e)}
        if "activity" in condition:
            return e(_("%(kind)s at least %(n)s times in the last %(days)s days")) % {
                "kind": e(timeline.label(condition["activity"])),
                "n": e(_number(condition["min_count"])),
                "days": e(_number(condition["within_days"])),
            }
        item = self.field(condition["field"])
        label = e(item.label if item else condition["field"])
        op = condition["op"]
        value = condition.get("value")
        if op in ("in_last_days", "more_than_days_ago"):
            template = (
                _("%(field)s in the last %(n)s days")
                if op == "in_last_days"
                else _("%(field)s more than %(n)s days ago")
            )
            return e(template) % {"field": label, "n": e(_number(value))}
        values = value if isinstance(value, list) else [value]
        chips = e is not str and item is not None and item.key == "tags"
        shown = [self._tag(v) if chips else e(self.value(item, v)) for v in values if v is not None]
        joined = (" – " if op == "between" else ", ").join(shown)
        return f"{label} {e(OPERATOR_LABELS.get(op, op))} {joined}".strip()

    def _tag(self, value: Any) -> str:
        """A tag as its chip; a name no tag has any more as the text it was given."""
        if str(value) in self._tags:
            return tag_colors.chip(*self._tags[str(value)])
        return conditional_escape(value)

    def value(self, item: fields.Field | None, value: Any) -> str:
        """One value as the reader reads it."""
        if isinstance(value, bool):
            return _("yes") if value else _("no")
        kind = item.type if item else ""
        if kind == "number":
            return _number(value)
        if kind == "date":
            return _date(value)
        names = self.names(item) if item is not None and isinstance(value, str) else {}
        if names:
            # A stored code reads as its name; the text form may give it in another case.
            return names.get(value) or names.get(item.normalise(value)) or value
        return str(value)


def _tag_names(condition: dict) -> list[str]:
    """The tags a condition names, at any depth."""
    for kind in ("all", "any"):
        if kind in condition:
            return [name for part in condition[kind] for name in _tag_names(part)]
    if "not" in condition:
        return _tag_names(condition["not"])
    if condition.get("field") != "tags":
        return []
    value = condition.get("value")
    return [str(v) for v in (value if isinstance(value, list) else [value]) if v is not None]


def _number(value: Any) -> str:
    return display.number(value) or str(value)


def _date(value: Any) -> str:
    """A date of a condition (YYYY-MM-DD, or an ISO date-time) as the reader writes it."""
    text = str(value).strip()
    try:
        if len(text) == 10:
            return display.day(dt.date.fromisoformat(text))
        return display.moment(dt.datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        return text


# How the builder's operator menu reads where a value follows in the same sentence
# ("Created | in the last | 7 days", "Score | at least | 50").
BUILDER_OPERATOR_LABELS = {
    "gt": pgettext_lazy("before a number", "more than"),
    "gte": pgettext_lazy("before a number", "at least"),
    "lt": pgettext_lazy("before a number", "less than"),
    "lte": pgettext_lazy("before a number", "at most"),
    "in_last_days": pgettext_lazy("before a number of days", "in the last"),
    "more_than_days_ago": pgettext_lazy("before a number of days ago", "more than"),
}


def builder_text() -> dict[str, str]:
    """The builder's words, in the reader's language."""
    return {
        "field": _("Field"),
        "operator": _("Operator"),
        "remove": _("Remove condition"),
        "removeValue": _("Remove {value}"),
        "search": _("Type to search…"),
        "noMatches": _("Nothing matches."),
        "days": _("Number of days"),
        "times": _("How many times"),
        "daysUnit": pgettext("after: in the last N", "days"),
        "daysAgoUnit": pgettext("after: more than N", "days ago"),
        "and": _("and"),
        "yes": _("yes"),
        "no": _("no"),
        "commas": _("a, b, c"),
        "behaviour": _("Behaviour"),
        # {times} and {days} become number boxes; the kind of activity is chosen before it.
        "sentence": _("at least {times} times in the last {days} days"),
        "incomplete": _("Fill in each condition to see the count."),
        "countFailed": _("The count could not be loaded; try again."),
    }


def behaviour_kinds() -> list[tuple[str, str]]:
    """The timeline kinds a behaviour condition may count (what a contact does or is done
    with), by their names in the reader's language."""
    found = [
        (kind.key, str(kind.label)) for kind in timeline.registered() if kind.counts_as_activity
    ]
    return sorted(found, key=lambda pair: pair[1].casefold())


def filter_rows(found: ListFilter) -> list[dict]:
    """The conditions of the filter being shown, one per builder row, each with the sentence
    that names it (for a row the builder shows as it is: a group, a negation)."""
    if found.document is None:
        return []
    describer = Describer()
    return [{"condition": c, "label": describer.text(c)} for c in _conditions(found.document) if c]


def builder_context(request: HttpRequest) -> dict[str, Any]:
    """What the list template's filter builder needs."""
    found = list_filter(request)
    return {
        "segment_filter": found,
        "filter_rows": filter_rows(found),
        "builder_text": builder_text(),
        "behaviour_kinds": behaviour_kinds(),
        "saved_filters": [
            {
                "id": saved.pk,
                "name": saved.name,
                "shared": saved.is_shared,
                "owner": saved.owner.display_name,
                "url": contacts_url(saved.document),
                "can_delete": services.can_change(request.user, saved),
            }
            for saved in queries.saved_filters(request.user)
        ],
        "filter_fields": [fields.describe(item) for item in fields.known_fields()],
        "operator_labels": {
            op: str(label) for op, label in {**OPERATOR_LABELS, **BUILDER_OPERATOR_LABELS}.items()
        },
    }


def contacts_url(document: dict) -> str:
    """The contact list showing the contacts that match `document`."""
    return f"{reverse('web:contact-list')}?{urlencode({'f': json.dumps(document)})}"
