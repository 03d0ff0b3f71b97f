"""Matching rules admins configure for finding duplicates, and the records that let a merge be
undone."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Combine(models.TextChoices):
    ALL = "all", _("All conditions")
    ANY = "any", _("Any condition")


class MatchingRule(models.Model):
    """One way two contacts can be the same person.

    `conditions` is a list of {"field": <one of matching.FIELDS>, "match": "exact" | "fuzzy"};
    `combine` says whether all of them or any one must hold. Fuzzy conditions compare with
    rapidfuzz and pass at `min_similarity` (0–100).
    """

    name = models.CharField(max_length=100)
    conditions = models.JSONField(default=list)
    combine = models.CharField(max_length=3, choices=Combine.choices, default=Combine.ALL)
    min_similarity = models.PositiveSmallIntegerField(default=88)
    # How sure a match by this rule is, 0–100; fuzzy matches scale it by their similarity.
    confidence = models.PositiveSmallIntegerField(default=80)
    is_active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class MergeRecord(models.Model):
    """What one merge needs to be undone: the merged contact as it was, the rows moved onto the
    survivor (with a fingerprint to notice later edits) and the survivor's changed fields."""

    survivor = models.ForeignKey(
        "contacts.Contact", on_delete=models.CASCADE, related_name="merge_records"
    )
    merged_contact_id = models.BigIntegerField()
    snapshot = models.JSONField(default=dict)
    merged_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    merged_by_label = models.CharField(max_length=255, blank=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What the undo could not put back because it was edited or removed since the merge.
    undo_report = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-merged_at", "-id"]
        indexes = [models.Index(fields=["survivor", "-merged_at"], name="merge_by_survivor")]

    def __str__(self) -> str:
        return f"#{self.merged_contact_id} into #{self.survivor_id}"


class ScanState(models.TextChoices):
    QUEUED = "queued", _("Waiting to start")
    READING = "reading", _("Reading contacts")
    MATCHING = "matching", _("Comparing contacts")
    SAVING = "saving", _("Saving the groups")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


ACTIVE_STATES = (ScanState.QUEUED, ScanState.READING, ScanState.MATCHING, ScanState.SAVING)


class DuplicateScan(models.Model):
    """One run of the finder over the whole workspace; the page shows the last finished one.

    Groups are stored for everyone and narrowed to the viewer's contacts when read, so one scan
    serves admins and sales users alike.
    """

    state = models.CharField(max_length=10, choices=ScanState.choices, default=ScanState.QUEUED)
    # What asked for it: "manual", "rules" (the matching rules changed) or "cli".
    trigger = models.CharField(max_length=20, default="manual")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Bumped on every progress step, so a scan whose worker died can be told from a slow one.
    updated_at = models.DateTimeField()
    contacts_total = models.PositiveIntegerField(default=0)
    contacts_read = models.PositiveIntegerField(default=0)
    groups_found = models.PositiveIntegerField(default=0)
    pairs_compared = models.BigIntegerField(default=0)
    oversized_blocks = models.JSONField(default=list, blank=True)
    message = models.TextField(blank=True)
    # True on the one scan being run, None on every other: the unique constraint lets a single
    # scan at a time hold it, however many workers and command lines start one.
    running = models.BooleanField(null=True, default=None, editable=False)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["running"], name="one_scan_running")]

    def __str__(self) -> str:
        return f"scan #{self.pk} ({self.state})"


class DuplicateGroup(models.Model):
    """Contacts one scan found to be probably the same person; ids ascend in rank order."""

    scan = models.ForeignKey(DuplicateScan, on_delete=models.CASCADE, related_name="groups")
    reasons = models.JSONField(default=list)
    confidence = models.PositiveSmallIntegerField()
    # Every link came from exact conditions only: safe for bulk merging.
    exact = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"group #{self.pk} ({self.confidence}%)"


class DuplicateMember(models.Model):
    """A contact in a stored group. Deleting or merging away the contact removes the row, so a
    group shrinks on its own and drops out once fewer than two of its contacts are left."""

    group = models.ForeignKey(DuplicateGroup, on_delete=models.CASCADE, related_name="members")
    contact = models.ForeignKey("contacts.Contact", on_delete=models.CASCADE, related_name="+")

    class Meta:
        ordering = ["contact_id"]
        constraints = [
            models.UniqueConstraint(fields=["group", "contact"], name="one_membership_per_group")
        ]

    def __str__(self) -> str:
        return f"#{self.contact_id} in group #{self.group_id}"
