"""Saved filters (a user's shortcuts in the contact list) and segments (named audiences with a
kept count). Both hold a checked filter document; shared ones are seen by the whole team."""

from django.conf import settings
from django.db import models


class NamedFilter(models.Model):
    name = models.CharField(max_length=120)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    is_shared = models.BooleanField(default=False)
    # The normalised JSON document (segments.schema.validate), the one language everywhere.
    document = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class SavedFilter(NamedFilter):
    class Meta(NamedFilter.Meta):
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="unique_saved_filter_name"),
        ]


class Segment(NamedFilter):
    # Counted in the owner's scope by recount_segment; the page says when.
    count = models.PositiveIntegerField(null=True, blank=True)
    counted_at = models.DateTimeField(null=True, blank=True)

    class Meta(NamedFilter.Meta):
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="unique_segment_name"),
        ]


# How many of a contact's most recent entries of each kind the recency ladder keeps; behaviour
# conditions asking for more than this many fall back to counting the timeline.
RECENCY_RANKS = 10


class ActivityRecency(models.Model):
    """The `rank`-th most recent timeline entry of one kind for one contact (ranks 1 to
    RECENCY_RANKS): its occurred_at. "Kind K at least N times in the last D days" holds exactly
    when rank N's occurred_at is within D days, which one range of the (kind, rank, occurred_at)
    index answers, instead of counting every recent entry per contact.

    Kept by database triggers on the timeline table (migration 0005), so every way of writing
    the timeline (services, bulk import, merge, forget, delete) keeps it in step; never written
    by application code.
    """

    # Looked up by (contact, kind) through the unique constraint; no index of its own.
    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    kind = models.CharField(max_length=40)
    rank = models.PositiveSmallIntegerField()
    occurred_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["contact", "kind", "rank"], name="unique_activity_recency"
            ),
        ]
        indexes = [
            models.Index(
                fields=["kind", "rank", "occurred_at", "contact"], name="activity_recency_window"
            ),
        ]
