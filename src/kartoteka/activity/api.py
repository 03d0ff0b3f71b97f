"""REST endpoints for notes, comments, tasks, files and notifications, under /api/v1."""

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from kartoteka.accounts.queries import users_by_username
from kartoteka.activity import queries, services
from kartoteka.activity.downloads import send_file
from kartoteka.activity.models import Comment, ContactFile, Note, Notification, Task
from kartoteka.activity.queries import get_contact
from kartoteka.activity.schemas import (
    BodyIn,
    CommentOut,
    ContactLinkIn,
    FileOut,
    NoteOut,
    NotificationOut,
    TaskIn,
    TaskOut,
    TaskPatch,
)
from kartoteka.activity.uploads import posted_file
from kartoteka.core.errors import InvalidInput
from kartoteka.core.inputs import check_input
from kartoteka.core.openapi import file_response

router = Router(tags=["work"])


def _name(user) -> str | None:
    return user.username if user is not None else None


def _note(note: Note) -> dict:
    return {
        "id": note.pk,
        "contact_id": note.contact_id,
        "body": note.body,
        "html": note.body_html,
        "author": _name(note.author),
        "created_at": note.created_at,
        "updated_at": note.updated_at,
    }


def _comment(comment: Comment) -> dict:
    return {
        "id": comment.pk,
        "contact_id": comment.contact_id,
        "body": comment.body,
        "html": comment.body_html,
        "author": _name(comment.author),
        "mentions": sorted(u.username for u in comment.mentions.all()),
        "not_notified": getattr(comment, "unreachable_mentions", []),
        "created_at": comment.created_at,
    }


def _task(task: Task) -> dict:
    contacts = getattr(task, "visible_contacts", None)
    return {
        "id": task.pk,
        "title": task.title,
        "description": task.description,
        "status": task.status,
        "due_at": task.due_at,
        "completed_at": task.completed_at,
        "created_at": task.created_at,
        "created_by": _name(task.created_by) or task.created_by_label or None,
        "assignees": [u.username for u in task.assignees.all()],
        "contacts": [c.pk for c in contacts] if contacts is not None else [],
    }


def _file(attached: ContactFile) -> dict:
    return {
        "id": attached.pk,
        "contact_id": attached.contact_id,
        "name": attached.name,
        "size": attached.size,
        "content_type": attached.content_type,
        "sha256": attached.sha256,
        "uploaded_by": _name(attached.uploaded_by),
        "uploaded_at": attached.uploaded_at,
        "removed_at": attached.removed_at,
        "download_url": reverse(
            "api:download_file", kwargs={"contact_id": attached.contact_id, "file_id": attached.pk}
        ),
    }


def _notification(notification: Notification) -> dict:
    return {
        "id": notification.pk,
        "kind": notification.kind,
        "text": notification.text,
        "contact_id": notification.contact_id,
        "task_id": notification.task_id,
        "comment_id": notification.comment_id,
        "created_at": notification.created_at,
        "read_at": notification.read_at,
    }


# --------------------------------------------------------------------------------------------
# Notes


@router.get("/contacts/{contact_id}/notes", response=list[NoteOut], tags=["notes"])
def list_notes(request: HttpRequest, contact_id: int):
    get_contact(request.user, contact_id)
    return [_note(n) for n in queries.notes_of(request.user, contact_id)]


@router.post("/contacts/{contact_id}/notes", response={201: NoteOut}, tags=["notes"])
def add_note(request: HttpRequest, contact_id: int, payload: BodyIn):
    contact = get_contact(request.user, contact_id)
    note = services.add_note(request.user, contact, body=payload.body)
    return Status(201, _note(note))


@router.patch("/contacts/{contact_id}/notes/{note_id}", response=NoteOut, tags=["notes"])
def edit_note(request: HttpRequest, contact_id: int, note_id: int, payload: BodyIn):
    note = queries.get_note(request.user, contact_id, note_id)
    return _note(services.edit_note(request.user, note, body=payload.body))


@router.delete("/contacts/{contact_id}/notes/{note_id}", response={204: None}, tags=["notes"])
def delete_note(request: HttpRequest, contact_id: int, note_id: int):
    services.delete_note(request.user, queries.get_note(request.user, contact_id, note_id))
    return Status(204, None)


# --------------------------------------------------------------------------------------------
# Comments


@router.get("/contacts/{contact_id}/comments", response=list[CommentOut], tags=["comments"])
def list_comments(request: HttpRequest, contact_id: int):
    get_contact(request.user, contact_id)
    return [_comment(c) for c in queries.comments_of(request.user, contact_id)]


@router.post("/contacts/{contact_id}/comments", response={201: CommentOut}, tags=["comments"])
def add_comment(request: HttpRequest, contact_id: int, payload: BodyIn):
    contact = get_contact(request.user, contact_id)
    return Status(201, _comment(services.add_comment(request.user, contact, body=payload.body)))


# --------------------------------------------------------------------------------------------
# Files

_MULTIPART_FILE = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            }
        },
    }
}


@router.get("/contacts/{contact_id}/files", response=list[FileOut], tags=["files"])
def list_files(request: HttpRequest, contact_id: int, removed: bool = False):
    get_contact(request.user, contact_id)
    return [_file(f) for f in queries.files_of(request.user, contact_id, removed=removed)]


@router.post(
    "/contacts/{contact_id}/files",
    response={201: FileOut},
    tags=["files"],
    openapi_extra=_MULTIPART_FILE,
)
def upload_file(request: HttpRequest, contact_id: int):
    """Upload one file as multipart/form-data in the field `file`; it streams to disk."""
    contact = get_contact(request.user, contact_id)
    upload = posted_file(request)
    check_input({"file": upload.name})
    return Status(201, _file(services.upload_file(request.user, contact, upload=upload)))


@router.get("/contacts/{contact_id}/files/{file_id}", response=FileOut, tags=["files"])
def get_file(request: HttpRequest, contact_id: int, file_id: int):
    return _file(queries.get_file(request.user, contact_id, file_id))


@router.get(
    "/contacts/{contact_id}/files/{file_id}/download",
    tags=["files"],
    url_name="download_file",
    openapi_extra=file_response("The file's bytes, in its own type", "*/*"),
)
def download_file(request: HttpRequest, contact_id: int, file_id: int):
    """The file's bytes, as an attachment with its safe name."""
    attached = queries.get_file(request.user, contact_id, file_id)
    return send_file(request, attached)


@router.delete("/contacts/{contact_id}/files/{file_id}", response={204: None}, tags=["files"])
def remove_file(request: HttpRequest, contact_id: int, file_id: int, from_storage: bool = False):
    """Take the file off the contact (kept in storage, restorable), or with `from_storage=true`
    erase it for good."""
    attached = queries.get_file(request.user, contact_id, file_id)
    if from_storage:
        services.delete_file(request.user, attached)
    else:
        services.remove_file(request.user, attached)
    return Status(204, None)


@router.post("/contacts/{contact_id}/files/{file_id}/restore", response=FileOut, tags=["files"])
def restore_file(request: HttpRequest, contact_id: int, file_id: int):
    attached = queries.get_file(request.user, contact_id, file_id)
    return _file(services.restore_file(request.user, attached))


# --------------------------------------------------------------------------------------------
# Tasks


@router.get("/tasks", response=list[TaskOut], tags=["tasks"])
def list_tasks(
    request: HttpRequest,
    assignee: str = "",
    contact: int | None = None,
    status: str = "",
    limit: int = Query(200, ge=1, le=1000),
):
    """Tasks you may see, soonest due first: `assignee=me` (or a username), `contact=<id>`,
    `status=open,in_progress`; at most `limit` of them."""
    user = None
    if assignee:
        user = (
            request.user
            if assignee == "me"
            else users_by_username([assignee]).get(assignee.casefold())
        )
        if user is None:
            raise InvalidInput(
                "assignee",
                _("No active team member is called %(assignee)s.") % {"assignee": repr(assignee)},
            )
    statuses = [s for s in status.split(",") if s]
    tasks = queries.find_tasks(request.user, assignee=user, contact_id=contact, statuses=statuses)
    return [_task(t) for t in tasks[:limit]]


@router.post("/tasks", response={201: TaskOut}, tags=["tasks"])
def create_task(request: HttpRequest, payload: TaskIn):
    task = services.create_task(request.user, data=payload.dict())
    return Status(201, _task(queries.get_task(request.user, task.pk)))


@router.get("/tasks/{task_id}", response=TaskOut, tags=["tasks"])
def get_task(request: HttpRequest, task_id: int):
    return _task(queries.get_task(request.user, task_id))


@router.patch("/tasks/{task_id}", response=TaskOut, tags=["tasks"])
def update_task(request: HttpRequest, task_id: int, payload: TaskPatch):
    task = queries.get_task(request.user, task_id)
    services.update_task(request.user, task, data=payload.dict(exclude_unset=True))
    return _task(queries.get_task(request.user, task_id))


@router.get("/contacts/{contact_id}/tasks", response=list[TaskOut], tags=["tasks"])
def list_contact_tasks(request: HttpRequest, contact_id: int):
    get_contact(request.user, contact_id)
    return [_task(t) for t in queries.find_tasks(request.user, contact_id=contact_id)]


@router.post("/tasks/{task_id}/contacts", response=TaskOut, tags=["tasks"])
def link_contact(request: HttpRequest, task_id: int, payload: ContactLinkIn):
    task = queries.get_task(request.user, task_id)
    contact = get_contact(request.user, payload.contact_id)
    services.link_task_contact(request.user, task, contact)
    return _task(queries.get_task(request.user, task_id))


@router.delete("/tasks/{task_id}/contacts/{contact_id}", response=TaskOut, tags=["tasks"])
def unlink_contact(request: HttpRequest, task_id: int, contact_id: int):
    task = queries.get_task(request.user, task_id)
    contact = get_contact(request.user, contact_id)
    services.unlink_task_contact(request.user, task, contact)
    return _task(queries.get_task(request.user, task_id))


# --------------------------------------------------------------------------------------------
# Notifications


@router.get("/notifications", response=list[NotificationOut], tags=["notifications"])
def list_notifications(request: HttpRequest, unread: bool = False):
    found = queries.notifications_for(request.user, unread_only=unread)[:200]
    return [_notification(n) for n in found]


@router.post(
    "/notifications/{notification_id}/read", response=NotificationOut, tags=["notifications"]
)
def read_notification(request: HttpRequest, notification_id: int):
    return _notification(services.mark_notification_read(request.user, notification_id))


@router.post("/notifications/read", response=dict, tags=["notifications"])
def read_all_notifications(request: HttpRequest):
    return {"marked_read": services.mark_all_notifications_read(request.user)}
