"""The timeline (one append-only table of everything that happened to a contact) and the team's
own work around a contact: notes, comments with mentions, tasks, files and notifications."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Activity(models.Model):
    """One entry of a contact's timeline. Rows are only ever added (and erased by privacy tools).

    `kind` is free text: each app registers its kinds (label, description, whether they count
    as activity) in the timeline registry, activity/timeline.py, without a migration here.
    """

    # db_index=False: the timeline index (contact, occurred_at, id) serves look-ups by contact.
    contact = models.ForeignKey(
        "contacts.Contact",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="activities",
        db_index=False,
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
            # With the contact last, "who did K within D days" is answered from the index alone.
            models.Index(fields=["kind", "occurred_at", "contact"], name="activity_kind_time"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} on {self.contact_id} at {self.occurred_at:%Y-%m-%d %H:%M}"


class Note(models.Model):
    """A note the team keeps on a contact. `body` is Markdown; `body_html` its sanitised rendering,
    made once when the note is written so pages never render Markdown per view."""

    contact = models.ForeignKey("contacts.Contact", on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField()
    body_html = models.TextField()
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["contact", "-created_at"], name="note_by_contact")]

    def __str__(self) -> str:
        return self.body[:60]


class Comment(models.Model):
    """A comment in a contact's timeline; `mentions` are the team members it notified."""

    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.CASCADE, related_name="comments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField()
    body_html = models.TextField()
    mentions = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["contact", "-created_at"], name="comment_by_contact")]

    def __str__(self) -> str:
        return self.body[:60]


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class Task(models.Model):
    """Something a team member must do, for one or more contacts (or none)."""

    title = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    due_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Who created it when no user did, e.g. "rule: Welcome".
    created_by_label = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    assignees = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="TaskAssignee", related_name="tasks"
    )
    contacts = models.ManyToManyField(
        "contacts.Contact", through="TaskContact", related_name="tasks"
    )

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["status", "due_at"], name="task_status_due")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_closed(self) -> bool:
        return self.status in (TaskStatus.DONE, TaskStatus.CANCELLED)

    @property
    def is_overdue(self) -> bool:
        return not self.is_closed and self.due_at is not None and self.due_at < timezone.now()


class TaskAssignee(models.Model):
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="assignments")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="task_assignments"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "task"], name="unique_task_assignee"),
        ]


class TaskContact(models.Model):
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="contact_links")
    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.CASCADE, related_name="task_links"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["contact", "task"], name="unique_task_contact"),
        ]


class ContactFile(models.Model):
    """A file attached to a contact. The bytes live in the default storage under a generated
    name; `name` is the cleaned name the user uploaded it with.

    Removing a file from the contact keeps the bytes (`removed_at` set) so it can be put back;
    deleting it from storage erases the bytes and the row.
    """

    contact = models.ForeignKey("contacts.Contact", on_delete=models.CASCADE, related_name="files")
    file = models.FileField(max_length=255)
    name = models.CharField(max_length=255)
    size = models.BigIntegerField()
    content_type = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField()
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        indexes = [models.Index(fields=["contact", "-uploaded_at"], name="file_by_contact")]

    def __str__(self) -> str:
        return self.name


class NotificationKind(models.TextChoices):
    MENTION = "mention", _("Mention")
    TASK_ASSIGNED = "task_assigned", _("Task assigned")


class Notification(models.Model):
    """An in-app notice for one team member (a mention, a task given to them)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=255, blank=True)
    contact = models.ForeignKey(
        "contacts.Contact", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    comment = models.ForeignKey(
        Comment, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    task = models.ForeignKey(
        Task, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # What it is about, in a line: the start of the comment, the task's title. The sentence
    # around it ("Alba mentioned you on …") is put together, translated, when it is shown.
    text = models.CharField(max_length=300)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
            models.Index(fields=["recipient", "-created_at"], name="notification_by_recipient"),
        ]

    def __str__(self) -> str:
        return self.text
