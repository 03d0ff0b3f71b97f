"""Contacts and what belongs to them: e-mails, phones, messenger handles, owners, tags, company,
and the definitions of custom details."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kartoteka.contacts import tag_colors


class Status(models.TextChoices):
    """The keys of the seven statuses Kartoteka ships. Statuses are records (LeadStatus) that
    admins rename, add, reorder and delete; these keys only name the shipped ones."""

    NEW = "new", _("New")
    LEAD = "lead", _("Lead")
    QUALIFIED = "qualified", _("Qualified")
    OPPORTUNITY = "opportunity", _("Opportunity")
    WON = "won", _("Client")
    LOST = "lost", _("Lost")
    DISCARDED = "discarded", _("Discarded")


class StatusMeaning(models.TextChoices):
    OPEN = "open", _("In progress")
    WON = "won", _("Client (won)")
    LOST = "lost", _("Lost")
    DISCARDED = "discarded", _("Discarded")


class LeadStatus(models.Model):
    """A lead status a contact is in. Contacts keep the key (contacts_contact.status), so lists
    filter and sort without a join; the key never changes, the name does."""

    key = models.CharField(max_length=20, unique=True)
    # The admin's name; blank for a shipped status nobody renamed, which then shows `names`
    # in the reader's language.
    name = models.CharField(max_length=60, blank=True)
    names = models.JSONField(default=dict, blank=True)
    meaning = models.CharField(
        max_length=10, choices=StatusMeaning.choices, default=StatusMeaning.OPEN
    )
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.key


class StatusRules(models.Model):
    """How statuses follow other things; a single row (pk=1)."""

    # A deal moved to a won stage makes its contacts clients (the first status meaning won).
    deal_won_makes_client = models.BooleanField(default=True)

    @classmethod
    def load(cls) -> "StatusRules":
        return cls.objects.get_or_create(pk=1)[0]


class Source(models.TextChoices):
    MANUAL = "manual", _("Manual")
    FORM = "form", _("Form")
    LANDING_PAGE = "landing_page", _("Landing page")
    CHATBOT = "chatbot", _("Chatbot")
    AUTOMATION = "automation", _("Automation")
    PAYMENT = "payment", _("Payment")
    API = "api", _("API")
    IMPORT = "import", _("Import")
    INTEGRATION = "integration", _("Integration")


# Attribution columns, in the order the API's `attribution` object lists them.
ATTRIBUTION_FIELDS = (
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "gclid",
    "ads_campaign",
    "ads_group",
    "ads_keyword",
    "ads_network",
    "ads_device",
    "ads_id",
)


class Company(models.Model):
    name = models.CharField(max_length=255)
    name_folded = models.CharField(max_length=255, unique=True, editable=False)
    domain = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "companies"
        ordering = ["name"]
        # The contact list sorted by company walks companies in name order.
        indexes = [models.Index(fields=["name"], name="company_name")]

    def __str__(self) -> str:
        return self.name


class Contact(models.Model):
    # The primary e-mail and phone are copied here (kept by contacts.services) so that lists,
    # sorting and search never join the e-mail and phone tables.
    email = models.CharField(max_length=254, blank=True)
    phone = models.CharField(max_length=20, blank=True)
    first_name = models.CharField(max_length=255, blank=True)
    last_name = models.CharField(max_length=255, blank=True)
    company = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts"
    )
    job_title = models.CharField(max_length=255, blank=True)
    street = models.CharField(max_length=255, blank=True)
    city = models.CharField(max_length=255, blank=True)
    postal_code = models.CharField(max_length=32, blank=True)
    region = models.CharField(max_length=255, blank=True)
    country = models.CharField(max_length=2, blank=True)
    fax = models.CharField(max_length=20, blank=True)
    birthday = models.DateField(null=True, blank=True)
    score = models.IntegerField(default=0)
    # The key of a LeadStatus (contacts.statuses keeps them consistent).
    status = models.CharField(max_length=20, default=Status.NEW)
    won_at = models.DateTimeField(null=True, blank=True)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.MANUAL)

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

    created_ip = models.GenericIPAddressField(null=True, blank=True)
    created_url = models.CharField(max_length=2000, blank=True)

    # Custom details, keyed by PropertyDefinition.key, values already coerced to their type.
    properties = models.JSONField(default=dict, blank=True)
    # Lower-cased names, e-mails, phones and company, kept by the services for quick search.
    search_text = models.TextField(blank=True, editable=False)
    # Tracking honours this flag (privacy: "stop monitoring").
    is_monitored = models.BooleanField(default=True)
    # Bumped on every write so concurrent edits are detected instead of overwritten.
    version = models.PositiveIntegerField(default=1)

    created_at = models.DateTimeField(db_index=True)
    updated_at = models.DateTimeField()
    last_activity_at = models.DateTimeField(null=True, blank=True)

    owners = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="ContactOwner", related_name="owned_contacts"
    )
    tags = models.ManyToManyField("Tag", through="ContactTag", related_name="contacts")

    class Meta:
        indexes = [
            models.Index(fields=["status", "-won_at"], name="contact_status_won"),
            models.Index(fields=["country", "score"], name="contact_country_score"),
            models.Index(fields=["source", "created_at"], name="contact_source_created"),
            models.Index(fields=["last_activity_at"], name="contact_last_activity"),
            models.Index(fields=["last_name", "first_name"], name="contact_name"),
            models.Index(fields=["email"], name="contact_email"),
            models.Index(fields=["updated_at"], name="contact_updated"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def attribution(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in ATTRIBUTION_FIELDS}


class ContactEmail(models.Model):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="emails")
    email = models.CharField(max_length=254)
    # The identity key: unique across all contacts, so the database refuses a second owner.
    email_folded = models.CharField(max_length=254, unique=True)
    is_primary = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_primary", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["contact"], condition=Q(is_primary=True), name="one_primary_email"
            ),
        ]

    def __str__(self) -> str:
        return self.email


class ContactPhone(models.Model):
    # db_index=False: the (contact, number) constraint's index serves look-ups by contact.
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="phones", db_index=False
    )
    number = models.CharField(max_length=20, db_index=True)  # E.164
    is_primary = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_primary", "id"]
        constraints = [
            models.UniqueConstraint(fields=["contact", "number"], name="unique_contact_phone"),
            models.UniqueConstraint(
                fields=["contact"], condition=Q(is_primary=True), name="one_primary_phone"
            ),
        ]

    def __str__(self) -> str:
        return self.number


class MessengerHandle(models.Model):
    class Network(models.TextChoices):
        WHATSAPP = "whatsapp", "WhatsApp"
        TELEGRAM = "telegram", "Telegram"
        SIGNAL = "signal", "Signal"
        MESSENGER = "messenger", "Facebook Messenger"
        INSTAGRAM = "instagram", "Instagram"
        LINKEDIN = "linkedin", "LinkedIn"
        X = "x", "X (Twitter)"
        SKYPE = "skype", "Skype"
        VIBER = "viber", "Viber"
        OTHER = "other", _("Other")

    # db_index=False: the (contact, network, handle) constraint's index serves it.
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="messengers", db_index=False
    )
    network = models.CharField(max_length=20, choices=Network.choices)
    handle = models.CharField(max_length=255)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["contact", "network", "handle"], name="unique_messenger_handle"
            ),
        ]
        indexes = [models.Index(fields=["network", "handle"], name="messenger_network_handle")]


class ContactOwner(models.Model):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="ownerships")
    # db_index=False: the (user, contact) constraint's index serves look-ups by user.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="ownerships",
        db_index=False,
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "contact"], name="unique_contact_owner"),
        ]


class Tag(models.Model):
    name = models.CharField(max_length=100)
    name_folded = models.CharField(max_length=100, unique=True, editable=False)
    # One of tag_colors.PALETTE; a new tag's comes from its name (Tag.named).
    color = models.CharField(
        max_length=7, choices=tag_colors.choices(), default=tag_colors.COLORS[-1]
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def named(cls, name: str) -> "Tag":
        """A new tag of this name (unsaved), in the colour its name gives it."""
        return cls(name=name, name_folded=name.casefold(), color=tag_colors.color_for(name))


class TagOrigin(models.TextChoices):
    USER = "user", _("User")
    API = "api", _("API")
    IMPORT = "import", _("Import")
    FORM = "form", _("Form")
    RULE = "rule", _("Rule")
    MERGE = "merge", _("Merge")


class ContactTag(models.Model):
    """A tag on a contact, remembering who or what put it there and when."""

    # No single-column indexes: (contact, tag) and the (tag, contact) constraint serve both
    # directions, and every import writes a few of these rows per contact.
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="tag_links", db_index=False
    )
    tag = models.ForeignKey(
        Tag, on_delete=models.CASCADE, related_name="contact_links", db_index=False
    )
    added_at = models.DateTimeField(auto_now_add=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    origin = models.CharField(max_length=10, choices=TagOrigin.choices, default=TagOrigin.USER)
    # What exactly added it, e.g. "import #12" or the rule's name.
    origin_label = models.CharField(max_length=255, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tag", "contact"], name="unique_contact_tag"),
        ]
        indexes = [models.Index(fields=["contact", "tag"], name="contact_tag_by_contact")]


class PropertyType(models.TextChoices):
    TEXT = "text", _("Text")
    NUMBER = "number", _("Number")
    DECIMAL = "decimal", _("Decimal")
    DATE = "date", _("Date")
    BOOLEAN = "boolean", _("Yes / no")
    URL = "url", _("URL")
    DICTIONARY = "dictionary", _("One of a list")
    MULTI_CHOICE = "multi_choice", _("Several of a list")


class PropertyDefinition(models.Model):
    """A custom detail admins define; contact values live in Contact.properties[key]."""

    key = models.SlugField(max_length=64, unique=True)
    label = models.CharField(max_length=255)
    type = models.CharField(max_length=20, choices=PropertyType.choices)
    choices = models.JSONField(default=list, blank=True)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.label


class BulkChangeStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class BulkChange(models.Model):
    """One bulk action on every contact a list matched, too many to change in one request:
    applied by a background task in batches, from the contact after `last_pk` on."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    action = models.CharField(max_length=20)
    value = models.CharField(max_length=200, blank=True)
    # The list's parameters (contacts.listing.LIST_PARAMETERS) and whether it is the Clients view.
    params = models.JSONField(default=dict)
    clients = models.BooleanField(default=False)
    language = models.CharField(max_length=10, blank=True)
    # Contacts added after the change was asked for are left alone.
    up_to_pk = models.BigIntegerField(default=0)
    last_pk = models.BigIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    status = models.CharField(
        max_length=10, choices=BulkChangeStatus.choices, default=BulkChangeStatus.QUEUED
    )
    message = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-pk"]
