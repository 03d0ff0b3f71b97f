"""Pages and htmx fragments for notes, comments, tasks, files and notifications.

Card sections re-render themselves after every write: a form posts to a view here, which calls a
service and answers with the section's fragment (or, without htmx, redirects back to the card).
"""

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.response import TemplateResponse
from django.utils.dateparse import parse_datetime
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from kartoteka.accounts.queries import active_users
from kartoteka.activity import queries, services
from kartoteka.activity.downloads import send_file
from kartoteka.activity.models import TaskStatus
from kartoteka.activity.queries import get_contact
from kartoteka.activity.uploads import too_large_form, upload_page
from kartoteka.web.forms import ServiceForm, errors_in_place, many, text, ticked
from kartoteka.web.registry import card_url

# htmx listeners (the timeline section among them) reload when a response carries this event.
TIMELINE_EVENT = "kartoteka:timeline-changed"


# --------------------------------------------------------------------------------------------
# Card sections: what each one loads, and re-rendering after a write


def section_id(key: str, contact_id: int) -> str:
    """The element id a section's forms swap after a write."""
    return f"work-{key}-{contact_id}"


def notes_context(request: HttpRequest, contact) -> dict:
    notes = list(queries.notes_of(request.user, contact.pk))
    for note in notes:
        note.can_change = services.can_change_note(request.user, note)
    return {"notes": notes, "section_id": section_id("notes", contact.pk)}


def comments_context(request: HttpRequest, contact) -> dict:
    return {
        "comments": list(queries.comments_of(request.user, contact.pk)[:5]),
        "section_id": section_id("comments", contact.pk),
    }


def tasks_context(request: HttpRequest, contact) -> dict:
    tasks = list(queries.find_tasks(request.user, contact_id=contact.pk))
    linked = {t.pk for t in tasks}
    linkable = [
        t
        for t in queries.find_tasks(
            request.user, assignee=request.user, statuses=queries.OPEN_STATUSES
        )
        if t.pk not in linked
    ]
    return {
        "tasks": tasks,
        "linkable_tasks": linkable,
        "team": list(active_users()),
        "statuses": TaskStatus.choices,
        "section_id": section_id("tasks", contact.pk),
    }


def files_context(request: HttpRequest, contact) -> dict:
    files = list(queries.files_of(request.user, contact.pk))
    removed = list(queries.files_of(request.user, contact.pk, removed=True))
    for attached in files + removed:
        attached.can_delete = services.can_delete_file(request.user, attached)
    return {
        "files": files,
        "removed_files": removed,
        "max_upload_bytes": services.max_upload_bytes(),
        "section_id": section_id("files", contact.pk),
    }


def open_tasks_count(context: dict) -> str:
    """The Tasks title's figure: how many of the contact's tasks are still open."""
    count = sum(1 for task in context["tasks"] if task.status in queries.OPEN_STATUSES)
    return ngettext("%(count)s open", "%(count)s open", count) % {"count": count}


# The title figure of each section, from what its loader read.
COUNTS: dict[str, Callable[[dict], object] | None] = {
    "notes": lambda context: len(context["notes"]),
    "comments": None,  # the section shows the latest few; the timeline holds them all
    "tasks": open_tasks_count,
    "files": lambda context: len(context["files"]),
}

SECTIONS: dict[str, tuple[str, Callable[[HttpRequest, object], dict]]] = {
    "notes": ("activity/notes_section.html", notes_context),
    "comments": ("activity/comments_section.html", comments_context),
    "tasks": ("activity/tasks_section.html", tasks_context),
    "files": ("activity/files_section.html", files_context),
}


def _section(request: HttpRequest, contact, key: str, form: ServiceForm) -> HttpResponse:
    """The section after a post: the fragment for htmx, with the form's errors next to their
    fields and its status (422, 409, 403) when it was refused, else with the timeline told to
    reload; without htmx, back to the card (errors as notices)."""
    if not request.htmx:
        form.flash(request)
        return redirect(card_url(contact.pk))
    failed = not form.ok
    template, load = SECTIONS[key]
    context = {
        "contact": contact,
        "errors": form.field_errors() if failed else {},
        "form": request.POST.dict() if failed else {},
    }
    context.update(load(request, contact))
    response = render(request, template, context)
    if failed:
        return errors_in_place(response, form.status)
    response["HX-Trigger"] = TIMELINE_EVENT
    return response


def _write(
    request: HttpRequest,
    contact,
    key: str,
    action: Callable[[dict], object],
    form: ServiceForm | None = None,
    **submit_options,
) -> HttpResponse:
    """Run a service call on the form's data and answer with the section (see `_section`)."""
    form = form or ServiceForm(request.POST)
    form.submit(action, **submit_options)
    return _section(request, contact, key, form)


@login_required
@require_GET
def section(request: HttpRequest, contact_id: int, key: str) -> HttpResponse:
    if key not in SECTIONS:
        raise Http404("No such section.")
    contact = get_contact(request.user, contact_id)
    template, load = SECTIONS[key]
    return render(
        request, template, {"contact": contact, "errors": {}, "form": {}, **load(request, contact)}
    )


# --------------------------------------------------------------------------------------------
# Notes and comments


class BodyForm(ServiceForm):
    """A note or a comment: its text as typed (Markdown keeps its indentation)."""

    body = text()


@login_required
@require_POST
def add_note(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = get_contact(request.user, contact_id)
    return _write(
        request,
        contact,
        "notes",
        lambda data: services.add_note(request.user, contact, body=data["body"]),
        BodyForm(request.POST),
    )


@login_required
def edit_note(request: HttpRequest, contact_id: int, note_id: int) -> HttpResponse:
    note = queries.get_note(request.user, contact_id, note_id)
    if request.method == "GET":
        context = {"note": note, "section_id": section_id("notes", note.contact_id)}
        return render(request, "activity/note_edit.html", context)
    return _write(
        request,
        note.contact,
        "notes",
        lambda data: services.edit_note(request.user, note, body=data["body"]),
        BodyForm(request.POST),
    )


@login_required
@require_POST
def delete_note(request: HttpRequest, contact_id: int, note_id: int) -> HttpResponse:
    note = queries.get_note(request.user, contact_id, note_id)
    return _write(
        request, note.contact, "notes", lambda _data: services.delete_note(request.user, note)
    )


@login_required
@require_POST
def add_comment(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = get_contact(request.user, contact_id)

    def post(data: dict) -> None:
        comment = services.add_comment(request.user, contact, body=data["body"])
        if comment.unreachable_mentions:
            messages.warning(
                request,
                _("Not notified, as they cannot see this contact: %(names)s")
                % {"names": ", ".join(comment.unreachable_mentions)},
            )

    return _write(request, contact, "comments", post, BodyForm(request.POST))


# --------------------------------------------------------------------------------------------
# Tasks


class TaskForm(ServiceForm):
    """A task's fields as the task pages post them; only the fields posted change."""

    title = text()
    description = text()
    status = text()
    due_at = text()
    assignees = many()
    # Unticking every assignee posts no "assignees" at all; this hidden field says the list
    # was on the form, so the task is left with none.
    assignees_present = ticked()
    next = text()

    def changes(self) -> dict:
        """The update_task payload: due date and time as typed, assignees as usernames."""
        data = {
            name: self.cleaned_data[name]
            for name in ("title", "description", "status")
            if name in self.data
        }
        if "due_at" in self.data:
            raw = self.cleaned_data["due_at"].strip()
            data["due_at"] = (parse_datetime(raw) or raw) if raw else None
        if "assignees" in self.data or self.cleaned_data["assignees_present"]:
            data["assignees"] = self.cleaned_data["assignees"]
        return data


class LinkTaskForm(ServiceForm):
    task = forms.IntegerField(
        error_messages={
            "required": gettext_lazy("Choose a task."),
            "invalid": gettext_lazy("Choose a task."),
        }
    )


class TaskStatusForm(ServiceForm):
    status = text()


@login_required
@require_POST
def add_task(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = get_contact(request.user, contact_id)
    form = TaskForm(request.POST)
    return _write(
        request,
        contact,
        "tasks",
        lambda _data: services.create_task(
            request.user, data={**form.changes(), "contacts": [contact.pk]}
        ),
        form,
    )


@login_required
@require_POST
def link_task(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = get_contact(request.user, contact_id)
    return _write(
        request,
        contact,
        "tasks",
        lambda data: services.link_task_contact(
            request.user, queries.get_task(request.user, data["task"]), contact
        ),
        LinkTaskForm(request.POST),
        not_found="task",
    )


@login_required
@require_POST
def unlink_task(request: HttpRequest, contact_id: int, task_id: int) -> HttpResponse:
    contact = get_contact(request.user, contact_id)
    task = queries.get_task(request.user, task_id)
    return _write(
        request,
        contact,
        "tasks",
        lambda _data: services.unlink_task_contact(request.user, task, contact),
    )


@login_required
@require_POST
def set_task_status(request: HttpRequest, contact_id: int, task_id: int) -> HttpResponse:
    contact = get_contact(request.user, contact_id)
    task = queries.get_task(request.user, task_id)
    return _write(
        request,
        contact,
        "tasks",
        lambda data: services.update_task(request.user, task, data=data),
        TaskStatusForm(request.POST),
    )


@login_required
def my_tasks(request: HttpRequest) -> HttpResponse:
    """My tasks: overdue, today, upcoming; and a form for a new task."""
    form = TaskForm(request.POST if request.method == "POST" else None)
    if form.is_bound:
        task = form.submit(lambda _data: services.create_task(request.user, data=form.changes()))
        if form.ok:
            messages.success(request, _("Task “%(title)s” created.") % {"title": task.title})
            return redirect("activity:my-tasks")
    context = {
        "groups": queries.my_tasks(request.user),
        "team": list(active_users()),
        "errors": form.field_errors(),
        "form": form.data.dict() if form.errors else {},
    }
    return TemplateResponse(request, "activity/my_tasks.html", context, status=form.status)


@login_required
def task_detail(request: HttpRequest, task_id: int) -> HttpResponse:
    """One task: edit it, reassign it, see and unlink its contacts."""
    task = queries.get_task(request.user, task_id)
    form = TaskForm(request.POST if request.method == "POST" else None)
    if form.is_bound:
        form.submit(lambda _data: services.update_task(request.user, task, data=form.changes()))
        if form.ok:
            messages.success(request, _("Task saved."))
            back = form.cleaned_data["next"]
            if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
                return redirect(back)
            return redirect("activity:task", task_id=task.pk)
    context = {
        "task": task,
        "team": list(active_users()),
        "assignee_names": {u.username for u in task.assignees.all()},
        "statuses": TaskStatus.choices,
        "errors": form.field_errors(),
        "form": form.data.dict() if form.errors else {},
        "card_urls": {c.pk: card_url(c.pk) for c in task.visible_contacts},
    }
    return TemplateResponse(request, "activity/task_detail.html", context, status=form.status)


# --------------------------------------------------------------------------------------------
# Files


class FileForm(ServiceForm):
    # An empty file is the service's to judge, like any other.
    file = forms.FileField(
        allow_empty_file=True, error_messages={"required": gettext_lazy("Choose a file.")}
    )


@upload_page
@require_POST
def upload_file(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = get_contact(request.user, contact_id)
    form = FileForm(request.POST, request.FILES)  # reading the body finds an upload too large
    if request.upload_too_large:
        return _section(request, contact, "files", too_large_form())
    return _write(
        request,
        contact,
        "files",
        lambda data: services.upload_file(request.user, contact, upload=data["file"]),
        form,
    )


@login_required
@require_GET
def download_file(request: HttpRequest, contact_id: int, file_id: int) -> HttpResponse:
    return send_file(request, queries.get_file(request.user, contact_id, file_id))


@login_required
@require_POST
def change_file(request: HttpRequest, contact_id: int, file_id: int, action: str) -> HttpResponse:
    """Remove from the contact, restore, or delete from storage."""
    attached = queries.get_file(request.user, contact_id, file_id)
    service = {
        "remove": services.remove_file,
        "restore": services.restore_file,
        "delete": services.delete_file,
    }[action]
    return _write(request, attached.contact, "files", lambda _data: service(request.user, attached))


# --------------------------------------------------------------------------------------------
# Notifications


@login_required
@require_GET
def notifications(request: HttpRequest) -> HttpResponse:
    found = list(queries.notifications_for(request.user)[:100])
    for notification in found:
        notification.card_url = card_url(notification.contact_id) if notification.contact_id else ""
    return TemplateResponse(request, "activity/notifications.html", {"notifications": found})


@login_required
@require_GET
def notifications_badge(request: HttpRequest) -> HttpResponse:
    return render(
        request, "activity/notifications_badge.html", {"unread": queries.unread_count(request.user)}
    )


@login_required
@require_POST
def open_notification(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Mark it read and go where it points: the contact's card, else the task."""
    notification = services.mark_notification_read(request.user, notification_id)
    if (
        notification.contact_id
        and queries.notifications_for(request.user).filter(pk=notification.pk).exists()
    ):
        return redirect(card_url(notification.contact_id))
    if notification.task_id:
        return redirect("activity:task", task_id=notification.task_id)
    return redirect("activity:notifications")


@login_required
@require_POST
def read_all_notifications(request: HttpRequest) -> HttpResponse:
    services.mark_all_notifications_read(request.user)
    return redirect("activity:notifications")
