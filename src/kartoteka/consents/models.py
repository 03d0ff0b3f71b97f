"""Consents: the append-only ledger, the current state it leads to, admin-defined purposes with
their versioned legal texts, suppressed addresses (hashed) and blocked contacts."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    PHONE = "phone", _("Phone call")
    PUSH = "push", _("Web push")


class Status(models.TextChoices):
    GRANTED = "granted", _("Granted")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Source(models.TextChoices):
    FORM = "form", _("Form")
    DOUBLE_OPT_IN = "double_opt_in", _("Double opt-in confirmation")
    IMPORT = "import", _("Import")
    API = "api", _("API")
    STAFF = "staff", _("Staff on the card")
    PREFERENCES = "preferences", _("Preferences page")
    UNSUBSCRIBE = "unsubscribe", _("Unsubscribe link")
    MEMBER = "member", _("Members' area")
    BOUNCE = "bounce", _("Bounce or complaint")


class Purpose(models.Model):
    """A purpose of consent that has a row: one an admin added, or a built-in one (`processing`,
    `marketing`, which exist without a row) once it has a legal text."""

    key = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    builtin = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-builtin", "key")

    def __str__(self) -> str:
        return self.name


class LegalText(models.Model):
    """One version of the text a person is shown when giving consent for a purpose; versions
    are never edited, a change is a new version."""

    purpose = models.ForeignKey(Purpose, on_delete=models.CASCADE, related_name="texts")
    version = models.PositiveIntegerField()
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ("purpose", "-version")
        constraints = [
            models.UniqueConstraint(fields=("purpose", "version"), name="legal_text_version_once")
        ]


class ConsentEntry(models.Model):
    """One change of a consent, as it was given: never updated, never deleted but with the
    contact (forget)."""

    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.CASCADE, related_name="consent_entries"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    purpose = models.CharField(max_length=40)
    status = models.CharField(max_length=10, choices=Status.choices)
    source = models.CharField(max_length=20, choices=Source.choices)
    given_at = models.DateTimeField()
    recorded_at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=255, blank=True)
    proof = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["contact", "channel", "purpose", "given_at"], name="consent_entry_order"
            )
        ]


class ConsentState(models.Model):
    """The consent in force per contact, channel and purpose: the ledger's entry with the
    latest `given_at` (then the latest recorded). Kept by the services so filters read one
    indexed row instead of the ledger."""

    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.CASCADE, related_name="consent_states"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    purpose = models.CharField(max_length=40)
    status = models.CharField(max_length=10, choices=Status.choices)
    source = models.CharField(max_length=20, choices=Source.choices)
    given_at = models.DateTimeField()
    entry_id = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=("contact", "channel", "purpose"), name="consent_state_once"
            )
        ]
        indexes = [
            # The filters: contacts with a consent of this channel, purpose and status.
            models.Index(
                fields=["channel", "purpose", "status", "contact"], name="consent_state_filter"
            )
        ]


class Suppression(models.Model):
    """An address that may not be contacted on a channel again without new consent, kept as a
    hash of its folded form: it outlives the contact (forget) and holds no personal data."""

    address_hash = models.CharField(max_length=64)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    reason = models.CharField(max_length=20)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=("address_hash", "channel"), name="suppression_once_per_channel"
            )
        ]


class Block(models.Model):
    """A blocked contact: no e-mail, no list, no sign-in as a member. Unblocking deletes the row;
    the timeline keeps who blocked and unblocked, and why."""

    contact = models.ForeignKey("contacts.Contact", on_delete=models.CASCADE, related_name="blocks")
    reason = models.TextField()
    blocked_at = models.DateTimeField()
    blocked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    blocked_by_label = models.CharField(max_length=255, blank=True)
