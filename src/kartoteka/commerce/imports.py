"""Reading an events CSV: one event per row, columns mapped to event fields by their header
(or by --map), each row turned into the object the API takes. services.import_events runs
them through the same checks and bulk write as the API."""

import csv
from collections.abc import Iterator
from pathlib import Path

from django.utils.translation import gettext as _

from kartoteka.core.errors import InvalidInput

# What a column may be mapped to; "details.<name>" too.
FIELDS = (
    "id", "email", "contact_id", "external_id", "type", "occurred_at", "value", "currency",
    "location", "coupon", "order", "method", "status",
    "sku", "name", "price", "quantity", "category", "url",
)  # fmt: skip
IGNORE = "ignore"


def mapping_for(headers: list[str], chosen: dict[str, str]) -> dict[int, str]:
    """{column index: field}: the columns named as a field map to it unless `chosen` (column
    header or 1-based number → field or "ignore") says otherwise."""
    mapped: dict[int, str] = {}
    for index, header in enumerate(headers):
        name = header.strip().lower()
        if name in FIELDS or name.startswith("details."):
            mapped[index] = name
    for column, target in chosen.items():
        if column.isdigit() and 1 <= int(column) <= len(headers):
            index = int(column) - 1
        elif column in headers:
            index = headers.index(column)
        else:
            raise InvalidInput(
                "map",
                _("No column %(column)s; the columns are: %(headers)s")
                % {"column": column, "headers": ", ".join(headers)},
            )
        if target == IGNORE:
            mapped.pop(index, None)
        elif target in FIELDS or (target.startswith("details.") and len(target) > 8):
            mapped[index] = target
        else:
            raise InvalidInput(
                "map",
                _("%(field)s is not an event field; use one of: %(fields)s")
                % {"field": target, "fields": ", ".join(FIELDS)},
            )
    if "type" not in mapped.values() or "occurred_at" not in mapped.values():
        raise InvalidInput("map", _("Map a column to type and one to occurred_at."))
    if not {"email", "contact_id", "external_id"} & set(mapped.values()):
        raise InvalidInput("map", _("Map a column to email, contact_id or external_id."))
    return mapped


def read_rows(path: Path, chosen: dict[str, str]) -> tuple[list[str], Iterator[dict]]:
    """The header and the mapped rows of a CSV (UTF-8, delimiter sniffed), each row with its
    line number under "__line__"."""
    handle = path.open(encoding="utf-8-sig", newline="")
    sample = handle.read(64 * 1024)
    handle.seek(0)
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(handle, dialect)
    headers = next(reader, None)
    if not headers:
        handle.close()
        raise InvalidInput("file", _("The file is empty."))
    mapped = mapping_for(headers, chosen)

    def rows() -> Iterator[dict]:
        with handle:
            for cells in reader:
                if not any(c.strip() for c in cells):
                    continue
                row = {
                    field: cells[index].strip()
                    for index, field in mapped.items()
                    if index < len(cells) and cells[index].strip()
                }
                row["__line__"] = reader.line_num
                yield row

    return headers, rows()


def event_from_row(row: dict) -> dict:
    """The API's event object for one mapped row (one product line at most)."""
    event: dict = {}
    for name in ("id", "type", "occurred_at", "value", "currency", "location", "coupon",
                 "order", "method", "status"):  # fmt: skip
        if name in row:
            event[name] = row[name]
    if "contact_id" in row:
        event["contact"] = {
            "id": int(row["contact_id"]) if row["contact_id"].isdigit() else row["contact_id"]
        }
    elif "email" in row:
        event["contact"] = {"email": row["email"]}
        if "external_id" in row:
            event["contact"]["external_id"] = row["external_id"]
    elif "external_id" in row:
        event["contact"] = {"external_id": row["external_id"]}
    if "sku" in row:
        line: dict = {"sku": row["sku"]}
        for name in ("name", "price", "category", "url"):
            if name in row:
                line[name] = row[name]
        if "quantity" in row:
            line["quantity"] = (
                int(row["quantity"]) if row["quantity"].isdigit() else row["quantity"]
            )
        event["products"] = [line]
    details = {k.split(".", 1)[1]: v for k, v in row.items() if k.startswith("details.")}
    if details:
        event["details"] = details
    return event
