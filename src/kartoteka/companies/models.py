"""A company's own record beyond its name and domain (which contacts keep, as the contact's
company): its profile, custom detail definitions, people, timeline and merges."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Size(models.TextChoices):
    MICRO = "1-10", _("1–10 people")
    SMALL = "11-50", _("11–50 people")
    MEDIUM = "51-200", _("51–200 people")
    LARGE = "201-1000", _("201–1,000 people")
    HUGE = "1001+", _("More than 1,000 people")


class Profile(models.Model):
    """What a company is beyond its name and domain; one row per company that has any."""

    company = models.OneToOneField(
        "contacts.Company", on_delete=models.CASCADE, primary_key=True, related_name="profile"
    )
    industry = models.CharField(max_length=255, blank=True)
    size = models.CharField(max_length=20, choices=Size.choices, blank=True)
    phone = models.CharField(max_length=20, blank=True)
    street = models.CharField(max_length=255, blank=True)
    city = models.CharField(max_length=255, blank=True)
    postal_code = models.CharField(max_length=32, blank=True)
    country = models.CharField(max_length=2, blank=True)
    # Custom details, keyed by CompanyField.key, values typed like a contact's custom details.
    properties = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["industry"], name="company_industry")]


class CompanyField(models.Model):
    """A typed custom detail of companies (the same types as contacts' custom details)."""

    key = models.SlugField(max_length=64, unique=True)
    label = models.CharField(max_length=255)
    type = models.CharField(max_length=20)  # one of contacts.models.PropertyType
    choices = models.JSONField(default=list, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.label


class Membership(models.Model):
    """A contact working at a company, with a role and a job title there. The contact's primary
    company is the one its card names (contacts.Contact.company), so there is exactly one."""

    company = models.ForeignKey(
        "contacts.Company", on_delete=models.CASCADE, related_name="memberships"
    )
    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.CASCADE, related_name="company_memberships"
    )
    role = models.CharField(max_length=255, blank=True)
    job_title = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "contact"], name="one_membership_per_pair")
        ]
        indexes = [models.Index(fields=["contact"], name="membership_by_contact")]


class EntryKind(models.TextChoices):
    CREATED = "created", _("Company created")
    UPDATED = "updated", _("Company edited")
    PERSON_ADDED = "person_added", _("Person added")
    PERSON_REMOVED = "person_removed", _("Person removed")
    NOTE = "note", _("Note")
    MERGED = "merged", _("Companies merged")
    UNMERGED = "unmerged", _("Merge undone")


class Entry(models.Model):
    """The company's timeline: changes to the record, its people, notes and merges. A person
    is named by the link to their contact (never copied into the payload), so forgetting them
    leaves no trace here."""

    company = models.ForeignKey(
        "contacts.Company", on_delete=models.CASCADE, related_name="timeline"
    )
    kind = models.CharField(max_length=20, choices=EntryKind.choices)
    occurred_at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    contact = models.ForeignKey(
        "contacts.Contact",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="company_entries",
    )
    body = models.TextField(blank=True)  # a note's text
    payload = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["company", "-occurred_at"], name="company_timeline")]


class CompanyMerge(models.Model):
    """What one merge of two companies needs to be undone: the merged company as it was and
    what moved onto the survivor."""

    survivor = models.ForeignKey(
        "contacts.Company", on_delete=models.CASCADE, related_name="merges"
    )
    merged_company_id = models.BigIntegerField()
    snapshot = models.JSONField(default=dict)
    merged_at = models.DateTimeField()
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-merged_at", "-id"]
