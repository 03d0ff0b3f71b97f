"""Members: contacts who sign in to the members' area with an e-mail and a password, their
groups (e.g. "Course A"), their sessions (the area's and the API's) and the settings of the
area. A member is a contact: the name, addresses and consents stay on the contact."""

from django.db import models


class Member(models.Model):
    """The membership of one contact (one row per contact at most)."""

    contact = models.ForeignKey("contacts.Contact", on_delete=models.CASCADE, related_name="+")
    enabled = models.BooleanField(default=True)
    member_since = models.DateTimeField()
    last_sign_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["contact"], name="one_member_per_contact"),
        ]


class Credential(models.Model):
    """A member's password, hashed with Django's hashers. Kept apart from the membership so the
    contact's data export (which lists the membership) never holds the hash; erased with it."""

    member = models.OneToOneField(Member, on_delete=models.CASCADE, related_name="credential")
    password = models.CharField(max_length=256)
    changed_at = models.DateTimeField()


class MemberGroup(models.Model):
    """A group of members (e.g. "Course A") that a website grants restricted content to."""

    name = models.CharField(max_length=120, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class GroupMembership(models.Model):
    """A contact in a member group."""

    contact = models.ForeignKey("contacts.Contact", on_delete=models.CASCADE, related_name="+")
    group = models.ForeignKey(MemberGroup, on_delete=models.CASCADE, related_name="memberships")
    added_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["contact", "group"], name="one_member_group_per_contact"
            ),
        ]
        indexes = [models.Index(fields=["group", "contact"], name="member_group_contact")]


class MemberToken(models.Model):
    """A session token a website got for a member (POST /api/v1/members/sessions); only its
    SHA-256 digest is stored. Expires."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="tokens")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()


class MembersSettings(models.Model):
    """The area's settings, one row: which lists' forms register members, and whether a member
    may be forgotten at once (after confirming by e-mail) instead of asking an admin."""

    self_forget = models.BooleanField(default=False)
    registering_lists = models.ManyToManyField("mailing.MailingList", blank=True, related_name="+")
