"""Import columns other apps bring: a column of the file mapped to an app's own target (the
mailing lists a contact joins, …). The import hands each batch's values to the app once the
batch's contacts are written, in the same transaction; apps register from their ready()."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ImportColumn:
    """`apply(actor, values)` receives [(contact id, cell text)] for the rows of one batch and
    returns {contact id: message} for the values it could not use (reported as warnings).
    `prepare(values)`, when given, runs before the batch's contacts are written with
    [(cell text, cleaned row)] and may change those rows (the company a domain already names,
    so the name column does not make another)."""

    key: str
    label: Any  # a lazy translation
    apply: Callable[[Any, list[tuple[int, str]]], dict[int, str]]
    prepare: Callable[[list[tuple[str, dict]]], None] | None = None
    # Headers that suggest the column in the import wizard, matched whole once folded (never
    # inside an address book's numbered or qualified header); a contact field's own synonym
    # wins over them.
    headers: tuple[str, ...] = ()


_columns: dict[str, ImportColumn] = {}


def register(column: ImportColumn) -> None:
    _columns[column.key] = column


def registered() -> dict[str, ImportColumn]:
    return dict(_columns)
