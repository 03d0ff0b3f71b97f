"""The compact text form of a filter, typed in the search box, compiled to the JSON document.

    tag:vip country:ES,PL created:<30d plan:pro score>50 "Ana María" -status:lost
    did:visit>=3/7d   has:birthday   no:company   score:10..50   created:2024-01-01..2024-03-31

Words and "quoted phrases" without a field search names, e-mails, phones and company; a leading
"-" negates a term; field names are the filter fields (aliases below) or custom detail keys.
"""

import re
from typing import Any

from django.utils.translation import gettext as _

from kartoteka.core.errors import InvalidInput
from kartoteka.segments import fields, schema

ALIASES = {
    "tag": "tags",
    "created": "created_at",
    "updated": "updated_at",
    "activity": "last_activity_at",
    "last_activity": "last_activity_at",
    "won": "won_at",
    "name": "text",
}
MAX_TEXT = 2000
_DAYS = re.compile(r"^(\d{1,5})d$")
_BEHAVIOUR = re.compile(
    r"^(?P<kind>[a-z][a-z0-9_]{0,39})(?:>=(?P<n>\d{1,6}))?(?:/(?P<d>\d{1,5})d)?$"
)
_COMPARISON = re.compile(r"^(?P<key>[a-z][a-z0-9_.-]*)(?P<op>>=|<=|!=|>|<|=|:)(?P<value>.*)$", re.S)


def parse(text: str) -> dict:
    """The checked JSON document for `text`; InvalidInput (field "q") says what is wrong."""
    if not isinstance(text, str):
        raise InvalidInput("q", _("The search text must be text."))
    if len(text) > MAX_TEXT:
        raise InvalidInput(
            "q",
            _("The search text may be at most %(max_text)s characters.") % {"max_text": MAX_TEXT},
        )
    words: list[str] = []
    conditions: list[dict] = []
    for raw, quoted_whole in _tokens(text):
        negate = raw.startswith("-") and len(raw) > 1 and not quoted_whole
        term = raw[1:] if negate else raw
        condition = None if quoted_whole else _term(term)
        if condition is None:
            if negate:
                condition = {"field": "text", "op": "contains", "value": term}
            else:
                words.append(term)
                continue
        conditions.append({"not": condition} if negate else condition)
    if words:
        conditions.insert(0, {"field": "text", "op": "contains", "value": " ".join(words)})
    document = {"all": conditions}
    try:
        return schema.validate(document)
    except InvalidInput as exc:
        messages = [m for ms in exc.errors.values() for m in ms]
        raise InvalidInput("q", " ".join(messages)) from None


def _tokens(text: str) -> list[tuple[str, bool]]:
    """Split on spaces outside double quotes; quotes are removed. The flag says the whole token
    was one quoted phrase (so "a:b" in quotes is searched as text, not read as a field)."""
    tokens: list[tuple[str, bool]] = []
    current: list[str] = []
    in_quotes = whole = False
    started = False
    for ch in text:
        if ch == '"':
            if not in_quotes and not current:
                whole = True
            in_quotes = not in_quotes
            started = True
            continue
        if ch.isspace() and not in_quotes:
            if started:
                tokens.append(("".join(current), whole))
            current, whole, started = [], False, False
            continue
        current.append(ch)
        started = True
    if in_quotes:
        raise InvalidInput("q", _("A quote is not closed."))
    if started:
        tokens.append(("".join(current), whole))
    return [(token, whole) for token, whole in tokens if token.strip() and token != "-"]


def _term(term: str) -> dict | None:
    """The condition for one `key<op>value` term, or None when it is a plain word."""
    match = _COMPARISON.match(term)
    if not match:
        return None
    key, op, value = match["key"], match["op"], match["value"]
    if key in ("has", "no") and op == ":":
        return {"field": _field_key(value), "op": "is_not_empty" if key == "has" else "is_empty"}
    if key == "did" and op == ":":
        return _behaviour(value)
    field_key = _field_key(key)
    item = fields.lookup(field_key)
    if item is None:
        if "." in key or "@" in term:  # e-mail addresses and dotted words are searched as text
            return None
        raise InvalidInput(
            "q", _("Unknown field %(key)r in %(term)r.") % {"key": key, "term": term}
        )
    if value == "":
        raise InvalidInput("q", _("%(term)r needs a value after the field.") % {"term": term})
    if item.type == "set":
        return _set(field_key, op, value)
    if item.type == "date":
        return _dates(field_key, op, value)
    if item.type == "boolean":
        return {"field": field_key, "op": "eq", "value": _boolean(value, term)}
    if item.type == "search" and op in (":", "="):
        return {"field": field_key, "op": "contains", "value": value}
    return _scalar(field_key, item.type, op, value, term)


def _field_key(key: str) -> str:
    key = ALIASES.get(key) or fields.alias(key)
    if fields.lookup(key) is None and "." not in key and fields.lookup(f"properties.{key}"):
        return f"properties.{key}"
    return key


def _split(value: str) -> list[str]:
    return [part for part in value.split(",") if part]


def _set(key: str, op: str, value: str) -> dict:
    names = _split(value)
    if op == ":" or op == "=":
        return {"field": key, "op": "has_any", "value": names}
    if op == "!=":
        return {"field": key, "op": "has_none", "value": names}
    raise InvalidInput("q", _("%(key)s takes key:a,b or key!=a.") % {"key": key})


def _dates(key: str, op: str, value: str) -> dict:
    if op == ":" and value[:1] in "<>":
        op, value = value[0], value[1:]
    days = _DAYS.match(value)
    if days:
        number = int(days[1])
        if op in ("<", "<="):
            return {"field": key, "op": "in_last_days", "value": number}
        if op in (">", ">="):
            return {"field": key, "op": "more_than_days_ago", "value": number}
        raise InvalidInput("q", _("Use %(key)s:<30d or %(key)s:>30d.") % {"key": key})
    if ".." in value and op in (":", "="):
        low, _sep, high = value.partition("..")
        return {"field": key, "op": "between", "value": [low, high]}
    operator = {":": "eq", "=": "eq", "<": "before", "<=": "before", ">": "after", ">=": "after"}
    if op not in operator:
        raise InvalidInput("q", _("%(key)s takes <, >, a date, or from..to.") % {"key": key})
    return {"field": key, "op": operator[op], "value": value}


def _scalar(key: str, kind: str, op: str, value: str, term: str) -> dict:
    numbers = kind == "number"
    if op in (":", "=") and ".." in value and numbers:
        low, _sep, high = value.partition("..")
        return {"field": key, "op": "between", "value": [_number(low, term), _number(high, term)]}
    parts = _split(value) if op in (":", "=", "!=") else [value]
    parsed: list[Any] = [_number(p, term) for p in parts] if numbers else parts
    if not parsed:
        raise InvalidInput("q", _("%(key)s needs a value.") % {"key": key})
    if op in (":", "="):
        return (
            {"field": key, "op": "in", "value": parsed}
            if len(parsed) > 1
            else {
                "field": key,
                "op": "eq",
                "value": parsed[0],
            }
        )
    if op == "!=":
        return {"field": key, "op": "not_in", "value": parsed}
    if not numbers:
        raise InvalidInput("q", _("%(key)s takes key:value, not %(op)s.") % {"key": key, "op": op})
    return {
        "field": key,
        "op": {">": "gt", ">=": "gte", "<": "lt", "<=": "lte"}[op],
        "value": parsed[0],
    }


def _number(text: str, term: str) -> float | int:
    try:
        number = float(text.replace(",", "."))
    except ValueError:
        message = _("%(value)r in %(term)r is not a number.") % {"value": text, "term": term}
        raise InvalidInput("q", message) from None
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


def _boolean(value: str, term: str) -> bool:
    folded = value.casefold()
    if folded in ("yes", "true", "1", "y", "sí", "si", "tak"):
        return True
    if folded in ("no", "false", "0", "n", "nie"):
        return False
    raise InvalidInput("q", _("%(term)r takes yes or no.") % {"term": term})


def _behaviour(value: str) -> dict:
    match = _BEHAVIOUR.match(value)
    if not match:
        raise InvalidInput(
            "q", _("Write behaviour as did:visit>=3/7d (kind, at least N, within D days).")
        )
    return {
        "activity": match["kind"],
        "min_count": int(match["n"] or 1),
        "within_days": int(match["d"] or 30),
    }
