"""Writes to the timeline and to the team's work on a contact.

The `record*` functions are typed timeline constructors, one per kind, so every app records
alike; callers run inside their own transaction and these only add rows. Below them, the services
for notes, comments with mentions, tasks, files and notifications: each validates, writes, records
its timeline entries and announces its domain event in one transaction.
"""

import hashlib
import re
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from kartoteka.accounts.models import User
from kartoteka.accounts.queries import users_by_username
from kartoteka.activity import kinds, timeline
from kartoteka.activity.filecheck import (
    HEAD_BYTES,
    content_type_for,
    executable_kind,
    safe_file_name,
)
from kartoteka.activity.markdown import mentioned_names, render_markdown
from kartoteka.activity.models import (
    Activity,
    Comment,
    ContactFile,
    Note,
    Notification,
    NotificationKind,
    Task,
    TaskAssignee,
    TaskContact,
    TaskStatus,
)
from kartoteka.activity.timeline import Entry, TimelineKind
from kartoteka.core import events, writeplan
from kartoteka.core.bulkwrite import insert_values
from kartoteka.core.errors import ErrorCollector, Forbidden, InvalidInput, NotFound
from kartoteka.core.normalise import clean_text
from kartoteka.core.relations import Mentions, forget_mentions_in
from kartoteka.core.scope import (
    SystemActor,
    can_see_contact,
    is_admin,
    is_system,
    system_label,
    user_or_none,
    visible_contacts,
)


def record_entry(entry: Entry) -> Activity:
    """Write one timeline entry (the row-by-row form), in the caller's transaction; an entry
    that counts as activity moves its contact's last-activity time forward."""
    written = Activity.objects.create(**entry._asdict())
    timeline.activity_recorded([entry])
    return written


# Entries from which record_many writes them with one statement (multi-row INSERT on SQLite,
# COPY on PostgreSQL) and has the data other apps derive from the timeline (core.writeplan's
# DerivedData, such as segments' recency ladder) rebuilt once for them instead of row by row.
BULK_FROM = 500


def record_many(
    entries: Sequence[Entry],
    *,
    insert: Callable[[list[str], Sequence[Entry]], Any] | None = None,
) -> None:
    """Write many timeline entries at once (the bulk form), in the caller's transaction, and
    move the last-activity time of their contacts in one statement.

    `insert(fields, rows)` is how a bulk loader that has suspended the timeline's derived data
    itself (core.writeplan.run_bulk) writes rows. Without it, BULK_FROM entries or more are
    written in bulk with the derived data suspended and rebuilt for them; fewer through the
    ORM.
    """
    if not entries:
        return
    fields = list(Entry._fields)
    if insert is not None:
        insert(fields, entries)
    elif len(entries) < BULK_FROM:
        Activity.objects.bulk_create((Activity(**e._asdict()) for e in entries), batch_size=1000)
    else:
        with writeplan.derived_suspended([Activity._meta.db_table]):
            insert_values(Activity, fields, entries)
    timeline.activity_recorded(entries)


# How write plans (core.writeplan) record their timeline entries, row by row and in bulk.
TIMELINE = writeplan.TimelineWriter(
    model=Activity, record_one=record_entry, record_many=record_many
)


def activity_entry(
    contact,
    kind: str | TimelineKind,
    *,
    actor=None,
    actor_label: str = "",
    payload: dict | None = None,
    detail=None,
    occurred_at: datetime | None = None,
) -> Entry:
    """An entry of any kind, for the kinds whose app has no typed constructor (yet) and for
    tests; apps record their own kinds through their typed constructors."""
    found = kind if isinstance(kind, TimelineKind) else timeline.get(kind)
    return found.entry(
        contact,
        actor=actor,
        actor_label=actor_label,
        payload=payload,
        detail=detail,
        occurred_at=occurred_at,
    )


def record(
    contact,
    kind: str | TimelineKind,
    *,
    actor=None,
    actor_label: str = "",
    payload: dict | None = None,
    detail=None,
    occurred_at: datetime | None = None,
) -> Activity:
    """Write one entry of any kind: record_entry(activity_entry(...))."""
    return record_entry(
        activity_entry(
            contact,
            kind,
            actor=actor,
            actor_label=actor_label,
            payload=payload,
            detail=detail,
            occurred_at=occurred_at,
        )
    )


# --------------------------------------------------------------------------------------------
# Shared helpers

MAX_BODY = 20_000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


def _clean_body(value: object, *, field: str = "body") -> str:
    """Multi-line text: newlines kept, control characters dropped, required, bounded."""
    if not isinstance(value, str):
        raise InvalidInput(field, _("Write some text."))
    text = _CONTROL.sub("", unicodedata.normalize("NFC", value)).replace("\r\n", "\n").strip()
    if not text:
        raise InvalidInput(field, _("Write some text."))
    if len(text) > MAX_BODY:
        raise InvalidInput(
            field,
            _("Must be at most %(max_body)s characters (got %(len_text)s).")
            % {"max_body": MAX_BODY, "len_text": len(text)},
        )
    return text


def _require_contact_access(actor: User | SystemActor, contact) -> None:
    """Services take a contact the caller already resolved; this re-checks the scope."""
    if not can_see_contact(actor, contact.pk):
        raise NotFound(_("No such contact."))


def _is_author_or_admin(actor: User | SystemActor, author_id: int | None) -> bool:
    return is_admin(actor) or actor.pk == author_id


def can_change_note(actor: User | SystemActor, note: Note) -> bool:
    return _is_author_or_admin(actor, note.author_id)


# --------------------------------------------------------------------------------------------
# Notes


@transaction.atomic
def add_note(actor: User | SystemActor, contact, *, body: object) -> Note:
    _require_contact_access(actor, contact)
    text = _clean_body(body)
    now = timezone.now()
    note = Note.objects.create(
        contact=contact,
        author=user_or_none(actor),
        body=text,
        body_html=render_markdown(text),
        created_at=now,
        updated_at=now,
    )
    record_entry(kinds.note_entry(kinds.NOTE_ADDED, note, actor=actor))
    events.publish("note.added", contact_id=contact.pk, note_id=note.pk)
    return note


@transaction.atomic
def edit_note(actor: User | SystemActor, note: Note, *, body: object) -> Note:
    _require_contact_access(actor, note.contact)
    if not can_change_note(actor, note):
        raise Forbidden(_("Only the note's author or an admin may edit it."))
    text = _clean_body(body)
    if text == note.body:
        return note
    note.body = text
    note.body_html = render_markdown(text)
    note.updated_at = timezone.now()
    note.save(update_fields=["body", "body_html", "updated_at"])
    record_entry(kinds.note_entry(kinds.NOTE_EDITED, note, actor=actor))
    events.publish("note.edited", contact_id=note.contact_id, note_id=note.pk)
    return note


@transaction.atomic
def delete_note(actor: User | SystemActor, note: Note) -> None:
    _require_contact_access(actor, note.contact)
    if not can_change_note(actor, note):
        raise Forbidden(_("Only the note's author or an admin may delete it."))
    record_entry(kinds.note_entry(kinds.NOTE_DELETED, note, actor=actor, kept=False))
    contact_id, note_id = note.contact_id, note.pk
    note.delete()
    events.publish("note.deleted", contact_id=contact_id, note_id=note_id)


# --------------------------------------------------------------------------------------------
# Comments and mentions


@transaction.atomic
def add_comment(actor: User | SystemActor, contact, *, body: object) -> Comment:
    """Add a comment; every @name of a team member who can see the contact is notified.

    Named team members who cannot see the contact are not told about it (that would leak it);
    they are listed in `comment.unreachable_mentions` so the author can be told.
    """
    _require_contact_access(actor, contact)
    text = _clean_body(body)
    named = users_by_username(mentioned_names(text))
    reachable = [user for user in named.values() if can_see_contact(user, contact.pk)]
    comment = Comment.objects.create(
        contact=contact,
        author=user_or_none(actor),
        body=text,
        body_html=render_markdown(text, mentions=[u.username for u in reachable]),
        created_at=timezone.now(),
    )
    comment.mentions.set(reachable)
    record_entry(
        kinds.comment_entry(comment, actor=actor, mentions=sorted(u.username for u in reachable))
    )
    for user in reachable:
        if user != actor:
            _notify(
                user,
                NotificationKind.MENTION,
                actor=actor,
                contact=contact,
                comment=comment,
                text=kinds.summary(text),
            )
    comment.unreachable_mentions = sorted(u.username for u in named.values() if u not in reachable)
    events.publish(
        "comment.added",
        contact_id=contact.pk,
        comment_id=comment.pk,
        mentions=[u.pk for u in reachable],
    )
    return comment


# --------------------------------------------------------------------------------------------
# Notifications


def _notify(
    recipient: User,
    kind: str,
    *,
    actor: User | SystemActor,
    text: str,
    actor_label: str = "",
    contact=None,
    comment: Comment | None = None,
    task: Task | None = None,
) -> Notification:
    notification = Notification.objects.create(
        recipient=recipient,
        kind=kind,
        actor=user_or_none(actor),
        actor_label=actor_label,
        contact=contact,
        comment=comment,
        task=task,
        text=text[:300],
        created_at=timezone.now(),
    )
    events.publish("notification.created", notification_id=notification.pk, user_id=recipient.pk)
    return notification


@transaction.atomic
def mark_notification_read(actor: User, notification_id: int) -> Notification:
    notification = Notification.objects.filter(pk=notification_id, recipient=actor).first()
    if notification is None:
        raise NotFound(_("No such notification."))
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


@transaction.atomic
def mark_all_notifications_read(actor: User) -> int:
    return Notification.objects.filter(recipient=actor, read_at__isnull=True).update(
        read_at=timezone.now()
    )


# --------------------------------------------------------------------------------------------
# Tasks

TASK_FIELDS = {"title", "description", "status", "due_at", "assignees", "contacts"}


def _visible_to(actor: User | SystemActor):
    """Contacts the actor may link; the system (rules, CLI) may link any."""
    return visible_contacts(actor)


def _clean_task(
    actor: User | SystemActor, data: dict[str, Any], *, partial: bool
) -> dict[str, Any]:
    """Validate every given field at once; return clean values (users and contacts resolved)."""
    errors = ErrorCollector()
    for key in sorted(set(data) - TASK_FIELDS):
        errors.add(
            key,
            _("Unknown field; allowed: %(fields)s.") % {"fields": ", ".join(sorted(TASK_FIELDS))},
        )
    cleaned: dict[str, Any] = {}
    if "title" in data or not partial:
        try:
            cleaned["title"] = clean_text(data.get("title"), field="title")
            if not cleaned["title"]:
                errors.add("title", _("Give the task a title."))
        except InvalidInput as exc:
            errors.capture(exc)
    if "description" in data:
        description = data["description"] or ""
        if not isinstance(description, str):
            errors.add("description", _("Must be text."))
        elif len(description) > MAX_BODY:
            errors.add(
                "description",
                _("Must be at most %(max_body)s characters.") % {"max_body": MAX_BODY},
            )
        else:
            cleaned["description"] = _CONTROL.sub("", description).strip()
    if "status" in data:
        if data["status"] not in TaskStatus.values:
            errors.add(
                "status",
                _("Status must be one of: %(values)s.") % {"values": ", ".join(TaskStatus.values)},
            )
        else:
            cleaned["status"] = data["status"]
    if "due_at" in data:
        due_at = data["due_at"]
        if due_at is not None and not isinstance(due_at, datetime):
            errors.add("due_at", _("Give a date and time, e.g. 2026-05-04T16:30."))
        elif due_at is not None and timezone.is_naive(due_at):
            due_at = timezone.make_aware(due_at)
        cleaned["due_at"] = due_at
    if "assignees" in data:
        cleaned["assignees"] = _clean_assignees(data["assignees"], errors)
    if "contacts" in data:
        cleaned["contacts"] = _clean_task_contacts(actor, data["contacts"], errors)
    errors.raise_if_any()
    return cleaned


def _clean_assignees(value: object, errors: ErrorCollector) -> list[User]:
    if not isinstance(value, (list, tuple)):
        errors.add("assignees", _("Give a list of usernames."))
        return []
    names = [v.username if isinstance(v, User) else str(v).strip() for v in value]
    found = users_by_username([n for n in names if n])
    users: list[User] = []
    for name in names:
        user = found.get(name.casefold())
        if user is None:
            errors.add(
                "assignees", _("No active team member is called %(name)s.") % {"name": repr(name)}
            )
        elif user not in users:
            users.append(user)
    return users


def _clean_task_contacts(actor: User | SystemActor, value: object, errors: ErrorCollector) -> list:
    if not isinstance(value, (list, tuple)):
        errors.add("contacts", _("Give a list of contact ids."))
        return []
    ids: list[int] = []
    for item in value:
        contact_id = getattr(item, "pk", item)
        if isinstance(contact_id, bool) or not isinstance(contact_id, int):
            errors.add(
                "contacts",
                _("Not a contact id: %(contact_id)s.") % {"contact_id": repr(contact_id)},
            )
        elif contact_id not in ids:
            ids.append(contact_id)
    by_id = {c.pk: c for c in _visible_to(actor).filter(pk__in=ids)}
    for contact_id in ids:
        if contact_id not in by_id:
            # The same message whether it does not exist or is out of the actor's scope.
            errors.add(
                "contacts", _("No such contact: %(contact_id)s.") % {"contact_id": contact_id}
            )
    return [by_id[i] for i in ids if i in by_id]


def _record_on_contacts(
    task: Task,
    kind: TimelineKind,
    contacts: Iterable,
    *,
    actor: User | SystemActor,
    actor_label: str,
    **extra,
) -> None:
    for contact in contacts:
        record_entry(
            kinds.task_entry(kind, task, contact, actor=actor, actor_label=actor_label, **extra)
        )


def _notify_assigned(
    task: Task, users: Iterable[User], *, actor: User | SystemActor, actor_label: str
) -> None:
    for user in users:
        if user == actor:
            continue
        contact = visible_contacts(user).filter(task_links__task=task).first()
        _notify(
            user,
            NotificationKind.TASK_ASSIGNED,
            actor=actor,
            actor_label=actor_label,
            contact=contact,
            task=task,
            text=task.title,
        )


def can_change_task(actor: User | SystemActor, task: Task) -> bool:
    """Admins, the system, the task's creator and assignees, and whoever sees a linked contact."""
    if is_admin(actor) or task.created_by_id == actor.pk:
        return True
    if task.assignments.filter(user=actor).exists():
        return True
    return visible_contacts(actor).filter(task_links__task=task).exists()


@transaction.atomic
def create_task(actor: User | SystemActor, *, data: dict[str, Any], actor_label: str = "") -> Task:
    """Create a task from {title, description?, status?, due_at?, assignees?, contacts?}.

    Without assignees the task goes to its creator. `actor` SYSTEM is the system (e.g. a rule,
    named by `actor_label`).
    """
    cleaned = _clean_task(actor, data, partial=False)
    assignees = cleaned.get("assignees") or ([] if is_system(actor) else [actor])
    now = timezone.now()
    status = cleaned.get("status", TaskStatus.OPEN)
    task = Task.objects.create(
        title=cleaned["title"],
        description=cleaned.get("description", ""),
        status=status,
        due_at=cleaned.get("due_at"),
        created_by=user_or_none(actor),
        created_by_label=(actor_label or system_label(actor)) if is_system(actor) else "",
        created_at=now,
        updated_at=now,
        completed_at=now if status == TaskStatus.DONE else None,
    )
    TaskAssignee.objects.bulk_create(TaskAssignee(task=task, user=u) for u in assignees)
    contacts = cleaned.get("contacts", [])
    TaskContact.objects.bulk_create(TaskContact(task=task, contact=c) for c in contacts)
    _record_on_contacts(
        task,
        kinds.TASK_CREATED,
        contacts,
        actor=actor,
        actor_label=actor_label,
        assignees=[u.username for u in assignees],
        due_at=task.due_at.isoformat() if task.due_at else None,
    )
    _notify_assigned(task, assignees, actor=actor, actor_label=actor_label)
    events.publish("task.created", task_id=task.pk, contact_ids=[c.pk for c in contacts])
    return task


@transaction.atomic
def update_task(
    actor: User | SystemActor, task: Task, *, data: dict[str, Any], actor_label: str = ""
) -> Task:
    """Change any of title, description, status, due_at, assignees (a full new list), contacts
    (a full new list). Completion, other status changes and reassignment land on the timeline of
    every linked contact."""
    if not can_change_task(actor, task):
        raise NotFound(_("No such task."))
    cleaned = _clean_task(actor, data, partial=True)
    if "assignees" in cleaned and not cleaned["assignees"]:
        raise InvalidInput("assignees", _("A task needs at least one assignee."))
    task = Task.objects.select_for_update().get(pk=task.pk)
    old_status = task.status
    for name in ("title", "description", "due_at"):
        if name in cleaned:
            setattr(task, name, cleaned[name])
    if "status" in cleaned and cleaned["status"] != old_status:
        task.status = cleaned["status"]
        task.completed_at = timezone.now() if task.status == TaskStatus.DONE else None
    task.updated_at = timezone.now()
    task.save()
    if "contacts" in cleaned:
        _replace_task_contacts(actor, task, cleaned["contacts"], actor_label=actor_label)
    linked = list(task.contacts.all())
    if task.status != old_status:
        kind = kinds.TASK_COMPLETED if task.status == TaskStatus.DONE else kinds.TASK_STATUS_CHANGED
        _record_on_contacts(
            task, kind, linked, actor=actor, actor_label=actor_label, old_status=old_status
        )
        events.publish(
            "task.completed" if task.status == TaskStatus.DONE else "task.status_changed",
            task_id=task.pk,
            old=old_status,
            new=task.status,
        )
    if "assignees" in cleaned:
        _reassign(actor, task, cleaned["assignees"], linked, actor_label=actor_label)
    return task


def _reassign(
    actor: User | SystemActor, task: Task, users: list[User], linked: list, *, actor_label: str
) -> None:
    old = list(task.assignees.order_by("username"))
    if {u.pk for u in old} == {u.pk for u in users}:
        return
    task.assignments.exclude(user__in=users).delete()
    TaskAssignee.objects.bulk_create(TaskAssignee(task=task, user=u) for u in users if u not in old)
    _record_on_contacts(
        task,
        kinds.TASK_REASSIGNED,
        linked,
        actor=actor,
        actor_label=actor_label,
        old=[u.username for u in old],
        new=sorted(u.username for u in users),
        # Usernames read the same in every language, so the summary can carry the change.
        summary=f"{task.title} ({', '.join(u.username for u in old)} → "
        f"{', '.join(sorted(u.username for u in users))})",
    )
    _notify_assigned(task, [u for u in users if u not in old], actor=actor, actor_label=actor_label)
    events.publish("task.reassigned", task_id=task.pk, assignee_ids=[u.pk for u in users])


def _replace_task_contacts(
    actor: User | SystemActor, task: Task, contacts: list, *, actor_label: str
):
    """Set the linked contacts; links to contacts the actor cannot see are left untouched."""
    current = {c.pk: c for c in _visible_to(actor).filter(task_links__task=task)}
    wanted = {c.pk: c for c in contacts}
    for contact_id, contact in wanted.items():
        if contact_id not in current:
            TaskContact.objects.create(task=task, contact=contact)
            _record_on_contacts(
                task, kinds.TASK_LINKED, [contact], actor=actor, actor_label=actor_label
            )
    for contact_id, contact in current.items():
        if contact_id not in wanted:
            TaskContact.objects.filter(task=task, contact=contact).delete()
            _record_on_contacts(
                task, kinds.TASK_UNLINKED, [contact], actor=actor, actor_label=actor_label
            )


@transaction.atomic
def link_task_contact(
    actor: User | SystemActor, task: Task, contact, *, actor_label: str = ""
) -> Task:
    if not can_change_task(actor, task):
        raise NotFound(_("No such task."))
    _require_contact_access(actor, contact)
    if not TaskContact.objects.filter(task=task, contact=contact).exists():
        TaskContact.objects.create(task=task, contact=contact)
        _record_on_contacts(
            task, kinds.TASK_LINKED, [contact], actor=actor, actor_label=actor_label
        )
        events.publish("task.linked", task_id=task.pk, contact_id=contact.pk)
    return task


@transaction.atomic
def unlink_task_contact(
    actor: User | SystemActor, task: Task, contact, *, actor_label: str = ""
) -> Task:
    if not can_change_task(actor, task):
        raise NotFound(_("No such task."))
    _require_contact_access(actor, contact)
    if TaskContact.objects.filter(task=task, contact=contact).delete()[0]:
        _record_on_contacts(
            task, kinds.TASK_UNLINKED, [contact], actor=actor, actor_label=actor_label
        )
        events.publish("task.unlinked", task_id=task.pk, contact_id=contact.pk)
    return task


# --------------------------------------------------------------------------------------------
# Files


def max_upload_bytes() -> int:
    return settings.KARTOTEKA_MAX_UPLOAD_BYTES


def too_large_message(size: int | None = None) -> str:
    limit = filesizeformat(max_upload_bytes())
    if size is None:
        return _("The file is larger than the limit of %(limit)s.") % {"limit": limit}
    return _("The file is %(size)s; the limit is %(limit)s.") % {
        "size": filesizeformat(size),
        "limit": limit,
    }


def check_upload(upload: File, name: str) -> tuple[str, str]:
    """Refuse empty, too large and executable files; return (sha256, content type). Shared by
    every upload of a document (a contact's file, a public file)."""
    size = upload.size
    if not size:
        raise InvalidInput("file", _("The file is empty."))
    if size > max_upload_bytes():
        raise InvalidInput("file", too_large_message(size))
    upload.seek(0)
    head = upload.read(HEAD_BYTES)
    kind = executable_kind(head, name)
    if kind:
        raise InvalidInput(
            "file",
            _("%(name)s is %(kind)s; programs and scripts cannot be attached to a contact.")
            % {"name": name, "kind": kind},
        )
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest(), content_type_for(name)


def upload_file(
    actor: User | SystemActor, contact, *, upload: File, name: str | None = None
) -> ContactFile:
    """Store `upload` (any Django File: an upload streamed to disk, an open file…) on the contact.

    The bytes go to storage under a generated name first; the row and the timeline entry follow
    in one transaction, and the stored bytes are removed again if that transaction fails.
    """
    _require_contact_access(actor, contact)
    clean_name = safe_file_name(name or upload.name or "")
    sha256, content_type = check_upload(upload, clean_name)
    stored = default_storage.save(f"contacts/{contact.pk}/{uuid.uuid4().hex}", upload)
    try:
        with transaction.atomic():
            attached = ContactFile.objects.create(
                contact=contact,
                file=stored,
                name=clean_name,
                size=upload.size,
                content_type=content_type,
                sha256=sha256,
                uploaded_by=user_or_none(actor),
                uploaded_at=timezone.now(),
            )
            _record_file(kinds.FILE_UPLOADED, attached, actor=actor, event="file.uploaded")
    except BaseException:
        default_storage.delete(stored)
        raise
    return attached


def _record_file(
    kind: TimelineKind, attached: ContactFile, *, actor: User | SystemActor, event: str
) -> Activity:
    """The timeline entry and the domain event of something done to a file."""
    entry = record_entry(kinds.file_entry(kind, attached, actor=actor))
    events.publish(event, contact_id=attached.contact_id, file_id=attached.pk)
    return entry


@transaction.atomic
def record_file_downloaded(actor: User | SystemActor, attached: ContactFile) -> Activity:
    """Downloads land on the timeline so the team knows who took a copy."""
    _require_contact_access(actor, attached.contact)
    return _record_file(kinds.FILE_DOWNLOADED, attached, actor=actor, event="file.downloaded")


@transaction.atomic
def remove_file(actor: User | SystemActor, attached: ContactFile) -> ContactFile:
    """Take the file off the contact's list; its bytes stay in storage so it can be restored."""
    _require_contact_access(actor, attached.contact)
    if attached.removed_at is None:
        attached.removed_at = timezone.now()
        attached.removed_by = actor
        attached.save(update_fields=["removed_at", "removed_by"])
        _record_file(kinds.FILE_REMOVED, attached, actor=actor, event="file.removed")
    return attached


@transaction.atomic
def restore_file(actor: User | SystemActor, attached: ContactFile) -> ContactFile:
    _require_contact_access(actor, attached.contact)
    if attached.removed_at is not None:
        attached.removed_at = None
        attached.removed_by = None
        attached.save(update_fields=["removed_at", "removed_by"])
        _record_file(kinds.FILE_RESTORED, attached, actor=actor, event="file.restored")
    return attached


def can_delete_file(actor: User | SystemActor, attached: ContactFile) -> bool:
    return _is_author_or_admin(actor, attached.uploaded_by_id)


@transaction.atomic
def delete_file(actor: User | SystemActor, attached: ContactFile) -> None:
    """Erase the file from storage for good. Only its uploader or an admin may do this."""
    _require_contact_access(actor, attached.contact)
    if not can_delete_file(actor, attached):
        raise Forbidden(_("Only the person who uploaded the file or an admin may delete it."))
    _record_file(kinds.FILE_DELETED, attached, actor=actor, event="file.deleted")
    stored = attached.file.name
    attached.delete()
    # The bytes go only once the row is gone for sure.
    transaction.on_commit(lambda: default_storage.delete(stored))


def erase_stored_files(*, contact_id: int, **_event: Any) -> None:
    """Subscriber of "contact.deleted": the rows went with the contact, the bytes go now.

    Files stay where they were stored when a merge moves them to another contact, so only the
    bytes no row refers to any more are erased.
    """
    folder = f"contacts/{contact_id}"
    try:
        _dirs, names = default_storage.listdir(folder)
    except FileNotFoundError:
        return
    paths = {f"{folder}/{name}" for name in names}
    still_used = set(ContactFile.objects.filter(file__in=paths).values_list("file", flat=True))
    for path in paths - still_used:
        default_storage.delete(path)


# --------------------------------------------------------------------------------------------
# Forget: a forgotten person taken out of the texts of this app that quote them without
# pointing at them (a note on a colleague's card, a task's title, a timeline summary).
# privacy.services.forget_contact calls this; activity.relations declares the columns.


def forget_mentions(mentions: Mentions) -> int:
    """Replace every quote of the person (a privacy.mentions.Mentions) in this app's tables;
    returns the rows changed. Note and comment bodies are rendered again from the new text."""
    return (
        forget_mentions_in(Activity, mentions)
        + forget_mentions_in(Note, mentions, rendered=_note_html)
        + forget_mentions_in(Comment, mentions, rendered=_comment_html)
        + forget_mentions_in(Task, mentions)
        + forget_mentions_in(Notification, mentions)
    )


def _note_html(note: Note) -> dict[str, str]:
    return {"body_html": render_markdown(note.body)}


def _comment_html(comment: Comment) -> dict[str, str]:
    names = [user.username for user in comment.mentions.all()]
    return {"body_html": render_markdown(comment.body, mentions=names)}


def erase_entries_of(detail_type: str, detail_ids: Sequence[int]) -> int:
    """Take out the timeline entries pointing at detail rows their owner takes back (the events
    of a reverted import); returns how many. Last activity stays where it was moved."""
    erased = 0
    ids = sorted(set(detail_ids))
    for start in range(0, len(ids), 900):
        erased += Activity.objects.filter(
            detail_type=detail_type, detail_id__in=ids[start : start + 900]
        ).delete()[0]
    return erased
