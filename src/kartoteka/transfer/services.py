"""Every write of imports and exports: upload, configure, dry run, run (resumable), revert,
and writing export files."""

import contextlib
import csv
import io
import itertools
import logging
import os
import sqlite3
import threading
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError, IntegrityError, connection, connections, transaction
from django.utils import timezone

from kartoteka.accounts.models import User
from kartoteka.accounts.queries import users_by_username
from kartoteka.activity import services as timeline
from kartoteka.contacts.bulk import (
    WRITTEN_TABLES,
    BatchResult,
    BulkOptions,
    RowFailure,
    clean_row,
    db_value,
    delete_created,
    insert_values,
    prepare_new_contact,
    restore_fields,
    upsert_contacts,
)
from kartoteka.contacts.models import Contact, PropertyDefinition
from kartoteka.contacts.services import clean_tag_names, property_definitions
from kartoteka.core import database, processes
from kartoteka.core.errors import Conflict, InvalidInput
from kartoteka.core.scope import is_admin
from kartoteka.transfer import formats, mapping
from kartoteka.transfer.models import (
    Export,
    ExportStatus,
    Import,
    ImportCreated,
    ImportProblem,
    ImportRow,
    ImportStatus,
)

logger = logging.getLogger(__name__)

BATCH_SIZE = 2000
# Files with at least this many rows are normalised by a pool of worker processes.
PARALLEL_FROM_ROWS = 20_000
# SQLite settings of the connection that writes an import, while it runs (restored after): a
# page cache that holds the pages of the indexes a million-row import inserts into at random
# places (e-mails, names, phone numbers; ~150 MB at a million contacts) within the import's
# memory budget, no memory map (pages read through it stay mapped into the process, whose
# resident memory then grows with the database: 1.9 GB at a million contacts), and no
# checkpoint of the write-ahead log by the writer unless the log outgrows ~400 MB.
IMPORT_SQLITE_PRAGMAS = {"cache_size": -176 * 1024, "mmap_size": 0, "wal_autocheckpoint": 100_000}
# Instead a thread with a connection of its own copies the log into the database file this
# often (a passive checkpoint: it never waits for the writer), so the copying and its fsyncs
# overlap with the writing (commits that did them waited ~25% of a 100,000-row import).
CHECKPOINT_EVERY_SECONDS = 0.5
# Batches written in one transaction on SQLite. At a million contacts each new contact lands on
# pages of its own in the indexes filled at random places (e-mails, names, phones, companies),
# and a commit writes every page it changed to the write-ahead log (a batch to a commit, an
# import of a million rows wrote ~8 pages of 4 KB a row, log and checkpoints together); with
# four batches to a commit a page several of them change is written once (commits took 11-14 µs
# a row instead of 21-22 at 1M). PostgreSQL logs the rows, not their pages, and commits every
# batch by itself.
BATCHES_PER_COMMIT = 4
# An import that wrote at least this many contacts refreshes the planner's statistics at its end;
# on PostgreSQL also while it runs, each time the contacts have doubled (see _GrowthStatistics).
STATISTICS_AFTER_ROWS = 1_000
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


def upload_import(
    actor: User | None, *, upload: UploadedFile | Path, file_name: str = ""
) -> Import:
    """Keep the file, detect its format, encoding and delimiter, and suggest a mapping."""
    name = Path(file_name or getattr(upload, "name", "") or "import.csv").name[:200]
    target = storage("imports") / f"{uuid.uuid4().hex}{Path(name).suffix.lower()[:10]}"
    limit = settings.KARTOTEKA_MAX_UPLOAD_BYTES
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
                    raise InvalidInput("file", f"The file is larger than {limit // 2**20} MB.")
                out.write(chunk)
        finally:
            if source is not None:
                source.close()
    try:
        detected = formats.sniff(target, name)
        imp = Import(
            created_by=actor,
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
    imp.save()
    return imp


def _headers(imp: Import) -> list[str]:
    rows = formats.read_rows(
        Path(imp.file_path), format=imp.format, encoding=imp.encoding, delimiter=imp.delimiter
    )
    try:
        headers = next(rows, None)
    except csv.Error as exc:
        raise InvalidInput("file", f"Cannot read the header row: {exc}") from None
    finally:
        rows.close()
    if not headers or not any(h.strip() for h in headers):
        raise InvalidInput("file", "The first row must name the columns.")
    return [h.strip().lstrip("\ufeff") for h in headers]


@transaction.atomic
def configure_import(
    actor: User | None,
    imp: Import,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    column_map: dict[str, str] | None = None,
    update_existing: bool | None = None,
    tags: list[str] | None = None,
    owner: str | None = None,
) -> Import:
    """Change what the user confirms before a run: reading, mapping and options."""
    if imp.status != ImportStatus.UPLOADED:
        raise Conflict("This import has started; its settings can no longer change.")
    if encoding is not None and encoding != imp.encoding and imp.format != "xlsx":
        if encoding not in formats.ENCODINGS:
            raise InvalidInput(
                "encoding", f"Encoding must be one of: {', '.join(formats.ENCODINGS)}."
            )
        imp.encoding = encoding
    if delimiter is not None and delimiter != imp.delimiter and imp.format == "csv":
        if delimiter not in formats.DELIMITERS:
            raise InvalidInput("delimiter", "Delimiter must be a comma, semicolon, tab or |.")
        imp.delimiter = delimiter
    if encoding is not None or delimiter is not None:
        headers = _headers(imp)
        if headers != imp.headers:
            imp.headers = headers
            imp.mapping = mapping.suggest(headers, list(PropertyDefinition.objects.all()))
    if column_map is not None:
        known = mapping.targets(list(PropertyDefinition.objects.all()))
        imp.mapping = mapping.check(column_map, imp.headers, known)
    if update_existing is not None:
        imp.update_existing = update_existing
    if tags is not None:
        imp.tags = clean_tag_names(tags)
    if owner is not None:
        imp.owner = _owner(actor, owner)
    imp.save()
    return imp


def _owner(actor: User | None, username: str) -> User | None:
    if not username.strip():
        return None
    user = users_by_username([username.strip()]).get(username.strip().casefold())
    if user is None:
        raise InvalidInput("owner", f"No active user named {username!r}.")
    if actor is not None and not is_admin(actor) and user.pk != actor.pk:
        raise InvalidInput("owner", "Sales users import contacts for themselves only.")
    return user


def _options(imp: Import, actor: User | None = None) -> BulkOptions:
    return BulkOptions(
        actor=actor or imp.created_by,
        label=imp.label,
        update_existing=imp.update_existing,
        tags=list(imp.tags),
        owner=imp.owner,
    )


# --------------------------------------------------------------------------------------------
# Import: reading rows and cleaning them


def _data_rows(imp: Import) -> Iterator[tuple[int, list[str]]]:
    """(data row number from 1, cells) of every row after the header."""
    rows = formats.read_rows(
        Path(imp.file_path), format=imp.format, encoding=imp.encoding, delimiter=imp.delimiter
    )
    next(rows, None)
    number = 0
    try:
        for cells in rows:
            if not any(map(str.strip, cells)):
                continue  # blank lines are not rows
            number += 1
            yield number, cells
    except csv.Error as exc:
        raise InvalidInput("file", f"The file cannot be read after row {number}: {exc}") from None


def shown_row(imp: Import, number: int) -> int:
    """The row number a user sees in their spreadsheet (the header is row 1); cards count from 1."""
    return number if imp.format == "vcf" else number + 1


Cleaned = tuple[list[tuple[int, dict]], list[RowFailure], dict[int, str]]


def _clean_batch(
    imp: Import,
    batch: list[tuple[int, list[str]]],
    definitions: dict[str, PropertyDefinition],
    *,
    prepare: bool = False,
) -> Cleaned:
    """Cleaned rows, failures (field = target) and notes by row number. With `prepare` (in a
    worker process), each cleaned row also carries its values for writing it as a new contact
    (contacts.bulk.prepare_new_contact), which the writer would otherwise compute."""
    columns = sorted(
        ((int(index), target) for index, target in imp.mapping.items() if target),
        key=lambda item: item[0],
    )
    width = len(imp.headers)
    today = timezone.localdate()
    cleaned, failures, notes = [], [], {}
    for number, cells in batch:
        if len(cells) > width and any(c.strip() for c in cells[width:]):
            failures.append(
                RowFailure(
                    number,
                    "",
                    f"This row has {len(cells)} cells but the header names {width} columns.",
                )
            )
            continue
        data = mapping.row_data(cells, columns)
        note = data.pop("note", None)
        try:
            row = clean_row(data, definitions, today=today)
        except InvalidInput as exc:
            failures += [
                RowFailure(number, field, message)
                for field, messages in exc.errors.items()
                for message in messages
            ]
            continue
        if prepare:
            prepare_new_contact(row)
        cleaned.append((number, row))
        if note:
            notes[number] = note
    return cleaned, failures, notes


def _problem(imp: Import, failure: RowFailure, cells: list[str]) -> ImportProblem:
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
    if len(value) > MAX_SHOWN_VALUE:
        value = value[:MAX_SHOWN_VALUE] + f"… ({len(value):,} characters)"
    return ImportProblem(
        batch=imp,
        row_number=shown_row(imp, failure.row_number),
        column=column,
        value=value,
        message=failure.message,
    )


# --------------------------------------------------------------------------------------------
# Import: dry run, run, revert


def dry_run_import(actor: User | None, imp: Import, *, sample: int = 50) -> dict[str, Any]:
    """What a run would do, without writing: counts and the first failures."""
    definitions = property_definitions()
    counts = {"created": 0, "updated": 0, "unchanged": 0, "failed": 0}
    problems: list[dict] = []
    batch: list[tuple[int, list[str]]] = []
    options = _options(imp, actor)

    def plan(rows: list[tuple[int, list[str]]]) -> None:
        cleaned, failures, _notes = _clean_batch(imp, rows, definitions)
        cells = dict(rows)
        result = upsert_contacts(cleaned, options, dry_run=True)
        failures += result.failures
        counts["created"] += len(result.created)
        counts["updated"] += len(result.updated)
        counts["unchanged"] += len(result.unchanged)
        counts["failed"] += len({f.row_number for f in failures})
        for failure in failures:
            if len(problems) < sample:
                row = _problem(imp, failure, cells[failure.row_number])
                problems.append(
                    {
                        "row": row.row_number,
                        "column": row.column,
                        "value": row.value,
                        "message": row.message,
                    }
                )

    for number, cells in _data_rows(imp):
        batch.append((number, cells))
        if len(batch) >= BATCH_SIZE:
            plan(batch)
            batch = []
    if batch:
        plan(batch)
    return {**counts, "problems": problems}


def start_import(actor: User | None, imp: Import) -> Import:
    """Queue the import's run as a background task (run at once in tests)."""
    from kartoteka.transfer.tasks import run_import_task

    if imp.status not in (ImportStatus.UPLOADED, ImportStatus.FAILED):
        raise Conflict("This import has already run.")
    mapping.check(imp.mapping, imp.headers, _known())
    Import.objects.filter(pk=imp.pk).update(status=ImportStatus.QUEUED)
    imp.status = ImportStatus.QUEUED
    run_import_task.enqueue(imp.pk)
    return imp


def _known() -> dict[str, Any]:
    return mapping.targets(list(PropertyDefinition.objects.all()))


def run_import(import_id: int, *, progress: Progress | None = None) -> Import:
    """Import every row after the checkpoint, BATCH_SIZE rows at a time, committing
    BATCHES_PER_COMMIT batches together on SQLite and each batch by itself elsewhere.

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
            imp.total_rows = sum(1 for _row in _data_rows(imp))
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
    parallel = imp.total_rows >= PARALLEL_FROM_ROWS and (os.cpu_count() or 1) > 1
    saved: dict[str, Any] = {}
    checkpointer: _Checkpointer | None = None
    per_commit = BATCHES_PER_COMMIT if connection.vendor == "sqlite" else 1
    batches = _cleaned_batches(imp, definitions, parallel=parallel)
    try:
        # Reading the first batch starts the worker pool, which closes this process's database
        # connection before it forks (and no process is forked with the checkpointer running):
        # the writing connection is set up after it.
        first = next(batches, None)
        saved = _tune_connection()
        checkpointer = _Checkpointer.start()
        statistics = _GrowthStatistics(imp)
        pending = itertools.chain([first] if first else [], batches)
        for opening in pending:
            # The batch that opens a transaction is read before it, the others within it.
            with transaction.atomic():
                for batch, cleaned in itertools.chain(
                    [opening], itertools.islice(pending, per_commit - 1)
                ):
                    _commit_batch(imp, batch, cleaned, options)
                    if progress:
                        progress(imp)
            statistics.refresh_if_outgrown()
    except InvalidInput as exc:
        return _failed(imp, exc)
    finally:
        if checkpointer:
            checkpointer.stop()
        _restore_connection(saved)
    imp.status = ImportStatus.DONE
    imp.finished_at = timezone.now()
    imp.save(update_fields=["status", "finished_at"])
    if imp.created_count + imp.updated_count >= STATISTICS_AFTER_ROWS:
        # The planner's picture of the contact tables may have changed a lot (an empty
        # database that now has a million contacts): refresh it now, not hours later.
        database.refresh_planner_statistics()
    if progress:
        progress(imp)
    return imp


class _GrowthStatistics:
    """On PostgreSQL, refreshes the planner's statistics of the tables an import writes each
    time the contacts have doubled since the import started or last refreshed them (the first
    time after STATISTICS_AFTER_ROWS): plans made for small tables, such as those of a new
    database, walk whole indexes once the tables are large (see
    database.refresh_planner_statistics). Nine while a million rows go into an empty
    database, then run_import's own at the end. SQLite's planner looks rows up by id without
    statistics, and reads whole tables to make them, so it gets them once, at the end."""

    def __init__(self, imp: Import):
        self.imp = imp
        self.enabled = connection.vendor == "postgresql"
        self.created_before = imp.created_count
        self.contacts_then = Contact.objects.count() if self.enabled else 0

    def refresh_if_outgrown(self) -> None:
        contacts = self.contacts_then + self.imp.created_count - self.created_before
        if self.enabled and contacts >= max(STATISTICS_AFTER_ROWS, 2 * self.contacts_then):
            database.refresh_planner_statistics(WRITTEN_TABLES)
            self.contacts_then, self.created_before = contacts, self.imp.created_count


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


def resume_import(actor: User | None, imp: Import, *, in_background: bool = True) -> Import:
    """Take over an interrupted import now, rather than when the next worker starts: queue it,
    or (from the command line) leave it to the caller to run in the foreground."""
    from kartoteka.transfer.tasks import run_import_task

    if not _claim_if_interrupted(imp):
        raise Conflict("This import is not interrupted, so there is nothing to resume.")
    if in_background:
        run_import_task.enqueue(imp.pk)
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


def _tune_connection() -> dict[str, Any]:
    """Give the connection the import's SQLite settings; return the values they replaced, for
    _restore_connection."""
    saved: dict[str, Any] = {}
    if connection.vendor != "sqlite":
        return saved
    with connection.cursor() as cursor:
        for name, value in IMPORT_SQLITE_PRAGMAS.items():
            cursor.execute(f"PRAGMA {name}")
            current = cursor.fetchone()[0]
            if current != value:
                saved[name] = current
                cursor.execute(f"PRAGMA {name} = {int(value)}")
    return saved


def _restore_connection(saved: dict[str, Any]) -> None:
    """Give the connection its own settings back: a worker that runs other tasks next does not
    keep an import-sized page cache."""
    if connection.vendor != "sqlite" or connection.connection is None:
        return
    # After a failed batch the connection may be unusable: it is then closed, settings and all,
    # and the failure that matters is the one already raised.
    with contextlib.suppress(DatabaseError), connection.cursor() as cursor:
        for name, value in saved.items():
            cursor.execute(f"PRAGMA {name} = {int(value)}")


class _Checkpointer:
    """Copies SQLite's write-ahead log into the database file from a thread of its own while
    an import writes (see CHECKPOINT_EVERY_SECONDS), and once more when stopped, so the import
    leaves no more log behind than its own commits would have."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.runs = 0
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="import-checkpoints", daemon=True)

    @classmethod
    def start(cls) -> "_Checkpointer | None":
        """A running checkpointer for the default database, or None where it has no use (not
        SQLite, not a file, not in WAL mode)."""
        if connection.vendor != "sqlite":
            return None
        path = str(connection.settings_dict["NAME"])
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            mode = cursor.fetchone()[0]
        if mode != "wal" or path == ":memory:" or path.startswith("file:"):
            return None
        checkpointer = cls(path)
        checkpointer._thread.start()
        return checkpointer

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join()

    def _run(self) -> None:
        db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        try:
            while True:
                stopping = self._stopping.wait(CHECKPOINT_EVERY_SECONDS)
                try:
                    db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    self.runs += 1
                except sqlite3.Error:
                    logger.warning("A checkpoint during an import failed", exc_info=True)
                if stopping:
                    return
        finally:
            db.close()


def _batches(imp: Import) -> Iterator[list[tuple[int, list[str]]]]:
    """The rows after the checkpoint, BATCH_SIZE at a time."""
    batch: list[tuple[int, list[str]]] = []
    for number, cells in _data_rows(imp):
        if number <= imp.checkpoint:
            continue
        batch.append((number, cells))
        if len(batch) >= BATCH_SIZE:
            yield batch
            batch = []
    if batch:
        yield batch


_worker_state: tuple[Import, dict[str, PropertyDefinition]] | None = None


def _start_worker(imp: Import, definitions: dict[str, PropertyDefinition]) -> None:
    global _worker_state
    _worker_state = (imp, definitions)


def _clean_in_worker(batch: list[tuple[int, list[str]]]) -> Cleaned:
    assert _worker_state is not None
    return _clean_batch(_worker_state[0], batch, _worker_state[1], prepare=True)


def _cleaned_batches(
    imp: Import, definitions: dict[str, PropertyDefinition], *, parallel: bool
) -> Iterator[tuple[list[tuple[int, list[str]]], Cleaned]]:
    """Each batch with its cleaned rows. In parallel, worker processes normalise and validate
    the next batches while this process writes the current one; only a few batches are in
    flight at a time, so memory stays flat however long the file is."""
    if not parallel:
        for batch in _batches(imp):
            yield batch, _clean_batch(imp, batch, definitions)
        return
    # Forked workers must not share this process's database connection.
    connections.close_all()
    workers = os.cpu_count() or 2
    with processes.helper_pool(workers, _start_worker, (imp, definitions)) as pool:
        pending: deque = deque()
        for batch in _batches(imp):
            pending.append((batch, pool.apply_async(_clean_in_worker, (batch,))))
            if len(pending) > 2 * workers:
                done, result = pending.popleft()
                yield done, result.get()
        while pending:
            done, result = pending.popleft()
            yield done, result.get()


def _commit_batch(
    imp: Import,
    batch: list[tuple[int, list[str]]],
    cleaned_batch: Cleaned,
    options: BulkOptions,
) -> None:
    """Write one batch and move the checkpoint past it, inside the transaction run_import holds
    (which may hold several batches: nothing here commits)."""
    cleaned, failures, notes = cleaned_batch
    cells = dict(batch)
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
                    RowFailure(row[0], "email", "The e-mail address was just taken.")
                )
    failures += result.failures
    ImportProblem.objects.bulk_create(
        [_problem(imp, f, cells[f.row_number]) for f in failures], batch_size=500
    )
    _journal(imp, result)
    _add_notes(imp, options, result, notes)
    imp.checkpoint = batch[-1][0]
    imp.created_count += len(result.created)
    imp.updated_count += len(result.updated)
    imp.unchanged_count += len(result.unchanged)
    imp.failed_count += len({f.row_number for f in failures})
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
    imp: Import, options: BulkOptions, result: BatchResult, notes: dict[int, str]
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
                batch=imp, row_number=shown_row(imp, number), column="note", message=exc.message
            )


@transaction.atomic
def revert_import(actor: User | None, imp: Import) -> list[str]:
    """Remove the contacts the import created and restore the fields it changed.

    Returns what was left alone because it was edited since (never overwritten).
    """
    if imp.status == ImportStatus.REVERTED:
        raise Conflict("This import was already reverted.")
    if imp.status in (ImportStatus.QUEUED, ImportStatus.RUNNING):
        raise Conflict("This import is still running; revert it when it has finished.")
    options = BulkOptions(actor=actor, label=f"revert of {imp.label}")
    created = [contact_id for run in imp.created_runs.all() for contact_id in run.contact_ids()]
    _deleted, kept_ids = delete_created(options, created)
    kept = [f"Contact #{cid} was edited after the import; kept." for cid in kept_ids]
    updated = [
        (row.contact_id, row.before, row.after) for row in imp.journal.order_by("-row_number")
    ]
    kept += restore_fields(options, updated)
    imp.status = ImportStatus.REVERTED
    imp.reverted_at = timezone.now()
    imp.message = "\n".join(kept)
    imp.save(update_fields=["status", "reverted_at", "message"])
    return kept


def problems_csv(imp: Import) -> Iterator[str]:
    """The error report: a header row, then one row per problem of a failed input row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(["row", "column", "value", "message"])
    yield flush()
    for problem in imp.problems.order_by("row_number", "pk").iterator(2000):
        writer.writerow(
            [
                problem.row_number,
                mapping.neutralise(problem.column),
                mapping.neutralise(problem.value),
                problem.message,
            ]
        )
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


def csv_lines(header: list[str], rows: Iterator[list[Any]]) -> Iterator[str]:
    """CSV text, one line at a time, every formula-looking cell neutralised."""
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([mapping.neutralise(value) for value in row])


def write_xlsx(target: Any, header: list[str], rows: Iterator[list[Any]]) -> int:
    """Write a one-sheet workbook (streamed, constant memory); return the number of rows."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Contacts")
    sheet.append(header)
    written = 0
    for row in rows:
        sheet.append([mapping.neutralise(value) for value in row])
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
        raise InvalidInput("view", "The view must be empty or 'clients'.")
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
        raise InvalidInput("format", f"Format must be one of: {', '.join(EXPORT_FORMATS)}.")
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

    known = queries.export_columns()
    written = 0

    def counted(rows: Iterator[Any]) -> Iterator[Any]:
        nonlocal written
        for row in rows:
            written += 1
            if progress and written % 2000 == 0:
                progress(written)
            yield row

    if format == "xlsx":
        write_xlsx(
            target,
            [str(known[c]) for c in columns],
            counted(queries.export_rows(contacts, columns)),
        )
    elif format == "vcf":
        with open(target, "w", encoding="utf-8", newline="") as out:
            out.writelines(vcard.cards(counted(queries.vcard_contacts(contacts))))
    else:
        with open(target, "w", encoding="utf-8-sig", newline="") as out:
            out.writelines(csv_lines(columns, counted(queries.export_rows(contacts, columns))))
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
