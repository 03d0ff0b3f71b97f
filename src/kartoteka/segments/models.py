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
