"""Deals from a CSV or XLSX file (`kartoteka deals import`), by the contacts' import rules:
columns mapped to fields by their headers (or by hand), a dry run that writes nothing, a
report of the rows with problems by their physical line in the file, a strict mode that
rejects any row with a problem (otherwise a row is imported without its bad optional values,
each reported as a warning), and a revert of what an import created. Contacts are named by
e-mail; the file is read with the transfer app's readers.

Each row goes through deals.services.create_deal (its checks, timeline and event), in a
savepoint of its own, so a rejected row leaves nothing behind."""

import contextlib
import csv
import datetime as dt
import io
import itertools
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from kartoteka.core.errors import InvalidInput, NotFound
from kartoteka.core.scope import SYSTEM, is_admin, require_actor, user_or_none, visible_contacts
from kartoteka.deals import services
from kartoteka.deals.models import (
    BUILTIN_NAMES,
    Deal,
    DealField,
    DealImport,
    DealImportRow,
    Pipeline,
    Stage,
)
from kartoteka.transfer.formats import read_numbered_rows, sniff
from kartoteka.transfer.mapping import fold_header
from kartoteka.transfer.services import keep_upload, storage

# Folded header words (English, Spanish, Polish) each field is recognised by.
SYNONYMS = {
    "name": ("name", "deal", "deal name", "nombre", "trato", "nazwa", "transakcja"),
    "amount": ("amount", "value", "importe", "valor", "kwota", "wartosc"),
    "currency": ("currency", "moneda", "waluta"),
    "owner": ("owner", "propietario", "responsable", "wlasciciel"),
    "pipeline": ("pipeline", "funnel", "embudo", "lejek"),
    "stage": ("stage", "etapa", "etap"),
    "type": ("type", "deal type", "tipo", "rodzaj", "typ"),
    "expected_close_date": (
        "expected close date",
        "close date",
        "fecha de cierre",
        "fecha prevista de cierre",
        "data zamkniecia",
        "przewidywana data zamkniecia",
    ),
    "contacts": (
        "email",
        "e mail",
        "contact",
        "contacts",
        "contact email",
        "correo",
        "correo electronico",
        "contacto",
        "kontakt",
        "adres e mail",
    ),
}
# What a lenient import may leave out of a row and still import it.
OPTIONAL = {"amount", "currency", "owner", "type", "expected_close_date", "contacts"}


@dataclass
class Problem:
    line: int
    level: str  # "error" (row rejected) or "warning" (imported without the value)
    column: str
    message: str
    cells: list[str]


@dataclass
class ImportResult:
    headers: list[str]
    mapping: dict[int, str]
    created: int = 0
    failed: int = 0
    warned: int = 0
    problems: list[Problem] = field(default_factory=list)
    deal_import: DealImport | None = None


class _DryRun(Exception):
    pass


def targets() -> list[str]:
    return [*SYNONYMS, *(f"properties.{f.key}" for f in DealField.objects.all())]


def suggest(headers: list[str]) -> dict[int, str]:
    """The field each column is recognised as (by its folded header), each field once."""
    words = {w: target for target, options in SYNONYMS.items() for w in options}
    for deal_field in DealField.objects.all():
        for text in (deal_field.key, deal_field.label):
            words.setdefault(fold_header(text), f"properties.{deal_field.key}")
    found: dict[int, str] = {}
    for index, header in enumerate(headers):
        target = words.get(fold_header(header))
        if target and target not in found.values():
            found[index] = target
    return found


def column_map(headers: list[str], pairs: list[str]) -> dict[int, str]:
    """The suggested mapping with COLUMN=FIELD pairs applied (COLUMN a header or a number from
    1; FIELD a field or "ignore")."""
    mapping = suggest(headers)
    known = set(targets())
    folded = [h.casefold() for h in headers]
    for pair in pairs:
        column, sep, target = pair.partition("=")
        column, target = column.strip(), target.strip()
        if not sep:
            raise InvalidInput("map", _("Use COLUMN=FIELD, got %(pair)s.") % {"pair": pair})
        if column.isdigit() and 1 <= int(column) <= len(headers):
            index = int(column) - 1
        elif column.casefold() in folded:
            index = folded.index(column.casefold())
        else:
            raise InvalidInput(
                "map",
                _("No column %(column)s; the columns are: %(columns)s.")
                % {"column": column, "columns": ", ".join(headers)},
            )
        if target in ("ignore", "-", ""):
            mapping.pop(index, None)
        elif target not in known:
            raise InvalidInput(
                "map",
                _("No field %(field)s; the fields are: %(fields)s.")
                % {"field": target, "fields": ", ".join(sorted(known))},
            )
        else:
            mapping = {i: t for i, t in mapping.items() if t != target}
            mapping[index] = target
    if "name" not in mapping.values():
        raise InvalidInput("map", _("Map a column to the deal's name (e.g. --map Deal=name)."))
    return mapping


def _named(model, text: str, **scope):
    """A pipeline or a stage by its id, its name, or its built-in name in any language."""
    rows = model.objects.filter(retired_at__isnull=True, **scope)
    if text.isdigit():
        return rows.filter(pk=int(text)).first()
    folded = text.casefold()
    for row in rows:
        names = {row.label.casefold(), row.key.casefold()}
        if row.key in BUILTIN_NAMES and not row.name:
            from django.utils.translation import override

            for language in ("en", "es", "pl"):
                with override(language):
                    names.add(str(BUILTIN_NAMES[row.key]).casefold())
        if folded in names:
            return row
    return None


def _row_data(actor, cells: list[str], mapping: dict[int, str]):
    """The create_deal payload of a row, and the problems found before the service sees it
    ({field: message})."""
    data: dict[str, Any] = {}
    found: dict[str, str] = {}
    properties = {}
    for index, target in mapping.items():
        value = cells[index].strip() if index < len(cells) else ""
        if not value:
            continue
        if target.startswith("properties."):
            properties[target.split(".", 1)[1]] = value
        else:
            data[target] = value
    if properties:
        data["properties"] = properties
    pipeline = None
    if "pipeline" in data:
        pipeline = _named(Pipeline, data["pipeline"])
        if pipeline is None:
            found["pipeline"] = _("No such pipeline: %(name)s.") % {"name": data["pipeline"]}
            data.pop("pipeline")
        else:
            data["pipeline"] = pipeline.pk
    if "stage" in data:
        if pipeline is None and "pipeline" not in found:
            services.install_defaults()
            pipeline = Pipeline.objects.filter(retired_at__isnull=True).first()
        stage = _named(Stage, data["stage"], pipeline=pipeline) if pipeline else None
        if stage is None:
            found["stage"] = _("No such stage in this pipeline: %(name)s.") % {
                "name": data["stage"]
            }
            data.pop("stage")
        else:
            data["stage"] = stage.pk
    if "contacts" in data:
        emails = [e.strip() for e in data["contacts"].replace(";", ",").split(",") if e.strip()]
        contacts = {
            email.casefold(): pk
            for email, pk in visible_contacts(actor)
            .annotate(folded=Lower("email"))
            .filter(folded__in=[e.casefold() for e in emails])
            .values_list("email", "pk")
        }
        ids = [contacts[e.casefold()] for e in emails if e.casefold() in contacts]
        missing = [e for e in emails if e.casefold() not in contacts]
        if missing:
            found["contacts"] = _("No contact with this e-mail: %(emails)s.") % {
                "emails": ", ".join(missing)
            }
        data["contacts"] = list(dict.fromkeys(ids))
        data["primary_contact"] = ids[0] if ids else None
    return data, found


def _messages(errors: dict) -> dict[str, str]:
    return {key: " ".join(str(m) for m in found) for key, found in errors.items()}


def _open(path: Path, file_name: str) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """The file's headers and its numbered rows after them; InvalidInput("file") when it is
    not a CSV or XLSX file with a header row."""
    shape = sniff(path, file_name)
    if shape["format"] not in ("csv", "xlsx"):
        raise InvalidInput("file", _("Deals are imported from CSV or XLSX files."))
    rows = _readable(read_numbered_rows(path, **shape))
    try:
        _line, headers = next(rows)
    except StopIteration:
        raise InvalidInput("file", _("The file is empty.")) from None
    if not any(h.strip() for h in headers):
        raise InvalidInput("file", _("The first row must name the columns."))
    return [h.strip() for h in headers], rows


def _readable(rows: Iterator[tuple[int, list[str]]]) -> Iterator[tuple[int, list[str]]]:
    """The rows, with a row the CSV reader cannot take refused as bad input."""
    try:
        yield from rows
    except csv.Error as exc:
        raise InvalidInput("file", _("Cannot read the file: %(exc)s") % {"exc": exc}) from None


# What the page's mapping step shows of each column.
SAMPLES_SHOWN = 3
# Where the page keeps a file between its steps (the transfer app's storage).
KEPT = "deal-imports"
KEPT_FOR = dt.timedelta(days=1)
_KEPT_NAME = re.compile(r"[0-9a-f]{32}(\.[a-z0-9]{1,9})?")


@dataclass
class Columns:
    """A kept file's columns for the mapping step: headers, a few values of each, and the
    field each is recognised as."""

    headers: list[str]
    samples: list[list[str]]
    suggested: dict[int, str]


def keep_file(upload, *, file_name: str) -> tuple[str, Columns]:
    """Keep an uploaded file for the page's next steps: its token and its columns. A file
    that is not a CSV or XLSX with a header row is refused, and not kept."""
    _forget_old_files()
    path = keep_upload(upload, kind=KEPT, file_name=file_name)
    try:
        return path.name, columns(path.name, file_name=file_name)
    except InvalidInput:
        path.unlink(missing_ok=True)
        raise


def _forget_old_files() -> None:
    """Files of imports left after their dry run go after a day."""
    before = time.time() - KEPT_FOR.total_seconds()
    for kept in storage(KEPT).iterdir():
        with contextlib.suppress(FileNotFoundError):
            if kept.stat().st_mtime < before:
                kept.unlink()


def kept_file(token: str) -> Path:
    """The file kept under this token; InvalidInput("file") once it is gone."""
    path = storage(KEPT) / token if _KEPT_NAME.fullmatch(token or "") else None
    if path is None or not path.is_file():
        raise InvalidInput("file", _("The uploaded file is no longer here; upload it again."))
    return path


def forget_file(token: str) -> None:
    if _KEPT_NAME.fullmatch(token or ""):
        (storage(KEPT) / token).unlink(missing_ok=True)


def columns(token: str, *, file_name: str) -> Columns:
    headers, rows = _open(kept_file(token), file_name)
    samples: list[list[str]] = [[] for _ in headers]
    first = list(itertools.islice(rows, SAMPLES_SHOWN))
    # Text has no NUL characters; a picture or a program read as CSV has them.
    if any("\x00" in cell for cells in [headers, *(c for _n, c in first)] for cell in cells):
        raise InvalidInput("file", _("This is not a CSV or Excel (.xlsx) file."))
    for _line, cells in first:
        for index, cell in enumerate(cells[: len(headers)]):
            if cell.strip():
                samples[index].append(cell.strip()[:80])
    return Columns(headers=headers, samples=samples, suggested=suggest(headers))


def target_labels() -> list[tuple[str, str]]:
    """(field, its name in the reader's language) of every field a column can be mapped to."""
    names = {
        "name": _("Name"),
        "amount": _("Amount"),
        "currency": _("Currency"),
        "owner": _("Owner"),
        "pipeline": _("Pipeline"),
        "stage": _("Stage"),
        "type": _("Type"),
        "expected_close_date": _("Expected close date"),
        "contacts": _("Contacts (e-mail addresses)"),
    }
    return [
        *names.items(),
        *((f"properties.{f.key}", f.label) for f in DealField.objects.all()),
    ]


def import_deals(
    actor,
    path: Path,
    *,
    file_name: str,
    pairs: list[str] = (),
    strict: bool = False,
    dry_run: bool = False,
) -> ImportResult:
    """Import the file's rows as new deals (see the module's docstring)."""
    require_actor(actor)
    headers, rows = _open(path, file_name)
    result = ImportResult(headers=headers, mapping=column_map(headers, list(pairs)))
    try:
        with transaction.atomic():
            record = DealImport.objects.create(file_name=file_name, created_by=user_or_none(actor))
            created: list[DealImportRow] = []
            for line, cells in rows:
                if not any(c.strip() for c in cells):
                    continue
                deal = _import_row(actor, line, cells, result, strict=strict)
                if deal is not None:
                    created.append(DealImportRow(deal_import=record, deal=deal, line=line))
            DealImportRow.objects.bulk_create(created)
            record.created_count = result.created
            record.failed_count = result.failed
            record.warned_count = result.warned
            record.save()
            result.deal_import = record
            if dry_run:
                raise _DryRun
    except _DryRun:
        result.deal_import = None
    return result


def _import_row(actor, line: int, cells: list[str], result: ImportResult, *, strict: bool):
    data, found = _row_data(actor, cells, result.mapping)
    dropped: dict[str, str] = {}
    for attempt in range(3):
        blocking = {k: m for k, m in found.items() if strict or k.split(".")[0] not in OPTIONAL}
        if blocking:
            break
        for key, message in found.items():
            dropped[key] = message
            if key.startswith("properties."):
                data.get("properties", {}).pop(key.split(".", 1)[1], None)
            else:
                data.pop(key, None)
                if key == "contacts":
                    data.pop("primary_contact", None)
        found = {}
        try:
            with transaction.atomic():
                deal = services.create_deal(actor, data=data)
        except InvalidInput as exc:
            found = _messages(exc.errors)
            if attempt == 2:
                blocking = found
            continue
        result.created += 1
        if dropped:
            result.warned += 1
            for key, message in dropped.items():
                result.problems.append(Problem(line, "warning", key, message, cells))
        return deal
    result.failed += 1
    for key, message in {**dropped, **blocking}.items():
        result.problems.append(Problem(line, "error", key, message, cells))
    return None


def problems_csv(result: ImportResult) -> Iterator[str]:
    """The report: line, level, problems, then the row's own cells under the file's headers,
    so that the report, fixed, can be imported again (its first three columns unmapped)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_("Line"), _("Level"), _("Problems"), *result.headers])
    by_line: dict[int, list[Problem]] = {}
    for problem in result.problems:
        by_line.setdefault(problem.line, []).append(problem)
    levels = {"error": _("error"), "warning": _("warning")}
    for line, group in sorted(by_line.items()):
        level = "error" if any(p.level == "error" for p in group) else "warning"
        described = " | ".join(f"{p.column}: {p.message}" for p in group)
        writer.writerow([line, levels[level], described, *group[0].cells])
    yield buffer.getvalue()


def get_import(actor, import_id: int) -> DealImport:
    found = DealImport.objects.filter(pk=import_id).first()
    allowed = actor is SYSTEM or is_admin(actor) or found and found.created_by_id == actor.pk
    if found is None or not allowed:
        raise NotFound(_("No such deal import."))
    return found


@transaction.atomic
def revert_import(actor, deal_import: DealImport) -> list[str]:
    """Delete the deals the import created that nobody changed since; the changed ones are
    kept and listed ("line N: name")."""
    require_actor(actor)
    if deal_import.reverted_at is not None:
        raise InvalidInput("import", _("This import was reverted already."))
    kept = []
    rows = deal_import.rows.select_related("deal").order_by("line")
    for row in rows:
        deal = row.deal
        if deal is None:
            continue
        if deal.version > 1:
            kept.append(f"line {row.line}: {deal.name} (#{deal.pk})")
            continue
        services.delete_deal(actor, Deal.objects.get(pk=deal.pk))
    deal_import.reverted_at = timezone.now()
    deal_import.save(update_fields=["reverted_at"])
    return kept
