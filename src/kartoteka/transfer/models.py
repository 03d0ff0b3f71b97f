"""Imports with their journal (for revert) and error report, and exports."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    REVERTED = "reverted", _("Reverted")


class Import(models.Model):
    """One uploaded file and what importing it did.

    `checkpoint` is the last data row whose batch committed; a re-run after a killed worker
    starts after it, so nothing is written twice and nothing is skipped. `heartbeat_at` is the
    running process's last sign of life: a running import without one for a while was
    interrupted and is queued again. `run_started_at` / `run_started_after` say where the
    latest run began, for its rows per second.
    """

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    file_name = models.CharField(max_length=255)
    file_path = models.CharField(max_length=500)
    format = models.CharField(max_length=10)  # csv, xlsx, vcf
    encoding = models.CharField(max_length=30, blank=True)
    delimiter = models.CharField(max_length=1, blank=True)
    headers = models.JSONField(default=list)
    # Column index (as text) → target: a core field, "properties.<key>", "tags" or "" (ignore).
    mapping = models.JSONField(default=dict)
    update_existing = models.BooleanField(default=True)
    # The country of phone numbers written without a prefix in rows that name no country of
    # their own (ISO alpha-2); guessed from the file at upload, confirmed by the user.
    phone_region = models.CharField(max_length=2, blank=True)
    # Strict: a row with any problem is rejected; otherwise a row with a valid e-mail is
    # imported without its bad values, each reported as a warning.
    strict = models.BooleanField(default=False)
    tags = models.JSONField(default=list)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=ImportStatus.choices, default=ImportStatus.UPLOADED
    )
    total_rows = models.PositiveIntegerField(null=True, blank=True)
    checkpoint = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    # Rows imported without some of their values (each value a warning in the report).
    warned_count = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # When the latest run (the first, or a resume after an interruption) began, and the
    # checkpoint it began after: the progress rate counts that run's rows over its time.
    run_started_at = models.DateTimeField(null=True, blank=True)
    run_started_after = models.PositiveIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)
    reverted_at = models.DateTimeField(null=True, blank=True)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["-pk"]

    def __str__(self) -> str:
        return f"import #{self.pk}"

    @property
    def label(self) -> str:
        return f"import #{self.pk}"

    @property
    def rows_done(self) -> int:
        return self.checkpoint


class ImportRow(models.Model):
    """Journal of one contact an import changed: `before` holds the old values of the fields it
    changed and `after` the new ones, so a revert can restore them (or report a later edit
    instead of overwriting it). Contacts it created are in ImportCreated."""

    # No index of its own: import_row_by_number starts with the batch.
    batch = models.ForeignKey(
        Import, on_delete=models.CASCADE, related_name="journal", db_index=False
    )
    row_number = models.PositiveIntegerField()
    contact_id = models.BigIntegerField(db_index=True)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["row_number"]
        indexes = [models.Index(fields=["batch", "row_number"], name="import_row_by_number")]


class ImportCreated(models.Model):
    """Contacts an import created, as a run of consecutive ids from first to last, for its
    revert: the new contacts of a batch take consecutive ids, so a run stands for up to a
    batch of contacts instead of a journal row for each, which a large import would write
    besides its contacts."""

    batch = models.ForeignKey(Import, on_delete=models.CASCADE, related_name="created_runs")
    first_contact_id = models.BigIntegerField()
    last_contact_id = models.BigIntegerField()

    def contact_ids(self) -> range:
        return range(self.first_contact_id, self.last_contact_id + 1)


class ProblemLevel(models.TextChoices):
    ERROR = "error", _("Error: row rejected")
    WARNING = "warning", _("Warning: row imported without the value")


class ImportProblem(models.Model):
    """One problem of an input row: the report lists these. `row_number` is the line of the
    file the row starts on; the first problem of a row keeps the row's cells, so the report
    can be fixed and imported again."""

    batch = models.ForeignKey(Import, on_delete=models.CASCADE, related_name="problems")
    row_number = models.PositiveIntegerField()
    level = models.CharField(
        max_length=10, choices=ProblemLevel.choices, default=ProblemLevel.ERROR
    )
    column = models.CharField(max_length=255, blank=True)
    value = models.TextField(blank=True)
    message = models.TextField()
    cells = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["row_number", "pk"]


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class Export(models.Model):
    """A large export written by a background task; the file is downloaded afterwards."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    format = models.CharField(max_length=10)
    columns = models.JSONField(default=list)
    query = models.JSONField(default=dict)
    status = models.CharField(
        max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    total_rows = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    file_path = models.CharField(max_length=500, blank=True)
    message = models.TextField(blank=True)
    # The writing process's last sign of life, as on Import.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-pk"]
