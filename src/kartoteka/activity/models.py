"""The timeline: one append-only table of everything that happened to a contact."""

from django.conf import settings
from django.db import models


class Kind(models.TextChoices):
    CREATED = "created", "Created"
    UPDATED = "updated", "Edited"
    DELETED = "deleted", "Deleted"
    TAG_ADDED = "tag_added", "Tag added"
    TAG_REMOVED = "tag_removed", "Tag removed"
    OWNERS_CHANGED = "owners_changed", "Owners changed"
    STATUS_CHANGED = "status_changed", "Status changed"


class Activity(models.Model):
    """One entry of a contact's timeline. Rows are only ever added (and erased by privacy tools).

    `kind` is free text so that later apps add their own kinds (note, call, visit, …) without a
    migration here; the `Kind` choices list the ones this app records.
    """

    contact = models.ForeignKey(
        "contacts.Contact",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="activities",
    )
    kind = models.CharField(max_length=40)
    occurred_at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Who acted when it was not a user: "import #12", "rule: Welcome", "api", "system".
    actor_label = models.CharField(max_length=255, blank=True)
    # Link to the detail row (a note, a call, a file…) that holds the rest.
    detail_type = models.CharField(max_length=40, blank=True)
    detail_id = models.BigIntegerField(null=True, blank=True)
    payload = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["contact", "-occurred_at", "-id"], name="activity_timeline"),
            models.Index(fields=["contact", "kind", "occurred_at"], name="activity_kind"),
            models.Index(fields=["kind", "occurred_at"], name="activity_kind_time"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} on {self.contact_id} at {self.occurred_at:%Y-%m-%d %H:%M}"
