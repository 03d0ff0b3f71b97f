"""The timeline kinds of the team's work on a contact (notes, comments, tasks, files) and their
typed constructors; registered from ActivityConfig.ready()."""

from typing import Any

from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from kartoteka.activity.markdown import render_markdown
from kartoteka.activity.models import Comment, ContactFile, Note, Task, TaskStatus
from kartoteka.activity.timeline import (
    Change,
    Context,
    Description,
    Entry,
    TimelineKind,
    sanitised,
    summary_text,
)

SUMMARY_LENGTH = 140
# A note's first lines, rendered, are what its timeline entry shows.
EXCERPT_LENGTH = 600


def summary(text: str) -> str:
    """One short line for the timeline and notifications."""
    line = " ".join(text.split())
    return line if len(line) <= SUMMARY_LENGTH else line[: SUMMARY_LENGTH - 1] + "…"


def _excerpt(text: str) -> str:
    """The start of a note, whole lines kept so its Markdown still reads as Markdown."""
    if len(text) <= EXCERPT_LENGTH:
        return text
    cut = text.rfind("\n", 0, EXCERPT_LENGTH)
    return text[: cut if cut > 0 else EXCERPT_LENGTH].rstrip() + " …"


def _rich_text(payload: dict, _context: Context) -> Description:
    """A note's or comment's entry: its rendered Markdown (sanitised again), else its summary
    rendered (entries recorded before the timeline kept the rendering)."""
    html = payload.get("html")
    if isinstance(html, str) and html:
        return Description(html=sanitised(html))
    text = str(payload.get("summary") or "")
    return Description(html=render_markdown(text)) if text else Description()


def _file(payload: dict, context: Context) -> Description:
    """The file's name and size, the size in the reader's units."""
    if isinstance(payload.get("size"), int) and payload.get("name"):
        return Description(text=f"{payload['name']} ({filesizeformat(payload['size'])})")
    return summary_text(payload, context)


def _task_status(payload: dict, _context: Context) -> Description:
    statuses = dict(TaskStatus.choices)
    old, new = payload.get("old_status"), payload.get("status")
    changes = [Change("", str(statuses.get(old, old or "—")), str(statuses.get(new, new or "—")))]
    return Description(text=str(payload.get("summary") or ""), changes=changes)


NOTE_ADDED = TimelineKind("note_added", _("Note added"), icon="✎", describe=_rich_text)
NOTE_EDITED = TimelineKind("note_edited", _("Note edited"), icon="✎", describe=_rich_text)
NOTE_DELETED = TimelineKind("note_deleted", _("Note deleted"), icon="✎", counts_as_activity=False)
COMMENT_ADDED = TimelineKind("comment_added", _("Comment"), icon="❝", describe=_rich_text)
TASK_CREATED = TimelineKind("task_created", _("Task created"), icon="☐")
TASK_COMPLETED = TimelineKind("task_completed", _("Task completed"), icon="☑")
TASK_STATUS_CHANGED = TimelineKind(
    "task_status_changed", _("Task status changed"), icon="☐", describe=_task_status
)
TASK_REASSIGNED = TimelineKind("task_reassigned", _("Task reassigned"), icon="☐")
TASK_LINKED = TimelineKind("task_linked", _("Task linked"), icon="☐")
TASK_UNLINKED = TimelineKind(
    "task_unlinked", _("Task unlinked"), icon="☐", counts_as_activity=False
)
FILE_UPLOADED = TimelineKind("file_uploaded", _("File uploaded"), icon="▤", describe=_file)
FILE_DOWNLOADED = TimelineKind(
    "file_downloaded", _("File downloaded"), icon="▤", describe=_file, counts_as_activity=False
)
FILE_REMOVED = TimelineKind(
    "file_removed", _("File removed"), icon="▤", describe=_file, counts_as_activity=False
)
FILE_RESTORED = TimelineKind(
    "file_restored", _("File restored"), icon="▤", describe=_file, counts_as_activity=False
)
FILE_DELETED = TimelineKind(
    "file_deleted",
    _("File deleted from storage"),
    icon="▤",
    describe=_file,
    counts_as_activity=False,
)

KINDS = [
    NOTE_ADDED,
    NOTE_EDITED,
    NOTE_DELETED,
    COMMENT_ADDED,
    TASK_CREATED,
    TASK_COMPLETED,
    TASK_STATUS_CHANGED,
    TASK_REASSIGNED,
    TASK_LINKED,
    TASK_UNLINKED,
    FILE_UPLOADED,
    FILE_DOWNLOADED,
    FILE_REMOVED,
    FILE_RESTORED,
    FILE_DELETED,
]


# --------------------------------------------------------------------------------------------
# Typed constructors


def note_entry(kind: TimelineKind, note: Note, *, actor: Any, kept: bool = True) -> Entry:
    """An entry about a note; `kept` False when the note is being deleted (nothing to point
    to, and its text is not copied once more)."""
    payload: dict[str, Any] = {"summary": summary(note.body), "note_id": note.pk}
    if kept:
        payload["html"] = render_markdown(_excerpt(note.body))
    return kind.entry(note.contact_id, actor=actor, payload=payload, detail=note if kept else None)


def comment_entry(comment: Comment, *, actor: Any, mentions: list[str]) -> Entry:
    return COMMENT_ADDED.entry(
        comment.contact_id,
        actor=actor,
        payload={
            "summary": summary(comment.body),
            "body": comment.body,
            "html": comment.body_html,
            "mentions": mentions,
        },
        detail=comment,
    )


def task_entry(
    kind: TimelineKind,
    task: Task,
    contact: Any,
    *,
    actor: Any,
    actor_label: str = "",
    **extra: Any,
) -> Entry:
    return kind.entry(
        contact,
        actor=actor,
        actor_label=actor_label,
        payload={"summary": task.title, "task_id": task.pk, "status": task.status, **extra},
        detail=task,
    )


def file_entry(kind: TimelineKind, attached: ContactFile, *, actor: Any) -> Entry:
    return kind.entry(
        attached.contact_id,
        actor=actor,
        payload={
            "summary": f"{attached.name} ({filesizeformat(attached.size)})",
            "name": attached.name,
            "size": attached.size,
            "file_id": attached.pk,
        },
        # A file deleted from storage has no row left to point to.
        detail=attached if kind is not FILE_DELETED else None,
    )
