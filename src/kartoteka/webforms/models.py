"""Web forms: what an admin builds in Settings → Forms, and every submission people send."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class WebForm(models.Model):
    """A form served at /f/{key} and embeddable on other sites. `fields` lists, after the
    e-mail every form asks for, {key, label, type, required, maps_to, choices}."""

    key = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    fields = models.JSONField(default=list)
    consent_text = models.TextField(blank=True)
    tags = models.JSONField(default=list)
    mailing_list = models.ForeignKey(
        "mailing.MailingList", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    thank_you = models.TextField(blank=True)
    redirect_url = models.URLField(max_length=2000, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "pk"]


class Submission(models.Model):
    """One submission as it was sent: every field's value (unmapped ones live only here) and
    where it came from."""

    form = models.ForeignKey(WebForm, on_delete=models.CASCADE, related_name="submissions")
    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.CASCADE, related_name="form_submissions"
    )
    values = models.JSONField(default=dict)
    page_url = models.CharField(max_length=2000, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    submitted_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        indexes = [
            models.Index(fields=["contact", "-submitted_at"], name="webforms_sub_contact"),
            # "Submitted form F" filters read contacts from this index alone.
            models.Index(fields=["form", "contact"], name="webforms_sub_form_contact"),
        ]
