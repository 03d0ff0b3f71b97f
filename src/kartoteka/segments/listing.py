"""What segments gives the contact list (registered as contacts.listing.FilterLanguage): its
filter read from ?f= (JSON document) and ?q= (text form), the chips that show and remove each
condition, and the builder's context."""

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

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
    chips = []
    for index, condition in enumerate(conditions):
        rest = conditions[:index] + conditions[index + 1 :]
        query = request.GET.copy()
        for name in ("q", "f", "after", "before"):
            query.pop(name, None)
        if rest:
            query["f"] = json.dumps({"all": rest}, ensure_ascii=False)
        chips.append(Chip(describe(condition), f"{request.path}?{query.urlencode()}"))
    return chips


def describe(condition: dict) -> str:
    """A short sentence for a condition or group, in the user's language."""
    if "all" in condition or "any" in condition:
        kind = "all" if "all" in condition else "any"
        joiner = _(" and ") if kind == "all" else _(" or ")
        return "(" + joiner.join(describe(c) for c in condition[kind]) + ")"
    if "not" in condition:
        return _("not %(condition)s") % {"condition": describe(condition["not"])}
    if "activity" in condition:
        return _("%(kind)s at least %(n)s× in %(days)s days") % {
            "kind": condition["activity"],
            "n": condition["min_count"],
            "days": condition["within_days"],
        }
    item = fields.lookup(condition["field"])
    label = str(item.label) if item else condition["field"]
    op = condition["op"]
    value = condition.get("value")
    if op in ("in_last_days", "more_than_days_ago"):
        template = (
            _("%(field)s in the last %(n)s days")
            if op == "in_last_days"
            else _("%(field)s more than %(n)s days ago")
        )
        return template % {"field": label, "n": value}
    shown = ""
    if item is not None and item.choices is not None:
        # A choice reads as its label ("Status is Perdido"), not its code.
        labels = {code: str(text) for code, text in item.choices()}
        if isinstance(value, list):
            value = [labels.get(v, v) if isinstance(v, str) else v for v in value]
        elif isinstance(value, str):
            value = labels.get(value, value)
    if isinstance(value, list):
        shown = " – ".join(map(str, value)) if op == "between" else ", ".join(map(str, value))
    elif isinstance(value, bool):
        shown = _("yes") if value else _("no")
    elif value is not None:
        shown = str(value)
    return f"{label} {OPERATOR_LABELS.get(op, op)} {shown}".strip()


def builder_context(request: HttpRequest) -> dict[str, Any]:
    """What the list template's filter builder needs."""
    return {
        "segment_filter": list_filter(request),
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
        "operator_labels": {op: str(label) for op, label in OPERATOR_LABELS.items()},
    }


def contacts_url(document: dict) -> str:
    """The contact list showing the contacts that match `document`."""
    return f"{reverse('web:contact-list')}?{urlencode({'f': json.dumps(document)})}"
