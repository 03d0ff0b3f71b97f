"""The API of notes, comments, tasks, files and notifications, scoped like the rest."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from kartoteka.activity.models import ContactFile
from tests.factories import make_contact
from tests.uploads import LIMIT, PAST_THE_LIMIT, stored_files

ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56


def _upload(api, contact_id, content: bytes, name: str):
    return api.client.post(
        f"/api/v1/contacts/{contact_id}/files", {"file": SimpleUploadedFile(name, content)}
    )


def test_post_note_answers_with_sanitised_html(sales_api, contact):
    response = sales_api.post(
        f"/api/v1/contacts/{contact.pk}/notes", {"body": "<script>x</script>**hi**"}
    )
    assert response.status_code == 201
    assert "<script" not in response.json()["html"]
    assert "<strong>hi</strong>" in response.json()["html"]


def test_note_can_be_edited_and_deleted(sales_api, contact):
    note = sales_api.post(f"/api/v1/contacts/{contact.pk}/notes", {"body": "a"}).json()
    url = f"/api/v1/contacts/{contact.pk}/notes/{note['id']}"
    assert sales_api.patch(url, {"body": "b"}).json()["body"] == "b"
    assert sales_api.delete(url).status_code == 204
    assert sales_api.get(f"/api/v1/contacts/{contact.pk}/notes").json() == []


def test_empty_note_is_a_problem_with_the_field_named(sales_api, contact):
    response = sales_api.post(f"/api/v1/contacts/{contact.pk}/notes", {"body": " "})
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"] == [{"field": "body", "message": "Write some text."}]


def test_post_comment_reports_who_was_and_was_not_notified(sales_api, admin, other_sales, contact):
    response = sales_api.post(
        f"/api/v1/contacts/{contact.pk}/comments", {"body": "@alba and @olga, see this"}
    )
    assert response.status_code == 201
    assert response.json()["mentions"] == ["alba"]
    assert response.json()["not_notified"] == ["olga"]


def test_mentioned_user_sees_the_notification_and_marks_it_read(sales_api, admin_api, contact):
    sales_api.post(f"/api/v1/contacts/{contact.pk}/comments", {"body": "@alba ok?"})
    unread = admin_api.get("/api/v1/notifications", unread="true").json()
    assert [n["contact_id"] for n in unread] == [contact.pk]
    admin_api.post(f"/api/v1/notifications/{unread[0]['id']}/read")
    assert admin_api.get("/api/v1/notifications", unread="true").json() == []


@pytest.mark.parametrize(
    "path",
    ["notes", "comments", "files", "tasks"],
)
def test_sales_user_gets_404_for_another_users_contact(sales_api, others_contact, path):
    assert sales_api.get(f"/api/v1/contacts/{others_contact.pk}/{path}").status_code == 404
    if path != "tasks":
        response = sales_api.post(f"/api/v1/contacts/{others_contact.pk}/{path}", {"body": "x"})
        assert response.status_code == 404


def test_create_task_and_list_my_tasks(admin_api, sales_api, contact):
    response = admin_api.post(
        "/api/v1/tasks",
        {
            "title": "Send the signed offer",
            "description": "PDF in the files",
            "status": "open",
            "due_at": "2026-05-04T16:30:00+02:00",
            "assignees": ["sergio"],
            "contacts": [contact.pk],
        },
    )
    assert response.status_code == 201
    task = response.json()
    assert task["assignees"] == ["sergio"]
    assert task["contacts"] == [contact.pk]
    mine = sales_api.get("/api/v1/tasks", assignee="me").json()
    assert [t["id"] for t in mine] == [task["id"]]
    assert admin_api.get("/api/v1/tasks", assignee="me").json() == []


def test_task_with_bad_fields_is_a_problem(admin_api):
    response = admin_api.post("/api/v1/tasks", {"title": "x", "status": "soon", "assignees": ["?"]})
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"status", "assignees"}


def test_task_can_be_completed_and_contacts_linked_and_unlinked(sales_api, contact):
    task = sales_api.post("/api/v1/tasks", {"title": "Call"}).json()
    url = f"/api/v1/tasks/{task['id']}"
    linked = sales_api.post(f"{url}/contacts", {"contact_id": contact.pk}).json()
    assert linked["contacts"] == [contact.pk]
    assert sales_api.patch(url, {"status": "done"}).json()["completed_at"] is not None
    assert sales_api.delete(f"{url}/contacts/{contact.pk}").json()["contacts"] == []
    kinds = [e.kind for e in contact.activities.all()]
    assert kinds[:3] == ["task_unlinked", "task_completed", "task_linked"]


def test_tasks_list_shows_only_visible_linked_contacts(admin_api, sales_api, sales, contact):
    hidden = make_contact(first_name="Hidden")
    task = admin_api.post(
        "/api/v1/tasks",
        {"title": "Both", "assignees": ["sergio"], "contacts": [contact.pk, hidden.pk]},
    ).json()
    assert sales_api.get(f"/api/v1/tasks/{task['id']}").json()["contacts"] == [contact.pk]


def test_upload_answers_with_the_file_id_and_download_sends_an_attachment(sales_api, contact):
    response = _upload(sales_api, contact.pk, b"%PDF-1.7 offer", 'oferta "final".pdf')
    assert response.status_code == 201
    file_id = response.json()["id"]
    download = sales_api.get(f"/api/v1/contacts/{contact.pk}/files/{file_id}/download")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.7 offer"
    assert download["Content-Disposition"] == 'attachment; filename="oferta _final_.pdf"'
    assert download["X-Content-Type-Options"] == "nosniff"
    kinds = [e.kind for e in contact.activities.all()]
    assert kinds[:2] == ["file_downloaded", "file_uploaded"]


def test_html_files_are_downloaded_not_rendered(sales_api, contact):
    file_id = _upload(sales_api, contact.pk, b"<script>alert(1)</script>", "page.html").json()["id"]
    download = sales_api.get(f"/api/v1/contacts/{contact.pk}/files/{file_id}/download")
    assert download["Content-Type"] == "application/octet-stream"


def test_non_ascii_file_names_are_sent_encoded(sales_api, contact):
    file_id = _upload(sales_api, contact.pk, b"umowa", "Umowa źródłowa.txt").json()["id"]
    download = sales_api.get(f"/api/v1/contacts/{contact.pk}/files/{file_id}/download")
    assert "filename*=utf-8''Umowa%20%C5%BAr%C3%B3d%C5%82owa.txt" in download["Content-Disposition"]


def test_sales_user_download_of_another_users_contact_file_is_404(
    other_sales_api, sales_api, contact
):
    file_id = _upload(sales_api, contact.pk, b"secret", "secret.txt").json()["id"]
    url = f"/api/v1/contacts/{contact.pk}/files/{file_id}/download"
    response = other_sales_api.get(url)
    assert response.status_code == 404
    assert not contact.activities.filter(kind="file_downloaded").exists()


def test_file_id_of_another_contact_is_404(sales_api, sales, contact):
    mine_too = make_contact(owners=[sales])
    file_id = _upload(sales_api, contact.pk, b"x", "x.txt").json()["id"]
    url = f"/api/v1/contacts/{mine_too.pk}/files/{file_id}/download"
    assert sales_api.get(url).status_code == 404


def test_renamed_elf_upload_is_refused_with_a_clear_message(sales_api, contact):
    response = _upload(sales_api, contact.pk, ELF, "report.pdf")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "file"
    assert "ELF executable" in response.json()["errors"][0]["message"]


def test_upload_over_the_limit_is_refused_while_streaming(sales_api, contact, settings):
    settings.KARTOTEKA_MAX_UPLOAD_BYTES = 100 * 1024
    response = _upload(sales_api, contact.pk, b"x" * (300 * 1024), "big.csv")
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "file", "message": "The file is larger than the limit of 100.0\xa0KB."}
    ]
    assert not ContactFile.objects.exists()
    assert stored_files(settings.MEDIA_ROOT) == []


@override_settings(KARTOTEKA_MAX_UPLOAD_BYTES=LIMIT)
def test_upload_over_the_limit_is_refused_in_the_callers_language(sales_api, contact):
    response = sales_api.client.post(
        f"/api/v1/contacts/{contact.pk}/files",
        {"file": SimpleUploadedFile("big.csv", b"more than ten bytes")},
        headers={"Accept-Language": "pl"},
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "file", "message": PAST_THE_LIMIT["pl"]}]


def test_upload_without_a_file_field_is_a_problem(sales_api, contact):
    response = sales_api.client.post(f"/api/v1/contacts/{contact.pk}/files", {"other": "x"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "file"


def test_remove_then_delete_from_storage(sales_api, contact):
    file_id = _upload(sales_api, contact.pk, b"x", "x.txt").json()["id"]
    url = f"/api/v1/contacts/{contact.pk}/files/{file_id}"
    assert sales_api.delete(url).status_code == 204
    assert sales_api.get(f"/api/v1/contacts/{contact.pk}/files").json() == []
    removed = sales_api.get(f"/api/v1/contacts/{contact.pk}/files", removed="true").json()
    assert [f["id"] for f in removed] == [file_id]
    assert sales_api.delete(f"{url}?from_storage=true").status_code == 204
    assert sales_api.get(url).status_code == 404


def test_tasks_list_is_filtered_by_status_and_limited(sales_api):
    for title in ("one", "two", "three"):
        sales_api.post("/api/v1/tasks", {"title": title})
    sales_api.post("/api/v1/tasks", {"title": "closed", "status": "done"})
    open_tasks = sales_api.get("/api/v1/tasks", status="open,in_progress").json()
    assert [t["title"] for t in open_tasks] == ["one", "two", "three"]
    assert len(sales_api.get("/api/v1/tasks", limit=2).json()) == 2
    assert sales_api.get("/api/v1/tasks", limit=0).status_code == 422
