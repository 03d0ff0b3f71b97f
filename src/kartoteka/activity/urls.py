"""Pages and fragments of the team's work: card sections, My tasks, notifications, downloads."""

from django.urls import path

from kartoteka.activity import views

app_name = "activity"

_contact = "contacts/<int:contact_id>/"

urlpatterns = [
    path(f"{_contact}work/<slug:key>/", views.section, name="section"),
    path(f"{_contact}notes/add/", views.add_note, name="note-add"),
    path(f"{_contact}notes/<int:note_id>/edit/", views.edit_note, name="note-edit"),
    path(f"{_contact}notes/<int:note_id>/delete/", views.delete_note, name="note-delete"),
    path(f"{_contact}comments/add/", views.add_comment, name="comment-add"),
    path(f"{_contact}tasks/add/", views.add_task, name="task-add"),
    path(f"{_contact}tasks/link/", views.link_task, name="task-link"),
    path(f"{_contact}tasks/<int:task_id>/unlink/", views.unlink_task, name="task-unlink"),
    path(f"{_contact}tasks/<int:task_id>/status/", views.set_task_status, name="task-status"),
    path(f"{_contact}files/upload/", views.upload_file, name="file-upload"),
    path(f"{_contact}files/<int:file_id>/download/", views.download_file, name="file-download"),
    *(
        path(
            f"{_contact}files/<int:file_id>/{action}/",
            views.change_file,
            {"action": action},
            name=f"file-{action}",
        )
        for action in ("remove", "restore", "delete")
    ),
    path("tasks/", views.my_tasks, name="my-tasks"),
    path("tasks/<int:task_id>/", views.task_detail, name="task"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/badge/", views.notifications_badge, name="notifications-badge"),
    path("notifications/read/", views.read_all_notifications, name="notifications-read"),
    path(
        "notifications/<int:notification_id>/open/",
        views.open_notification,
        name="notification-open",
    ),
]
