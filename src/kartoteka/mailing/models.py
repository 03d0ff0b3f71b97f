"""Mailing lists, their subscribers, the e-mails Kartoteka sends (each one recorded), list
mailings and the background runs that subscribe a filter or a segment."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class MailingList(models.Model):
    # The list's name in public addresses (/subscribe/<key>) and in the filter `list:<key>`.
    key = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    # The language of its e-mails and public pages (one of settings.LANGUAGES).
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, default="en")
    double_opt_in = models.BooleanField(default=True)
    # What the subscription form says the subscriber agrees to; its version goes with every
    # consent given through the form, so the proof names the exact text shown.
    consent_text = models.TextField(blank=True)
    consent_version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class SubscriptionStatus(models.TextChoices):
    PENDING = "pending", _("Pending confirmation")
    SUBSCRIBED = "subscribed", _("Subscribed")
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
    BOUNCED = "bounced", _("Bounced")
    COMPLAINED = "complained", _("Complained")


class SubscriptionSource(models.TextChoices):
    CARD = "card", _("Contact card")
    BULK = "bulk", _("Contact list selection")
    FILTER = "filter", _("Filter")
    SEGMENT = "segment", _("Segment")
    IMPORT = "import", _("Import")
    FORM = "form", _("Subscription form")
    API = "api", _("API")
    PREFERENCES = "preferences", _("Preferences page")
    # A bounce or a complaint the mail provider reported (mailing.webhooks).
    PROVIDER = "provider", _("Mail provider report")


class Subscription(models.Model):
    """A contact on a list, with its current status and since when."""

    mailing_list = models.ForeignKey(
        MailingList, on_delete=models.CASCADE, related_name="subscriptions"
    )
    contact = models.ForeignKey("contacts.Contact", on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=20, choices=SubscriptionStatus.choices)
    source = models.CharField(max_length=20, choices=SubscriptionSource.choices)
    # When the status last changed (a pending one expires 7 days after it).
    status_at = models.DateTimeField()
    created_at = models.DateTimeField()
    # Where a form subscription came from, kept as proof for the consent given on confirming.
    request_ip = models.GenericIPAddressField(null=True, blank=True)
    request_agent = models.CharField(max_length=500, blank=True)
    request_url = models.CharField(max_length=2000, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["mailing_list", "contact"], name="one_subscription_per_list"
            ),
        ]
        indexes = [
            models.Index(fields=["contact"], name="subscription_contact"),
            models.Index(fields=["mailing_list", "status", "contact"], name="subscription_status"),
            models.Index(fields=["status", "status_at"], name="subscription_status_at"),
        ]


class EmailStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class EmailKind(models.TextChoices):
    CONFIRMATION = "confirmation", _("Subscription confirmation")
    MAILING = "mailing", _("List mailing")
    TEST = "test", _("Test send")
    # Written by another app (the members' area: invitations, password resets), rendered
    # before it is queued.
    MEMBER = "member", _("Members' area")


class OutgoingEmail(models.Model):
    """One e-mail to one address, written before it is sent and kept as its record."""

    contact = models.ForeignKey(
        "contacts.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    mailing_list = models.ForeignKey(
        MailingList, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    mailing = models.ForeignKey(
        "mailing.Mailing", null=True, blank=True, on_delete=models.SET_NULL, related_name="emails"
    )
    kind = models.CharField(max_length=20, choices=EmailKind.choices)
    to_address = models.CharField(max_length=254)
    subject = models.CharField(max_length=255)
    # Rendered when it is sent (in the list's language), and kept as what was sent.
    body_text = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)
    # Chosen before sending, so a confirmation's proof can name it whatever the server does.
    message_id = models.CharField(max_length=255, unique=True)
    status = models.CharField(max_length=10, choices=EmailStatus.choices, default="queued")
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["contact", "created_at"], name="outgoing_email_contact"),
            models.Index(fields=["status", "created_at"], name="outgoing_email_status"),
        ]


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class Mailing(models.Model):
    """An e-mail written once and sent to a list's subscribers by the worker."""

    mailing_list = models.ForeignKey(MailingList, on_delete=models.CASCADE, related_name="+")
    subject = models.CharField(max_length=255)
    body = models.TextField()  # Markdown
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=RunStatus.choices, default="queued")
    total = models.PositiveIntegerField(default=0)
    sent = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class SubscribeRun(models.Model):
    """Subscribing the contacts of a filter or a segment in the background, with progress."""

    mailing_list = models.ForeignKey(MailingList, on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(max_length=20, choices=SubscriptionSource.choices)
    document = models.JSONField(default=dict)
    segment_id = models.BigIntegerField(null=True, blank=True)
    double_opt_in = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=RunStatus.choices, default="queued")
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    # {"subscribed": n, "pending": n, "refused": {"reason": n}}
    result = models.JSONField(default=dict)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
