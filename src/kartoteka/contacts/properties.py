"""Validation and coercion of custom detail values by their property type.

Values are stored in their JSON-native form: text / url / dictionary as strings, number as int,
decimal as a string with a fixed point (so no float rounding), date as ISO "YYYY-MM-DD",
boolean as true / false, multi-choice as a sorted list of strings.
"""

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _

from kartoteka.contacts.models import PropertyDefinition, PropertyType
from kartoteka.core.errors import InvalidInput
from kartoteka.core.normalise import DATE_FORMATS_SHOWN, clean_text, parse_day

_TRUE = {"true", "1", "yes", "y", "si", "sí", "tak", "t", "x"}
_FALSE = {"false", "0", "no", "n", "nie", "f", ""}
_url_validator = URLValidator(schemes=["http", "https"])
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def _fail(definition: PropertyDefinition, expected: str, value: Any) -> InvalidInput:
    shown = repr(value) if len(repr(value)) < 60 else repr(value)[:57] + "…"
    return InvalidInput(
        f"properties.{definition.key}",
        _("%(definition_label)s (%(definition_key)s) expects %(expected)s; got %(shown)s.")
        % {
            "definition_label": definition.label,
            "definition_key": definition.key,
            "expected": expected,
            "shown": shown,
        },
    )


def coerce_value(definition: PropertyDefinition, value: Any) -> Any:
    """Return `value` in the stored form of the definition's type, or raise InvalidInput.

    None or an empty string means "no value" and returns None.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    kind = definition.type
    if kind == PropertyType.TEXT:
        if isinstance(value, (dict, list)):
            raise _fail(definition, _("text"), value)
        return clean_text(value, field=f"properties.{definition.key}", max_length=10_000)
    if kind == PropertyType.NUMBER:
        if isinstance(value, bool):
            raise _fail(definition, _("a whole number"), value)
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        try:
            return int(str(value).strip().replace(" ", "").replace("\u00a0", ""))
        except ValueError:
            raise _fail(definition, _("a whole number"), value) from None
    if kind == PropertyType.DECIMAL:
        if isinstance(value, (bool, dict, list)):
            raise _fail(definition, _("a decimal number"), value)
        text = str(value).strip().replace(" ", "").replace("\u00a0", "")
        if "," in text and "." not in text:
            text = text.replace(",", ".")  # 12,50 as typed in Spain and Poland
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise _fail(definition, _("a decimal number"), value) from None
        # Bounded so that sorting and filtering never meet 1E+999999 or endless fractions.
        if not number.is_finite() or number.adjusted() >= 15 or number.as_tuple().exponent < -10:
            raise _fail(definition, _("a decimal number (up to 15 digits, 10 decimals)"), value)
        return str(number.normalize()) if number == number.to_integral() else str(number)
    if kind == PropertyType.DATE:
        if isinstance(value, dt.datetime):
            return value.date().isoformat()
        if isinstance(value, dt.date):
            return value.isoformat()
        day = parse_day(str(value))
        if day is None:
            raise _fail(
                definition, _("a date (%(formats)s)") % {"formats": DATE_FORMATS_SHOWN}, value
            )
        return day.isoformat()
    if kind == PropertyType.BOOLEAN:
        if isinstance(value, bool):
            return value
        text = str(value).strip().casefold()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise _fail(definition, _("yes or no (true / false)"), value)
    if kind == PropertyType.URL:
        text = str(value).strip()
        if "://" not in text:
            text = "https://" + text
        try:
            _url_validator(text)
        except ValidationError:
            raise _fail(definition, _("a web address (http or https)"), value) from None
        return text
    if kind == PropertyType.DICTIONARY:
        return _pick_choice(definition, value)
    if kind == PropertyType.MULTI_CHOICE:
        items = value if isinstance(value, (list, tuple, set)) else str(value).split(",")
        picked = sorted({_pick_choice(definition, item) for item in items if str(item).strip()})
        return picked or None
    raise _fail(definition, _("a known type"), value)


def _pick_choice(definition: PropertyDefinition, value: Any) -> str:
    if isinstance(value, (dict, list)):
        raise _fail(definition, _one_of(definition), value)
    text = str(value).strip()
    for choice in definition.choices:
        if choice.casefold() == text.casefold():
            return choice
    raise _fail(definition, _one_of(definition), value)


def _one_of(definition: PropertyDefinition) -> str:
    return _("one of: %(choices)s") % {"choices": ", ".join(definition.choices)}


def validate_definition(*, key: str, label: str, type: str, choices: list | None) -> dict:
    """Check a property definition's own fields; return them cleaned."""
    errors: dict[str, list[str]] = {}
    key = (key or "").strip()
    if not _KEY.match(key):
        errors["key"] = [
            _("Use a lower-case key of letters, digits and _, starting with a letter.")
        ]
    label = clean_text(label, field="label")
    if not label:
        errors["label"] = [_("Enter a label.")]
    if type not in PropertyType.values:
        errors["type"] = [
            _("Type must be one of: %(values)s.") % {"values": ", ".join(PropertyType.values)}
        ]
    cleaned_choices: list[str] = []
    if type in (PropertyType.DICTIONARY, PropertyType.MULTI_CHOICE):
        seen = set()
        for item in choices or []:
            text = clean_text(item, field="choices", max_length=255)
            if text and text.casefold() not in seen:
                seen.add(text.casefold())
                cleaned_choices.append(text)
        if not cleaned_choices:
            errors["choices"] = [_("A list type needs at least one choice.")]
    elif choices:
        errors["choices"] = [_("Only dictionary and multi-choice details have choices.")]
    if errors:
        raise InvalidInput(errors=errors)
    return {"key": key, "label": label, "type": type, "choices": cleaned_choices}


def merge_typed_values(
    value: Any,
    current: dict,
    definitions: dict[str, PropertyDefinition],
    errors,
    *,
    not_an_object: str,
    unknown_key: str,
) -> dict:
    """Custom values of a record other than a contact (a deal's fields, a company's details):
    `value` typed by `definitions` (keyed by key) onto `current`; None removes a value. Errors
    go to the ErrorCollector `errors` under "properties" and "properties.<key>"."""
    if not isinstance(value, dict):
        errors.add("properties", not_an_object)
        return current
    merged = dict(current)
    for key, raw in value.items():
        definition = definitions.get(key)
        if definition is None:
            errors.add(f"properties.{key}", unknown_key)
            continue
        try:
            coerced = coerce_value(definition, raw)
        except InvalidInput as exc:
            errors.capture(exc)
            continue
        if coerced is None:
            merged.pop(key, None)
        else:
            merged[key] = coerced
    return merged
