"""Reads of the timeline and of the team's work on contacts, always through the actor's scope."""

from datetime import datetime, timedelta

from django.db.models import F, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kartoteka.accounts.models import User
from kartoteka.activity.models import (
    Activity,
    Comment,
    ContactFile,
    Note,
    Notification,
    Task,
    TaskStatus,
)
from kartoteka.core.errors import NotFound
from kartoteka.core.scope import is_admin, is_system, visible_contacts


def timeline(actor, contact_id: int, *, kinds: list[str] | None = None) -> QuerySet[Activity]:
    """A contact's timeline, newest first; empty when the actor may not see the contact."""
    entries = Activity.objects.filter(
        contact_id=contact_id, contact__in=visible_contacts(actor).filter(pk=contact_id)
    ).select_related("actor")
    if kinds:
        # A kind no entry can have (too long, a NUL byte PostgreSQL refuses) matches nothing.
        entries = entries.filter(kind__in=[k for k in kinds if len(k) <= 40 and "\x00" not in k])
    return entries.order_by("-occurred_at", "-id")


MAX_ID = 2**63 - 1


def timeline_page(
    actor,
    contact_id: int,
    *,
    after: tuple[datetime, int] | None = None,
    limit: int,
    kinds: list[str] | None = None,
) -> tuple[list[Activity], tuple[datetime, int] | None]:
    """One page of a contact's timeline, newest first, after the entry (occurred_at, id); and
    the (occurred_at, id) to ask for the next page with, None after the last. The API and the
    card's "load more" both page through this."""
    entries = timeline(actor, contact_id, kinds=kinds)
    if after is not None:
        when, entry_id = after
        entry_id = min(max(entry_id, 0), MAX_ID)  # a cursor's id never overflows a query
        # "At or before the time" bounds the index range; the exclusion drops the entries at
        # that very time already shown.
        entries = entries.filter(occurred_at__lte=when).exclude(occurred_at=when, id__gte=entry_id)
    items = list(entries[: limit + 1])
    last = items[limit - 1] if len(items) > limit else None
    return items[:limit], (last.occurred_at, last.pk) if last else None


def kinds_on_timeline(actor, contact_id: int) -> list[str]:
    """The kinds of entry a contact's timeline holds, for its "show only" choice."""
    return list(
        timeline(actor, contact_id).values_list("kind", flat=True).order_by("kind").distinct()
    )


# --------------------------------------------------------------------------------------------
# The team's work on a contact. Every read resolves the contact through the actor's scope first.


def notes_of(actor, contact_id: int) -> QuerySet[Note]:
    return Note.objects.filter(contact__in=_one_visible(actor, contact_id)).select_related("author")


def get_note(actor, contact_id: int, note_id: int) -> Note:
    note = notes_of(actor, contact_id).select_related("contact").filter(pk=note_id).first()
    if note is None:
        raise NotFound(_("No such note."))
    return note


def comments_of(actor, contact_id: int) -> QuerySet[Comment]:
    return (
        Comment.objects.filter(contact__in=_one_visible(actor, contact_id))
        .select_related("author")
        .prefetch_related("mentions")
    )


def files_of(actor, contact_id: int, *, removed: bool = False) -> QuerySet[ContactFile]:
    """The contact's files, or (with `removed`) the ones taken off it but still stored."""
    return ContactFile.objects.filter(
        contact__in=_one_visible(actor, contact_id), removed_at__isnull=not removed
    ).select_related("uploaded_by")


def get_file(actor, contact_id: int, file_id: int) -> ContactFile:
    """A file of a contact the actor may see, removed ones included; NotFound otherwise."""
    found = (
        ContactFile.objects.filter(contact__in=_one_visible(actor, contact_id), pk=file_id)
        .select_related("contact", "uploaded_by")
        .first()
    )
    if found is None:
        raise NotFound(_("No such file."))
    return found


def get_contact(actor, contact_id: int):
    """The contact whose notes, comments, files or tasks are read or written, if the actor may
    see it; NotFound otherwise (never "forbidden")."""
    contact = _one_visible(actor, contact_id).first()
    if contact is None:
        raise NotFound(_("No such contact."))
    return contact


def _one_visible(actor, contact_id: int) -> QuerySet:
    return visible_contacts(actor).filter(pk=contact_id)


def visible_tasks(actor) -> QuerySet[Task]:
    """Tasks the actor may see: all for admins; for sales users the ones they made, were given,
    or that are linked to a contact they see."""
    if is_admin(actor):
        return Task.objects.all()
    if not actor.is_authenticated:
        return Task.objects.none()
    # A subquery of ids keeps the join from multiplying rows.
    ids = Task.objects.filter(
        Q(created_by=actor)
        | Q(assignments__user=actor)
        | Q(contact_links__contact__in=visible_contacts(actor))
    ).values("pk")
    return Task.objects.filter(pk__in=ids)


def with_task_data(tasks: QuerySet[Task], actor) -> QuerySet[Task]:
    """Prefetch assignees and the linked contacts the actor may see (as `visible_contacts`)."""
    return tasks.select_related("created_by").prefetch_related(
        Prefetch("assignees", queryset=User.objects.order_by("username")),
        Prefetch(
            "contacts",
            queryset=visible_contacts(actor).order_by("last_name", "first_name", "pk"),
            to_attr="visible_contacts",
        ),
    )


def get_task(actor, task_id: int) -> Task:
    task = with_task_data(visible_tasks(actor), actor).filter(pk=task_id).first()
    if task is None:
        raise NotFound(_("No such task."))
    return task


def find_tasks(
    actor,
    *,
    assignee: User | None = None,
    contact_id: int | None = None,
    statuses: list[str] | None = None,
    due_before: datetime | None = None,
) -> QuerySet[Task]:
    """Tasks for lists: by assignee, by linked contact, by status; soonest due first, undated
    last."""
    tasks = visible_tasks(actor)
    if assignee is not None:
        tasks = tasks.filter(assignments__user=assignee)
    if contact_id is not None:
        tasks = tasks.filter(contact_links__contact__in=_one_visible(actor, contact_id))
    if statuses:
        tasks = tasks.filter(status__in=statuses)
    if due_before is not None:
        tasks = tasks.filter(due_at__lt=due_before)
    return with_task_data(tasks, actor).order_by(F("due_at").asc(nulls_last=True), "pk")


OPEN_STATUSES = [TaskStatus.OPEN, TaskStatus.IN_PROGRESS]


def my_tasks(actor, *, now: datetime | None = None) -> dict[str, list[Task]]:
    """The actor's unfinished tasks split into overdue, due today and upcoming (incl. undated)."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    end_of_today = local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    groups: dict[str, list[Task]] = {"overdue": [], "today": [], "upcoming": []}
    for task in find_tasks(actor, assignee=actor, statuses=OPEN_STATUSES):
        if task.due_at is not None and task.due_at < now:
            groups["overdue"].append(task)
        elif task.due_at is not None and task.due_at < end_of_today:
            groups["today"].append(task)
        else:
            groups["upcoming"].append(task)
    return groups


# --------------------------------------------------------------------------------------------
# Notifications


def notifications_for(actor, *, unread_only: bool = False) -> QuerySet[Notification]:
    """The actor's notifications, newest first, leaving out contacts they no longer see."""
    if is_system(actor) or not actor.is_authenticated:
        return Notification.objects.none()
    notes = Notification.objects.filter(recipient=actor).filter(
        Q(contact__isnull=True) | Q(contact__in=visible_contacts(actor))
    )
    if unread_only:
        notes = notes.filter(read_at__isnull=True)
    return notes.select_related("actor", "contact").order_by("-created_at", "-id")


def unread_count(actor) -> int:
    return notifications_for(actor, unread_only=True).count()
