"""The audit trail of data-subject requests: who forgot which contact, when, and how much was
erased — never the personal data itself."""

from django.conf import settings
from django.db import models


class ForgetRecord(models.Model):
    # The id alone: it names nobody once the contact row is gone.
    contact_id = models.BigIntegerField(db_index=True)
    forgotten_at = models.DateTimeField()
    forgotten_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    forgotten_by_label = models.CharField(max_length=255, blank=True)
    # {"activity.note": 3, "files": 1, …}: counts of rows erased or anonymised per table.
    erased = models.JSONField(default=dict)

    class Meta:
        ordering = ["-forgotten_at", "-id"]

    def __str__(self) -> str:
        return f"contact #{self.contact_id} forgotten at {self.forgotten_at:%Y-%m-%d %H:%M}"
