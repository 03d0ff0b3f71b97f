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
