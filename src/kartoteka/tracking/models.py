"""Tables of website tracking: the sites that carry the snippet, the queue of hits the collector
appends to, and what the worker makes of it — visitors, visits and their page views."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Site(models.Model):
    """A website carrying the tracking snippet; hits are accepted only from its domains."""

    name = models.CharField(_("name"), max_length=200)
    key = models.CharField(max_length=32, unique=True)  # public: it is in the snippet
    domains = models.JSONField(default=list)  # host names; a sub-domain of one is accepted too
    respect_do_not_track = models.BooleanField(default=True)
    wait_for_consent = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class Hit(models.Model):
    """One thing a browser told the collector, waiting for the worker: a page view, the time
    spent on a page when it was left, or who the visitor is. Deleted once processed."""

    VIEW = "view"
    LEAVE = "leave"
    IDENTIFY = "identify"

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+")
    visitor = models.CharField(max_length=64)
    kind = models.CharField(max_length=10)
    received_at = models.DateTimeField(default=timezone.now)
    data = models.JSONField(default=dict)


class Visitor(models.Model):
    """A browser, by the first-party id the snippet keeps; known once it is tied to a contact."""

    key = models.CharField(max_length=64, unique=True)
    contact = models.ForeignKey(
        "contacts.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    first_seen_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)


class Visit(models.Model):
    """A session on one site: page views of one visitor with no gap of more than half an hour."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="visits")
    visitor = models.ForeignKey(Visitor, on_delete=models.CASCADE, related_name="visits")
    contact = models.ForeignKey(
        "contacts.Contact", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField()
    pages = models.PositiveIntegerField(default=0)
    entry_url = models.TextField(blank=True)
    referrer = models.TextField(blank=True)
    utm_source = models.CharField(max_length=255, blank=True)
    utm_medium = models.CharField(max_length=255, blank=True)
    utm_campaign = models.CharField(max_length=255, blank=True)
    utm_term = models.CharField(max_length=255, blank=True)
    utm_content = models.CharField(max_length=255, blank=True)
    gclid = models.CharField(max_length=255, blank=True)
    ads_campaign = models.CharField(max_length=255, blank=True)
    ads_group = models.CharField(max_length=255, blank=True)
    ads_keyword = models.CharField(max_length=255, blank=True)
    ads_network = models.CharField(max_length=255, blank=True)
    ads_device = models.CharField(max_length=255, blank=True)
    ads_id = models.CharField(max_length=255, blank=True)
    device_type = models.CharField(max_length=10, blank=True)  # desktop, mobile, tablet
    os = models.CharField(max_length=100, blank=True)
    browser = models.CharField(max_length=100, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["contact", "-started_at"], name="visit_contact_started"),
            models.Index(fields=["visitor", "-ended_at"], name="visit_visitor_ended"),
        ]

    @property
    def seconds(self) -> int:
        return int((self.ended_at - self.started_at).total_seconds())


class PageView(models.Model):
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="page_views")
    url = models.TextField()
    title = models.CharField(max_length=300, blank=True)
    viewed_at = models.DateTimeField()
    seconds = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["viewed_at", "id"]
        # "Visited a page … in the last N days" reads the period's page views by time.
        indexes = [models.Index(fields=["viewed_at"], name="pageview_viewed_at")]


class VisitTotals(models.Model):
    """Per-contact counts kept by the worker as it writes visits, so filters never count visits."""

    contact = models.OneToOneField(
        "contacts.Contact", primary_key=True, on_delete=models.CASCADE, related_name="visit_totals"
    )
    visits = models.PositiveIntegerField(default=0)
    page_views = models.PositiveIntegerField(default=0)
    last_visit_at = models.DateTimeField(null=True)

    class Meta:
        indexes = [models.Index(fields=["last_visit_at"], name="visittotals_last_visit")]


class MonitoringLink(models.Model):
    """A link to a page of a tracked site that, opened, tells the snippet who this browser is."""

    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.CASCADE, related_name="monitoring_links"
    )
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+")
    url = models.TextField()
    token = models.CharField(max_length=64, unique=True)
    # Opening it starts monitoring a contact whose monitoring was stopped, only if asked.
    starts_monitoring = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class AdsClick(models.Model):
    """A Google Ads click from an uploaded click report, kept so that a contact arriving later
    with its click id gets the campaign, ad group, keyword, network, device and ad on arrival."""

    gclid = models.CharField(max_length=255, unique=True)
    campaign = models.CharField(max_length=255, blank=True)
    ad_group = models.CharField(max_length=255, blank=True)
    keyword = models.CharField(max_length=255, blank=True)
    network = models.CharField(max_length=255, blank=True)
    device = models.CharField(max_length=255, blank=True)
    ad_id = models.CharField(max_length=255, blank=True)
    uploaded_at = models.DateTimeField(default=timezone.now)


class PublicFile(models.Model):
    """A document anyone may download through its tracked link (an e-book, a price list); a
    download by a browser the tracker knows lands on that person's card."""

    key = models.CharField(max_length=32, unique=True)  # public: it is in the link
    name = models.CharField(max_length=200)  # the file name the browser saves
    title = models.CharField(max_length=200)
    file = models.FileField(max_length=300)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=100)
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)
    downloads = models.PositiveIntegerField(default=0)  # every download, known visitor or not

    class Meta:
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title


class FileDownload(models.Model):
    """A download of a public file by a browser with a visitor id: anonymous until the visitor is
    known, then the contact's (earlier downloads join the contact as page views do)."""

    file = models.ForeignKey(PublicFile, on_delete=models.CASCADE, related_name="+")
    visitor = models.ForeignKey(Visitor, on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(
        "contacts.Contact", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    downloaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-downloaded_at", "-id"]
        indexes = [
            models.Index(fields=["contact", "-downloaded_at"], name="download_contact_at"),
            models.Index(fields=["file", "contact"], name="download_file_contact"),
            models.Index(fields=["visitor"], name="download_visitor"),
        ]
