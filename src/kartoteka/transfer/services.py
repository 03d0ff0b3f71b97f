"""Every write of imports and exports: upload, configure, dry run, run (resumable), revert,
and writing export files."""

import csv
import io
import itertools
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from kartoteka.accounts.models import User
from kartoteka.accounts.queries import users_by_username
from kartoteka.activity import services as timeline
from kartoteka.contacts import statuses as lead_statuses
from kartoteka.contacts.bulk import (
    BatchResult,
    BulkOptions,
    RowFailure,
    clean_row,
    clean_row_keeping_contact,
    delete_created,
    prepare_new_contact,
    restore_fields,
    upsert_contacts,
    written_tables,
)
from kartoteka.contacts.models import Contact, ContactEmail, PropertyDefinition
from kartoteka.contacts.services import clean_tag_names, property_definitions
from kartoteka.core import bulkload
from kartoteka.core.bulkwrite import db_value, insert_values
from kartoteka.core.display import export_value
from kartoteka.core.errors import Conflict, InvalidInput
from kartoteka.core.normalise import fold_email
from kartoteka.core.relations import FILE_SWEEPS, Mentions, forget_mentions_in
from kartoteka.core.scope import SYSTEM, SystemActor, is_admin, user_or_none
from kartoteka.transfer import formats, mapping, queries
from kartoteka.transfer.columns import registered as registered_columns
from kartoteka.transfer.models import (
    Export,
    ExportStatus,
    Import,
    ImportCreated,
    ImportProblem,
    ImportRow,
    ImportStatus,
    ProblemLevel,
)

BATCH_SIZE = 2000
# Exports up to this many contacts download at once; larger ones are written by a task.
INSTANT_EXPORT_LIMIT = 5000
MAX_SHOWN_VALUE = 200
# A running import that gave no sign of life for this long was interrupted (a batch takes
# seconds at most), so it may be queued again without two processes running it at once. A
# running worker looks every few seconds (core.schedule), so it resumes within two minutes.
ABANDONED_AFTER = timedelta(seconds=90)
Progress = Callable[[Import], None]


def storage(kind: str) -> Path:
    """Where uploaded import files and written export files are kept."""
    path = Path(settings.DATA_DIR) / "transfer" / kind
    path.mkdir(parents=True, exist_ok=True)
    return path


# --------------------------------------------------------------------------------------------
# Import: upload and configure


def keep_upload(upload: UploadedFile | Path, *, kind: str, file_name: str) -> Path:
    """Copy an uploaded file (or a file on disk) into the `kind` folder of storage under a
    name nobody can guess, keeping its extension; InvalidInput("file") past the upload limit,
    with nothing kept. How every import of a file (contacts, deals) takes it in."""
    target = storage(kind) / f"{uuid.uuid4().hex}{Path(file_name).suffix.lower()[:10]}"
    limit = timeline.max_upload_bytes()
    size = 0
    with open(target, "wb") as out:
        if isinstance(upload, Path):
            source = open(upload, "rb")  # noqa: SIM115 - closed below
            chunks: Iterator[bytes] = iter(lambda: source.read(1 << 20), b"")
        else:
            source = None
            chunks = upload.chunks()
        try:
            for chunk in chunks:
                size += len(chunk)
                if size > limit:
                    out.close()
                    target.unlink(missing_ok=True)
                    raise InvalidInput("file", timeline.too_large_message())
                out.write(chunk)
        finally:
            if source is not None:
                source.close()
    return target


def upload_import(
    actor: User | SystemActor, *, upload: UploadedFile | Path, file_name: str = ""
) -> Import:
    """Keep the file, detect its format, encoding and delimiter, and suggest a mapping."""
    name = Path(file_name or getattr(upload, "name", "") or "import.csv").name[:200]
    target = keep_upload(upload, kind="imports", file_name=name)
    try:
        detected = formats.sniff(target, name)
        imp = Import(
            created_by=user_or_none(actor),
            file_name=name,
            file_path=str(target),
            format=detected["format"],
            encoding=detected["encoding"],
            delimiter=detected["delimiter"],
        )
        imp.headers = _headers(imp)
    except InvalidInput:
        target.unlink(missing_ok=True)
        raise
    definitions = list(PropertyDefinition.objects.all())
    imp.mapping = mapping.suggest(imp.headers, definitions)
    imp.phone_region = _guess_phone_region(imp)
    imp.save()
    return imp


def _guess_phone_region(imp: Import) -> str:
    """The country of numbers without a prefix that the file suggests (see
    mapping.phone_region_of), else the workspace's default."""
    return (
        mapping.phone_region_of(imp.headers, imp.encoding)
        or settings.KARTOTEKA_DEFAULT_PHONE_REGION
    )


def phone_region_code(value: str) -> str:
    """The region code for "country of numbers without a prefix" (a code or a country name);
    raises InvalidInput for anything that is not a country with phone numbers."""
    import phonenumbers

    from kartoteka.core.normalise import normalise_country

    text = (value or "").strip()
    try:
        code = normalise_country(text) if text else ""
    except InvalidInput:
        code = ""
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise InvalidInput(
            "phone_region",
            _(
                "Unknown country for numbers without a prefix: %(text)s; use a two-letter code"
                " such as PL or ES."
            )
            % {"text": repr(text)},
        )
    return code


def _headers(imp: Import) -> list[str]:
    rows = formats.read_rows(
        Path(imp.file_path), format=imp.format, encoding=imp.encoding, delimiter=imp.delimiter
    )
    try:
        headers = next(rows, None)
    except csv.Error as exc:
        raise InvalidInput(
            "file", _("Cannot read the header row: %(exc)s") % {"exc": exc}
        ) from None
    finally:
        rows.close()
    if not headers or not any(h.strip() for h in headers):
        raise InvalidInput("file", _("The first row must name the columns."))
    if any("\x00" in h for h in headers):  # no database stores it in text (PostgreSQL refuses)
        raise InvalidInput(
            "file",
            _("Cannot read the header row: %(exc)s")
            % {"exc": _("Must not contain a NUL character.")},
        )
    return [h.strip().lstrip("\ufeff") for h in headers]


@transaction.atomic
def configure_import(
    actor: User | SystemActor,
    imp: Import,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    column_map: dict[str, str] | None = None,
    update_existing: bool | None = None,
    tags: list[str] | None = None,
    owner: str | None = None,
    phone_region: str | None = None,
    strict: bool | None = None,
) -> Import:
    """Change what the user confirms before a run: reading, mapping and options."""
    if imp.status != ImportStatus.UPLOADED:
        raise Conflict(_("This import has started; its settings can no longer change."))
    if encoding is not None and encoding != imp.encoding and imp.format != "xlsx":
        if encoding not in formats.ENCODINGS:
            raise InvalidInput(
                "encoding",
                _("Encoding must be one of: %(encodings)s.")
                % {"encodings": ", ".join(formats.ENCODINGS)},
            )
        imp.encoding = encoding
    if delimiter is not None and delimiter != imp.delimiter and imp.format == "csv":
        if delimiter not in formats.DELIMITERS:
            raise InvalidInput("delimiter", _("Delimiter must be a comma, semicolon, tab or |."))
        imp.delimiter = delimiter
    if encoding is not None or delimiter is not None:
        headers = _headers(imp)
        if headers != imp.headers:
            imp.headers = headers
            imp.mapping = mapping.suggest(headers, list(PropertyDefinition.objects.all()))
        if phone_region is None:
            imp.phone_region = _guess_phone_region(imp)
    if column_map is not None:
        known = mapping.targets(list(PropertyDefinition.objects.all()))
        imp.mapping = mapping.check(column_map, imp.headers, known)
    if update_existing is not None:
        imp.update_existing = update_existing
    if tags is not None:
        imp.tags = clean_tag_names(tags)
    if owner is not None:
        imp.owner = _owner(actor, owner)
    if phone_region is not None:
        imp.phone_region = phone_region_code(phone_region)
    if strict is not None:
        imp.strict = strict
    imp.save()
    return imp


def _owner(actor: User | SystemActor, username: str) -> User | None:
    if not username.strip():
        return None
    user = users_by_username([username.strip()]).get(username.strip().casefold())
    if user is None:
        raise InvalidInput(
            "owner", _("No active user named %(username)s.") % {"username": repr(username)}
        )
    if not is_admin(actor) and user.pk != actor.pk:
        raise InvalidInput("owner", _("Sales users import contacts for themselves only."))
    return user


def _options(imp: Import, actor: User | SystemActor | None = None) -> BulkOptions:
    """Run as `actor`, else as the user who started the import, else (the CLI) as the system."""
    return BulkOptions(
        actor=actor or imp.created_by or SYSTEM,
        label=imp.label,
        update_existing=imp.update_existing,
        tags=list(imp.tags),
        owner=imp.owner,
        drop_taken_emails=not imp.strict,
    )


# --------------------------------------------------------------------------------------------
# Import: reading rows and cleaning them


# A data row: its number among the data rows (from 1: the checkpoint counts these), the line
# of the file it starts on (formats.read_numbered_rows: what reports show) and its cells.
DataRow = tuple[int, int, list[str]]


def _data_rows(imp: Import) -> Iterator[DataRow]:
    """Every row after the header (see DataRow)."""
    rows = formats.read_numbered_rows(
        Path(imp.file_path), format=imp.format, encoding=imp.encoding, delimiter=imp.delimiter
    )
    next(rows, None)
    number = 0
    try:
        for line, cells in rows:
            if not any(map(str.strip, cells)):
                continue  # blank lines are not rows
            number += 1
            yield number, line, cells
    except csv.Error as exc:
        raise InvalidInput(
            "file",
            _("The file cannot be read after row %(number)s: %(exc)s")
            % {"number": number, "exc": exc},
        ) from None


def _count_rows(imp: Import) -> int:
    """The number of data rows _data_rows yields (without numbering their lines)."""
    rows = formats.read_rows(
        Path(imp.file_path), format=imp.format, encoding=imp.encoding, delimiter=imp.delimiter
    )
    next(rows, None)
    count = 0
    try:
        for cells in rows:
            if any(map(str.strip, cells)):
                count += 1
    except csv.Error as exc:
        raise InvalidInput(
            "file",
            _("The file cannot be read after row %(row)s: %(reason)s")
            % {"row": count, "reason": exc},
        ) from None
    return count


def shown_row(imp: Import, number: int) -> int:
    """The row number a user sees in their spreadsheet (the header is row 1); cards count from 1."""
    return number if imp.format == "vcf" else number + 1


# Cleaned rows, failures (rows rejected), warnings (values left out of rows that were kept),
# notes by row number, and the values of other apps' columns (transfer.columns) by row number.
Cleaned = tuple[
    list[tuple[int, dict]],
    list[RowFailure],
    list[RowFailure],
    dict[int, str],
    dict[int, dict[str, str]],
]


def _clean_batch(
    imp: Import,
    batch: list[DataRow],
    definitions: dict[str, PropertyDefinition],
    *,
    prepare: bool = False,
) -> Cleaned:
    """Cleaned rows, failures and warnings (field = target) and notes by row number. A row
    with a valid e-mail is kept without its bad values (each a warning) unless the import is
    strict, which rejects any row with a problem. With `prepare` (in a worker process), each
    cleaned row also carries its values for writing it as a new contact
    (contacts.bulk.prepare_new_contact), which the writer would otherwise compute."""
    mapped = sorted(
        ((int(index), target) for index, target in imp.mapping.items() if target),
        key=lambda item: item[0],
    )
    width = len(imp.headers)
    today = timezone.localdate()
    region = imp.phone_region or settings.KARTOTEKA_DEFAULT_PHONE_REGION
    cleaned, failures, warnings, notes, extra = [], [], [], {}, {}
    app_columns = registered_columns()
    for number, _line, cells in batch:
        problems: list[RowFailure] = []
        if len(cells) > width and any(c.strip() for c in cells[width:]):
            problems.append(
                RowFailure(
                    number,
                    "",
                    _("This row has %(cells)s cells but the header names %(width)s columns.")
                    % {"cells": len(cells), "width": width},
                )
            )
            if imp.strict:
                failures += problems
                continue
        data = mapping.row_data(cells, mapped)
        note = data.pop("note", None)
        values = {key: data.pop(key) for key in app_columns if key in data}
        try:
            if imp.strict:
                row = clean_row(data, definitions, today=today, phone_region=region)
                dropped: dict[str, list[str]] = {}
            else:
                row, dropped = clean_row_keeping_contact(
                    data, definitions, today=today, phone_region=region
                )
        except InvalidInput as exc:
            failures += problems + _failures(number, exc.errors)
            continue
        warnings += problems + _failures(number, dropped)
        if prepare:
            prepare_new_contact(row)
        cleaned.append((number, row))
        if note:
            notes[number] = note
        if values:
            extra[number] = values
    return cleaned, failures, warnings, notes, extra


def _failures(number: int, errors: dict[str, list[str]]) -> list[RowFailure]:
    return [
        RowFailure(number, field, message)
        for field, messages in errors.items()
        for message in messages
    ]


def _problems(
    imp: Import,
    rows: dict[int, tuple[int, list[str]]],
    failures: list[RowFailure],
    warnings: list[RowFailure],
) -> tuple[list[ImportProblem], set[int], set[int]]:
    """The report's entries of a batch, and the numbers of the rows rejected and of those kept
    with warnings. A row the writer rejected after its cleaning left values out is rejected:
    its warnings are errors too. The first entry of a row holds the row's cells."""
    rejected = {f.row_number for f in failures}
    entries = [(f, ProblemLevel.ERROR) for f in failures] + [
        (w, ProblemLevel.ERROR if w.row_number in rejected else ProblemLevel.WARNING)
        for w in warnings
    ]
    entries.sort(key=lambda entry: entry[0].row_number)
    problems, seen = [], set()
    for failure, level in entries:
        line, cells = rows[failure.row_number]
        problems.append(
            _problem(
                imp,
                failure,
                cells,
                line=line,
                level=level,
                keep_cells=failure.row_number not in seen,
            )
        )
        seen.add(failure.row_number)
    warned = {w.row_number for w in warnings} - rejected
    return problems, rejected, warned


def _problem(
    imp: Import,
    failure: RowFailure,
    cells: list[str],
    *,
    line: int,
    level: str = "error",
    keep_cells: bool = False,
) -> ImportProblem:
    target = (
        failure.field.split(".", 1)[0]
        if not failure.field.startswith("properties.")
        else (".".join(failure.field.split(".", 2)[:2]))
    )
    column, value = "", ""
    for index, mapped in imp.mapping.items():
        if mapped and mapped == target and int(index) < len(imp.headers):
            column = imp.headers[int(index)]
            value = cells[int(index)] if int(index) < len(cells) else ""
            break
    if not failure.field and len(cells) > len(imp.headers):
        value = ", ".join(c for c in cells[len(imp.headers) :] if c.strip())
    if len(value) > MAX_SHOWN_VALUE:
        value = value[:MAX_SHOWN_VALUE] + f"… ({len(value):,} characters)"
    return ImportProblem(
        batch=imp,
        row_number=line,
        level=level,
        column=column,
        value=value,
        message=failure.message,
        cells=list(cells) if keep_cells else [],
    )


# --------------------------------------------------------------------------------------------
# Import: dry run, run, revert


def dry_run_import(actor: User | SystemActor, imp: Import, *, sample: int = 50) -> dict[str, Any]:
    """What a run would do, without writing: counts, and the first `sample` rejected rows'
    problems and the first `sample` warnings (values rows would be imported without)."""
    definitions = property_definitions()
    counts = {"created": 0, "updated": 0, "unchanged": 0, "failed": 0, "warned": 0}
    shown: dict[str, list[dict]] = {ProblemLevel.ERROR: [], ProblemLevel.WARNING: []}
    batch: list[DataRow] = []
    options = _options(imp, actor)

    def plan(rows: list[DataRow]) -> None:
        cleaned, failures, warnings, _notes, _extra = _clean_batch(imp, rows, definitions)
        result = upsert_contacts(cleaned, options, dry_run=True)
        problems, rejected, warned = _problems(
            imp,
            {number: (line, cells) for number, line, cells in rows},
            failures + result.failures,
            warnings + result.warnings,
        )
        counts["created"] += len(result.created)
        counts["updated"] += len(result.updated)
        counts["unchanged"] += len(result.unchanged)
        counts["failed"] += len(rejected)
        counts["warned"] += len(warned)
        for problem in problems:
            if len(shown[problem.level]) < sample:
                shown[problem.level].append(queries.problem_out(problem))

    for row in _data_rows(imp):
        batch.append(row)
        if len(batch) >= BATCH_SIZE:
            plan(batch)
            batch = []
    if batch:
        plan(batch)
    return {
        **counts,
        "problems": shown[ProblemLevel.ERROR],
        "warnings": shown[ProblemLevel.WARNING],
    }


def start_import(actor: User | SystemActor, imp: Import) -> Import:
    """Queue the import's run as a background task (run at once in tests)."""
    from kartoteka.transfer.tasks import run_import_task

    if imp.status not in (ImportStatus.UPLOADED, ImportStatus.FAILED):
        raise Conflict(_("This import has already run."))
    mapping.check(imp.mapping, imp.headers, _known())
    Import.objects.filter(pk=imp.pk).update(status=ImportStatus.QUEUED)
    imp.status = ImportStatus.QUEUED
    run_import_task.enqueue(imp.pk, get_language() or "")
    return imp


def _known() -> dict[str, Any]:
    return mapping.targets(list(PropertyDefinition.objects.all()))


def run_import(import_id: int, *, progress: Progress | None = None) -> Import:
    """Import every row after the checkpoint, BATCH_SIZE rows at a time, as a bulk load
    (core.bulkload: the connection tuned for it, as many batches to a transaction as the
    database is best served by).

    Safe to run again: a run that was killed continues after its last committed batch, and a
    finished import is left as it is.
    """
    imp = Import.objects.get(pk=import_id)
    if imp.status in (ImportStatus.DONE, ImportStatus.REVERTED):
        return imp
    imp.status = ImportStatus.RUNNING
    imp.started_at = imp.started_at or timezone.now()
    imp.heartbeat_at = imp.run_started_at = timezone.now()
    imp.run_started_after = imp.checkpoint
    if imp.total_rows is None:
        try:
            # This pass reads the whole file, so a file that cannot be read fails here.
            imp.total_rows = _count_rows(imp)
        except InvalidInput as exc:
            return _failed(imp, exc)
    imp.save(
        update_fields=[
            "status",
            "started_at",
            "heartbeat_at",
            "run_started_at",
            "run_started_after",
            "total_rows",
        ]
    )
    definitions = property_definitions()
    options = _options(imp)
    batches = _cleaned_batches(
        imp, definitions, parallel=bulkload.helpers_worthwhile(imp.total_rows)
    )
    try:
        # Reading the first batch starts the helper processes, which must be forked before the
        # connection is tuned for the load (see bulkload.bulk_load).
        first = next(batches, None)
        with bulkload.bulk_load(written_tables()) as load:
            pending = itertools.chain([first] if first else [], batches)
            for group in load.transactions(pending):
                created_before = imp.created_count
                with transaction.atomic():
                    for batch, cleaned in group:
                        _commit_batch(imp, batch, cleaned, options)
                        if progress:
                            progress(imp)
                load.added(imp.created_count - created_before)
    except InvalidInput as exc:
        return _failed(imp, exc)
    imp.status = ImportStatus.DONE
    imp.finished_at = timezone.now()
    imp.save(update_fields=["status", "finished_at"])
    bulkload.refresh_statistics_after(imp.created_count + imp.updated_count)
    if progress:
        progress(imp)
    return imp


def _failed(imp: Import, error: InvalidInput) -> Import:
    """Mark the import failed with the reason; what it committed before stays (a new run
    continues after its checkpoint)."""
    Import.objects.filter(pk=imp.pk).update(status=ImportStatus.FAILED, message=error.message)
    imp.refresh_from_db()
    return imp


_STATUSES = {Import: ImportStatus, Export: ExportStatus}


def is_interrupted(job: Import | Export) -> bool:
    """Whether the import or export is marked running but its process stopped giving signs
    of life."""
    last_sign = job.heartbeat_at or getattr(job, "started_at", None)
    return (
        job.status == _STATUSES[type(job)].RUNNING
        and last_sign is not None
        and last_sign < timezone.now() - ABANDONED_AFTER
    )


def resume_interrupted_work() -> list[Import | Export]:
    """Queue again every import and export whose run was interrupted (a killed worker, a
    restart): an import continues after its checkpoint, an export writes its file anew."""
    from kartoteka.transfer.tasks import run_export_task, run_import_task

    resumed: list[Import | Export] = []
    for model, task in ((Import, run_import_task), (Export, run_export_task)):
        for job in model.objects.filter(status=_STATUSES[model].RUNNING):
            if _claim_if_interrupted(job):
                task.enqueue(job.pk)
                resumed.append(job)
    return resumed


def resume_import(actor: User | SystemActor, imp: Import, *, in_background: bool = True) -> Import:
    """Take over an interrupted import now, rather than when the next worker starts: queue it,
    or (from the command line) leave it to the caller to run in the foreground."""
    from kartoteka.transfer.tasks import run_import_task

    if not _claim_if_interrupted(imp):
        raise Conflict(_("This import is not interrupted, so there is nothing to resume."))
    if in_background:
        run_import_task.enqueue(imp.pk, get_language() or "")
    imp.status = ImportStatus.QUEUED
    return imp


def _claim_if_interrupted(job: Import | Export) -> bool:
    """Mark an interrupted job queued again. The status changes only if nobody changed the job
    meanwhile, so two workers starting together (or a click during a worker's start) take it
    over once."""
    if not is_interrupted(job):
        return False
    statuses = _STATUSES[type(job)]
    return bool(
        type(job)
        .objects.filter(pk=job.pk, status=statuses.RUNNING, heartbeat_at=job.heartbeat_at)
        .update(status=statuses.QUEUED)
    )


def _batches(imp: Import) -> Iterator[list[DataRow]]:
    """The rows after the checkpoint, BATCH_SIZE at a time."""
    batch: list[DataRow] = []
    for row in _data_rows(imp):
        if row[0] <= imp.checkpoint:
            continue
        batch.append(row)
        if len(batch) >= BATCH_SIZE:
            yield batch
            batch = []
    if batch:
        yield batch


_worker_state: tuple[Import, dict[str, PropertyDefinition]] | None = None


def _start_worker(
    imp: Import, definitions: dict[str, PropertyDefinition], statuses: Any = None
) -> None:
    global _worker_state
    _worker_state = (imp, definitions)
    if statuses is not None:
        lead_statuses.pin(statuses)  # read by the writer, once: rows never query them


def _clean_in_worker(batch: list[DataRow]) -> Cleaned:
    assert _worker_state is not None
    return _clean_batch(_worker_state[0], batch, _worker_state[1], prepare=True)


def _cleaned_batches(
    imp: Import, definitions: dict[str, PropertyDefinition], *, parallel: bool
) -> Iterator[tuple[list[DataRow], Cleaned]]:
    """Each batch with its cleaned rows. In parallel, worker processes normalise and validate
    the next batches while this process writes the current one; only a few batches are in
    flight at a time, so memory stays flat however long the file is."""
    if not parallel:
        for batch in _batches(imp):
            yield batch, _clean_batch(imp, batch, definitions)
        return
    yield from bulkload.prepared_in_helpers(
        _clean_in_worker,
        _batches(imp),
        initializer=_start_worker,
        initargs=(imp, definitions, lead_statuses.load()),
    )


def _commit_batch(
    imp: Import,
    batch: list[DataRow],
    cleaned_batch: Cleaned,
    options: BulkOptions,
) -> None:
    """Write one batch and move the checkpoint past it, inside the transaction run_import holds
    (which may hold several batches: nothing here commits)."""
    cleaned, failures, warnings, notes, extra = cleaned_batch
    rows = {number: (line, cells) for number, line, cells in batch}
    _prepare_columns(cleaned, extra)
    try:
        with transaction.atomic():
            result = upsert_contacts(cleaned, options)
    except IntegrityError:
        # Another writer took an e-mail meanwhile: write row by row so only that row fails.
        options.known.clear()
        result = BatchResult()
        for row in cleaned:
            try:
                with transaction.atomic():
                    result.extend(upsert_contacts([row], options))
            except IntegrityError:
                result.failures.append(
                    RowFailure(row[0], "email", _("The e-mail address was just taken."))
                )
    problems, rejected, warned = _problems(
        imp, rows, failures + result.failures, warnings + result.warnings
    )
    ImportProblem.objects.bulk_create(problems, batch_size=500)
    _journal(imp, result)
    _add_notes(imp, options, result, notes, rows)
    _apply_columns(imp, options, cleaned, extra, rows)
    imp.checkpoint = batch[-1][0]
    imp.created_count += len(result.created)
    imp.updated_count += len(result.updated)
    imp.unchanged_count += len(result.unchanged)
    imp.failed_count += len(rejected)
    imp.warned_count += len(warned)
    # The sign of life commits with the batch: no commit of its own.
    imp.heartbeat_at = timezone.now()
    imp.save(
        update_fields=[
            "heartbeat_at",
            "checkpoint",
            "created_count",
            "updated_count",
            "unchanged_count",
            "failed_count",
            "warned_count",
        ]
    )


def _journal(imp: Import, result: BatchResult) -> None:
    """What a revert needs: the runs of ids of the contacts the batch created, and a row per
    updated contact with the old and new values of the fields it changed."""
    insert_values(
        ImportCreated,
        ["batch_id", "first_contact_id", "last_contact_id"],
        [(imp.pk, first, last) for first, last in _runs(cid for _n, cid in result.created)],
        prepared=True,
    )
    insert_values(
        ImportRow,
        ["batch_id", "row_number", "contact_id", "before", "after"],
        [
            (
                imp.pk,
                number,
                contact_id,
                db_value(ImportRow, "before", before),
                db_value(ImportRow, "after", after),
            )
            for number, contact_id, before, after in result.updated
        ],
        prepared=True,
    )


def _runs(ids: Iterable[int]) -> list[tuple[int, int]]:
    """The ids as runs of consecutive ids, (first, last) each."""
    runs: list[list[int]] = []
    for contact_id in sorted(ids):
        if runs and runs[-1][1] == contact_id - 1:
            runs[-1][1] = contact_id
        else:
            runs.append([contact_id, contact_id])
    return [(first, last) for first, last in runs]


def _add_notes(
    imp: Import,
    options: BulkOptions,
    result: BatchResult,
    notes: dict[int, str],
    rows: dict[int, tuple[int, list[str]]],
) -> None:
    """A note column (vCard NOTE) becomes a note on contacts the import created; a re-import
    adds nothing, so importing the same file twice stays idempotent."""
    if not notes:
        return
    created = {number: contact_id for number, contact_id in result.created if number in notes}
    for contact in Contact.objects.filter(pk__in=list(created.values())):
        number = next(n for n, cid in created.items() if cid == contact.pk)
        try:
            timeline.add_note(options.actor, contact, body=notes[number])
        except InvalidInput as exc:
            ImportProblem.objects.create(
                batch=imp,
                row_number=rows[number][0],
                level=ProblemLevel.WARNING,
                column="note",
                message=exc.message,
                cells=rows[number][1],
            )


def _prepare_columns(cleaned: list[tuple[int, dict]], extra: dict[int, dict[str, str]]) -> None:
    """Let other apps' columns change this batch's cleaned rows before they are written."""
    if not extra:
        return
    for key, column in registered_columns().items():
        if column.prepare is None:
            continue
        given = [
            (extra[number][key], row) for number, row in cleaned if key in extra.get(number, {})
        ]
        if given:
            column.prepare(given)


def _apply_columns(
    imp: Import,
    options: BulkOptions,
    cleaned: list[tuple[int, dict]],
    extra: dict[int, dict[str, str]],
    rows: dict[int, tuple[int, list[str]]],
) -> None:
    """Hand other apps' columns (transfer.columns) the contacts of this batch's rows, found by
    their e-mail now that the batch is written; what an app could not use is a warning."""
    if not extra:
        return
    emails = {number: row.get("email", "") for number, row in cleaned if number in extra}
    by_email = dict(
        ContactEmail.objects.filter(
            email_folded__in=[fold_email(e) for e in emails.values() if e]
        ).values_list("email_folded", "contact_id")
    )
    contact_of = {n: by_email.get(fold_email(e)) for n, e in emails.items() if e}
    for key, column in registered_columns().items():
        given = [
            (contact_of[number], cells[key])
            for number, cells in extra.items()
            if key in cells and contact_of.get(number)
        ]
        if not given:
            continue
        refused = column.apply(options.actor, given)
        for number, contact_id in contact_of.items():
            if contact_id in refused and key in extra.get(number, {}):
                ImportProblem.objects.create(
                    batch=imp,
                    row_number=rows[number][0],
                    level=ProblemLevel.WARNING,
                    column=key,
                    message=refused[contact_id],
                    cells=rows[number][1],
                )


@transaction.atomic
def revert_import(actor: User | SystemActor, imp: Import) -> list[str]:
    """Remove the contacts the import created and restore the fields it changed.

    Returns what was left alone because it was edited since (never overwritten).
    """
    if imp.status == ImportStatus.REVERTED:
        raise Conflict(_("This import was already reverted."))
    if imp.status in (ImportStatus.QUEUED, ImportStatus.RUNNING):
        raise Conflict(_("This import is still running; revert it when it has finished."))
    options = BulkOptions(actor=actor, label=f"revert of {imp.label}")
    created = [contact_id for run in imp.created_runs.all() for contact_id in run.contact_ids()]
    journal = list(imp.journal.order_by("-row_number"))
    # Rows of this import are never later edits: a person listed twice in the file was created
    # by one row and updated by the other, and the version the import left is the last one.
    created_set = set(created)
    versions: dict[int, int] = {}
    for row in journal:
        if row.contact_id in created_set and "version" in row.after:
            versions[row.contact_id] = max(versions.get(row.contact_id, 1), row.after["version"])
    _deleted, kept_ids = delete_created(options, created, versions=versions)
    kept = [
        _("Contact #%(id)s was edited after the import; kept.") % {"id": cid} for cid in kept_ids
    ]
    # A contact the import created is removed or kept as a whole: its journal rows are done.
    updated = [
        (row.contact_id, row.before, row.after)
        for row in journal
        if row.contact_id not in created_set
    ]
    kept += restore_fields(options, updated)
    imp.status = ImportStatus.REVERTED
    imp.reverted_at = timezone.now()
    imp.message = "\n".join(kept)
    imp.save(update_fields=["status", "reverted_at", "message"])
    return kept


def problems_csv(imp: Import) -> Iterator[str]:
    """The report: a header row, then one row per input row with a problem: its line in the
    file, whether it was rejected (error) or imported without the values named (warning), the
    problems, and the row's own cells under the file's own headers, so that the report, fixed,
    can be imported again (its first three columns are then left unmapped)."""
    # Labels are translated now, in the request's language, not while the response streams.
    header = [_("Line"), _("Level"), _("Problems"), *imp.headers]
    levels = {ProblemLevel.ERROR: _("error"), ProblemLevel.WARNING: _("warning")}
    return _report_lines(imp, header, levels)


def _report_lines(imp: Import, header: list[str], levels: dict[str, str]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    def write(group: list[ImportProblem]) -> None:
        level = min(problem.level for problem in group)  # "error" before "warning"
        cells = next((problem.cells for problem in group if problem.cells), [])
        described = " | ".join(
            f"{problem.column}: {problem.message}" if problem.column else problem.message
            for problem in group
        )
        writer.writerow(
            [
                group[0].row_number,
                levels.get(level, level),
                mapping.neutralise(described),
                *(mapping.neutralise(cell) for cell in cells),
            ]
        )

    writer.writerow(header)
    yield flush()
    group: list[ImportProblem] = []
    for problem in imp.problems.order_by("row_number", "pk").iterator(2000):
        if group and problem.row_number != group[0].row_number:
            write(group)
            yield flush()
            group = []
        group.append(problem)
    if group:
        write(group)
        yield flush()


def progress_of(imp: Import) -> dict[str, Any]:
    """Rows done, rows per second and seconds left, for the progress bar and the API."""
    total = imp.total_rows or 0
    done = imp.checkpoint
    interrupted = is_interrupted(imp)
    # The rate of the latest run: after a resume, the rows since the resume over the time
    # since it, up to the last sign of life (it commits with the checkpoint, so the rows done
    # and the time they took are read together, and an interrupted run keeps its rate).
    began, after = imp.run_started_at or imp.started_at, imp.run_started_after
    ended = imp.finished_at or imp.heartbeat_at or timezone.now()
    elapsed = (ended - began).total_seconds() if began else 0
    rate = (done - after) / elapsed if elapsed > 0 and done > after else 0.0
    running = imp.status == ImportStatus.RUNNING and not interrupted
    left = (total - done) / rate if rate and running else None
    return {
        "interrupted": interrupted,
        "next_row": shown_row(imp, done + 1),
        "rows_done": done,
        "total_rows": imp.total_rows,
        "percent": round(100 * done / total) if total else (100 if imp.status == "done" else 0),
        "rows_per_second": round(rate, 1),
        "seconds_left": round(left) if left is not None else None,
    }


# --------------------------------------------------------------------------------------------
# Export


EXPORT_FORMATS = ("csv", "xlsx", "vcf")


class _Echo:
    """A file-like object that hands back what is written, for streaming CSV."""

    def write(self, value: str) -> str:
        return value


# A plain number or a phone number in international form (+34612345678): a spreadsheet reads
# it as a number and never runs it, so it is written as it is.
_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A CSV cell no spreadsheet runs as a formula: text starting with = + - @, a tab or a
    carriage return gets a leading apostrophe (which import takes off again), unless it is a
    plain number or a phone number."""
    if isinstance(value, str) and value[:1] in _FORMULA_STARTS and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def csv_lines(header: list[str], rows: Iterator[list[Any]]) -> Iterator[str]:
    """CSV text, one line at a time, every formula-looking cell neutralised; dates and times
    in ISO 8601, in the workspace's time zone (core.display.export_value)."""
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([csv_cell(export_value(v, spreadsheet=False)) for v in row])


def write_xlsx(
    target: Any, header: list[str], rows: Iterator[list[Any]], *, title: str = "Contacts"
) -> int:
    """Write a one-sheet workbook (streamed, constant memory) with the sheet named `title`;
    return the number of rows. Text is written as text, never as a formula, so it needs no
    apostrophe (any report's export, not only contacts', writes through here). Dates and
    times are date cells, in the workspace's time zone."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])

    def cell(value: Any) -> Any:
        if not isinstance(value, str):
            return export_value(value, spreadsheet=True)
        value = ILLEGAL_CHARACTERS_RE.sub("", value)  # control characters a sheet cannot hold
        if value.startswith("=") or value in ERROR_CODES:
            # openpyxl would write these as a formula or an error value: keep them text.
            text = WriteOnlyCell(sheet, value=value)
            text.data_type = "s"
            return text
        return value

    sheet.append(header)
    written = 0
    for row in rows:
        sheet.append([cell(value) for value in row])
        written += 1
    book.save(target)
    return written


def export_query(
    *,
    q: str = "",
    document: Any = None,
    segment_id: int | None = None,
    ids: list[int] | None = None,
    view: str = "",
    quick: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The list an export takes, as kept on a background export."""
    if view not in ("", "clients"):
        raise InvalidInput("view", _("The view must be empty or 'clients'."))
    if ids is not None and any(not 0 < i < 2**63 for i in ids):
        raise InvalidInput("ids", _("Contact ids are whole numbers from 1 to 2^63-1."))
    return {
        "q": q,
        "document": document,
        "segment_id": segment_id,
        "ids": ids,
        "view": view,
        "quick": quick or {},
    }


def check_format(format: str) -> str:
    if format not in EXPORT_FORMATS:
        raise InvalidInput(
            "format",
            _("Format must be one of: %(join_export_formats)s.")
            % {"join_export_formats": ", ".join(EXPORT_FORMATS)},
        )
    return format


def start_export(
    actor: User, *, format: str, columns: list[str] | None, query: dict[str, Any]
) -> Export:
    """Queue a background export of a large list."""
    from kartoteka.transfer import queries
    from kartoteka.transfer.tasks import run_export_task

    check_format(format)
    chosen = queries.check_columns(columns)
    contacts = queries.contacts_to_export(actor, **query)
    export = Export.objects.create(
        created_by=actor,
        format=format,
        columns=chosen,
        query=query,
        total_rows=queries.count(contacts),
    )
    run_export_task.enqueue(export.pk)
    return export


def write_export(
    target: Path, *, format: str, contacts: Any, columns: list[str], progress=None
) -> int:
    """Write the contacts to `target` in the format; returns the number of contacts."""
    from kartoteka.transfer import queries, vcard

    written = 0

    def counted(rows: Iterator[Any]) -> Iterator[Any]:
        nonlocal written
        for row in rows:
            written += 1
            if progress and written % 2000 == 0:
                progress(written)
            yield row

    if format == "xlsx":
        header, rows = queries.export_table(contacts, columns)
        write_xlsx(target, header, counted(rows))
    elif format == "vcf":
        with open(target, "w", encoding="utf-8", newline="") as out:
            out.writelines(vcard.cards(counted(queries.vcard_contacts(contacts))))
    else:
        header, rows = queries.export_table(contacts, columns, labels=False)
        with open(target, "w", encoding="utf-8-sig", newline="") as out:
            out.writelines(csv_lines(header, counted(rows)))
    return written


def run_export(export_id: int) -> Export:
    """Write a queued export's file; safe to run again (it rewrites the file)."""
    from kartoteka.transfer import queries

    export = Export.objects.select_related("created_by").get(pk=export_id)
    if export.status == ExportStatus.DONE:
        return export
    Export.objects.filter(pk=export.pk).update(
        status=ExportStatus.RUNNING, heartbeat_at=timezone.now()
    )
    contacts = queries.contacts_to_export(export.created_by, **export.query)
    target = storage("exports") / f"export-{export.pk}.{export.format}"

    def progress(done: int) -> None:
        Export.objects.filter(pk=export.pk).update(rows_done=done, heartbeat_at=timezone.now())

    written = write_export(
        target, format=export.format, contacts=contacts, columns=export.columns, progress=progress
    )
    export.rows_done = written
    export.file_path = str(target)
    export.status = ExportStatus.DONE
    export.finished_at = timezone.now()
    export.save(update_fields=["rows_done", "file_path", "status", "finished_at"])
    return export


# --------------------------------------------------------------------------------------------
# Forget: a forgotten person taken out of imports and exports that quote them without pointing
# at them (an import's report, the journal of another contact, an export's query, the files).
# privacy.services.forget_contact calls these; transfer.relations declares the columns.


def forget_mentions(mentions: Mentions) -> int:
    """Replace every quote of the person in the import and export records; returns the rows
    changed. An export's query was typed to find people, so a first or last name alone counts."""
    return (
        forget_mentions_in(Import, mentions)
        + forget_mentions_in(ImportRow, mentions)
        + forget_mentions_in(ImportProblem, mentions)
        + forget_mentions_in(Export, mentions.with_name_parts())
    )


def forget_files_mentioning(mentions: Mentions) -> list[str]:
    """Blank the path of every uploaded import and written export whose file quotes the person;
    the files are deleted once the transaction commits. Returns their paths."""
    found: list[str] = []
    for model in (Import, Export):
        column = FILE_SWEEPS[model._meta.label]
        for pk, path in model._default_manager.exclude(**{column: ""}).values_list("pk", column):
            try:
                data = Path(path).read_bytes()
            except OSError:
                continue
            if mentions.found_in_file(data):
                model._default_manager.filter(pk=pk).update(**{column: ""})
                found.append(path)
    transaction.on_commit(lambda: [Path(path).unlink(missing_ok=True) for path in found])
    return found
