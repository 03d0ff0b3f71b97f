"""What every piece of outside input must be before it reaches a database: text without NUL
characters or lone surrogates, and whole numbers that fit a 64-bit column.

Neither SQLite nor PostgreSQL can store a lone surrogate (the driver fails to encode it), and
PostgreSQL refuses NUL in text; an integer past 64 bits overflows the drivers. Checking here,
once, turns each of them into a field error instead of a server error wherever the input
comes from (API bodies, query strings, path parameters, form fields).
"""

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Annotated, Any

from django.utils.translation import gettext as _
from pydantic import BaseModel, Field

from kartoteka.core.errors import InvalidInput

MAX_INT = 2**63 - 1
MIN_INT = -(2**63)

# An id of a stored row: positive and within a 64-bit column.
Id = Annotated[int, Field(ge=1, le=MAX_INT)]
# Any whole number that a 64-bit column can hold.
Int64 = Annotated[int, Field(ge=MIN_INT, le=MAX_INT)]


def text_problem(value: str) -> str | None:
    """Why this text cannot be stored, or None when it can."""
    if "\x00" in value:
        return _("Text may not contain the NUL character (\\u0000).")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return _("Text may not contain a lone surrogate (\\ud800–\\udfff); send valid Unicode.")
    return None


def number_problem(value: int) -> str | None:
    """Why this whole number cannot be stored, or None when it can."""
    if MIN_INT <= value <= MAX_INT:
        return None
    return _("The number is too large: it must be between %(low)d and %(high)d.") % {
        "low": MIN_INT,
        "high": MAX_INT,
    }


def _problems(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        problem = text_problem(value)
        if problem:
            yield path or "__all__", problem
    elif isinstance(value, bool):
        return
    elif isinstance(value, int):
        problem = number_problem(value)
        if problem:
            yield path or "__all__", problem
    elif isinstance(value, BaseModel):
        for name, item in value:
            yield from _problems(item, f"{path}.{name}" if path else name)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            name = str(key)
            key_path = f"{path}.{name}" if path else name
            if isinstance(key, str):
                yield from _problems(key, key_path)
            yield from _problems(item, key_path)
    elif isinstance(value, list | tuple | set | frozenset):
        for index, item in enumerate(value):
            yield from _problems(item, f"{path}.{index}" if path else str(index))


def check_input(values: Mapping[str, Any]) -> None:
    """Raise InvalidInput naming every field whose text or number cannot be stored.

    `values` maps parameter names to what was parsed: strings, numbers, lists, dicts and
    pydantic models, nested to any depth. Anything else (files, responses) is skipped."""
    errors: dict[str, list[str]] = {}
    for name, value in values.items():
        # A body or a query schema's fields are named on their own, as the client sent them.
        prefix = "" if isinstance(value, BaseModel) else name
        for path, message in _problems(value, prefix):
            errors.setdefault(path, []).append(message)
    if errors:
        raise InvalidInput(errors=errors)


_WHOLE_NUMBER = re.compile(r"[+-]?\d+")


def _form_value_problem(name: str, value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):  # a path converter's number
        return number_problem(value)
    if not isinstance(value, str):
        return None
    problem = text_problem(value) or text_problem(name)
    if problem is None and len(value) > 18 and _WHOLE_NUMBER.fullmatch(value):
        problem = number_problem(int(value))
    return problem


def check_form_input(fields: Iterable[tuple[str, list[Any]]]) -> None:
    """The same check for a page's query string, form and path, where values are text (or a
    path converter's number): each text must be storable, and one written as a whole number
    must fit 64 bits (pages read ids, versions and counts from such fields)."""
    errors: dict[str, list[str]] = {}
    for name, values in fields:
        for value in values:
            problem = _form_value_problem(name, value)
            if problem:
                errors.setdefault(name, []).append(problem)
    if errors:
        raise InvalidInput(errors=errors)
