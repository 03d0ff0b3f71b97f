"""Card sections and fragments: writes re-render the section; scope is a 404 through every door."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings

from kartoteka.activity import queries, services
from tests.uploads import LANGUAGES, LIMIT, PAST_THE_LIMIT, stored_files

ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56


@pytest.fixture
def browser(sales):
    client = Client(headers={"HX-Request": "true"})
    client.force_login(sales)
    return client


def test_adding_a_note_answers_with_the_section_and_tells_the_timeline(browser, contact):
    response = browser.post(f"/contacts/{contact.pk}/notes/add/", {"body": "**Met** at the fair"})
    assert response.status_code == 200
    assert "<strong>Met</strong> at the fair" in response.content.decode()
    assert response["HX-Trigger"] == "kartoteka:timeline-changed"


def test_empty_note_shows_the_error_next_to_the_field(browser, contact):
    response = browser.post(f"/contacts/{contact.pk}/notes/add/", {"body": ""})
    assert "Write some text." in response.content.decode()
    assert "HX-Trigger" not in response


def test_script_in_a_note_never_reaches_the_page(browser, contact):
    response = browser.post(
        f"/contacts/{contact.pk}/notes/add/", {"body": '<script>alert(1)</script><a onclick="x">'}
    )
    html = response.content.decode()
    assert "<script>alert(1)" not in html
    assert re.search(r"<[^>]*\son\w+=", html) is None  # no tag carries an event handler


def test_note_can_be_edited_from_its_inline_form(browser, sales, contact):
    note = services.add_note(sales, contact, body="old")
    form = browser.get(f"/contacts/{contact.pk}/notes/{note.pk}/edit/")
    assert "old</textarea>" in form.content.decode()
    browser.post(f"/contacts/{contact.pk}/notes/{note.pk}/edit/", {"body": "new"})
    note.refresh_from_db()
    assert note.body == "new"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "work/notes/"),
        ("get", "work/files/"),
        ("get", "work/tasks/"),
        ("post", "notes/add/"),
        ("post", "comments/add/"),
        ("post", "tasks/add/"),
        ("post", "files/upload/"),
    ],
)
def test_sales_user_gets_404_on_another_users_contact(browser, others_contact, method, path):
    response = getattr(browser, method)(f"/contacts/{others_contact.pk}/{path}", {"body": "x"})
    assert response.status_code == 404


def test_sales_user_gets_404_downloading_another_users_file(browser, other_sales, others_contact):
    attached = services.upload_file(
        other_sales, others_contact, upload=SimpleUploadedFile("offer.pdf", b"%PDF-1.4")
    )
    response = browser.get(f"/contacts/{others_contact.pk}/files/{attached.pk}/download/")
    assert response.status_code == 404


def test_upload_from_the_card_lists_the_file_and_downloads_it_as_attachment(browser, contact):
    response = browser.post(
        f"/contacts/{contact.pk}/files/upload/",
        {"file": SimpleUploadedFile("Signed offer.pdf", b"%PDF-1.7 signed")},
    )
    assert "Signed offer.pdf" in response.content.decode()
    attached = queries.files_of(contact.owners.first(), contact.pk).get()
    download = browser.get(f"/contacts/{contact.pk}/files/{attached.pk}/download/")
    assert download["Content-Disposition"] == 'attachment; filename="Signed offer.pdf"'
    assert b"".join(download.streaming_content) == b"%PDF-1.7 signed"


def test_upload_of_a_renamed_binary_shows_why_it_was_refused(browser, contact):
    response = browser.post(
        f"/contacts/{contact.pk}/files/upload/", {"file": SimpleUploadedFile("cv.docx", ELF)}
    )
    assert "cv.docx is an ELF executable" in response.content.decode()


def test_upload_checks_the_csrf_token(sales, contact):
    client = Client(enforce_csrf_checks=True, headers={"HX-Request": "true"})
    client.force_login(sales)
    url = f"/contacts/{contact.pk}/files/upload/"
    refused = client.post(url, {"file": SimpleUploadedFile("a.txt", b"hello")})
    assert refused.status_code == 403
    section = client.get(f"/contacts/{contact.pk}/work/files/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', section).group(1)
    accepted = client.post(
        url, {"file": SimpleUploadedFile("a.txt", b"hello"), "csrfmiddlewaretoken": token}
    )
    assert accepted.status_code == 200
    assert "a.txt" in accepted.content.decode()


def test_remove_from_contact_and_restore_from_the_card(browser, sales, contact):
    attached = services.upload_file(sales, contact, upload=SimpleUploadedFile("a.txt", b"x"))
    browser.post(f"/contacts/{contact.pk}/files/{attached.pk}/remove/")
    assert not queries.files_of(sales, contact.pk).exists()
    browser.post(f"/contacts/{contact.pk}/files/{attached.pk}/restore/")
    assert queries.files_of(sales, contact.pk).exists()


def test_task_added_from_the_card_is_linked_and_on_the_timeline(browser, sales, contact):
    response = browser.post(
        f"/contacts/{contact.pk}/tasks/add/",
        {"title": "Send offer", "due_at": "2026-05-04T16:30", "assignees": ["sergio"]},
    )
    assert "Send offer" in response.content.decode()
    task = queries.find_tasks(sales, contact_id=contact.pk).get()
    assert task.due_at.hour == 14  # 16:30 in Madrid is 14:30 UTC in May
    assert queries.timeline(sales, contact.pk, kinds=["task_created"]).exists()


def test_task_with_a_bad_due_date_shows_the_error(browser, contact):
    response = browser.post(
        f"/contacts/{contact.pk}/tasks/add/", {"title": "x", "due_at": "soon-ish"}
    )
    assert "Give a date and time" in response.content.decode()


@pytest.mark.parametrize("posted", [{}, {"task": "first"}])
def test_linking_without_a_task_asks_to_choose_one(browser, sales, contact, posted):
    services.create_task(sales, data={"title": "Mine"})  # the link form lists it
    response = browser.post(f"/contacts/{contact.pk}/tasks/link/", posted)
    assert "Choose a task." in response.content.decode()
    assert "HX-Trigger" not in response


def test_linking_a_task_out_of_sight_says_there_is_no_such_task(
    browser, admin, sales, contact, others_contact
):
    services.create_task(sales, data={"title": "Mine"})
    hidden = services.create_task(admin, data={"title": "Theirs", "assignees": ["alba"]})
    response = browser.post(f"/contacts/{contact.pk}/tasks/link/", {"task": hidden.pk})
    assert "No such task." in response.content.decode()
    assert not hidden.contacts.filter(pk=contact.pk).exists()


@pytest.mark.parametrize("language", LANGUAGES)
@override_settings(KARTOTEKA_MAX_UPLOAD_BYTES=LIMIT)
def test_uploading_past_the_limit_from_the_card_names_the_limit_once_and_keeps_nothing(
    sales, contact, settings, language
):
    client = Client(headers={"HX-Request": "true", "Accept-Language": language})
    client.force_login(sales)
    upload = SimpleUploadedFile("notes.txt", b"more than ten bytes of text")
    response = client.post(f"/contacts/{contact.pk}/files/upload/", {"file": upload})
    assert response.status_code == 422
    page = response.content.decode()
    assert page.count(PAST_THE_LIMIT[language]) == 1
    assert "Choose a file." not in page
    assert not queries.files_of(sales, contact.pk).exists()
    assert stored_files(settings.MEDIA_ROOT) == []


def test_uploading_without_a_file_asks_to_choose_one(browser, contact):
    response = browser.post(f"/contacts/{contact.pk}/files/upload/", {})
    assert "Choose a file." in response.content.decode()
    assert not queries.files_of(contact.owners.first(), contact.pk).exists()


def test_completing_a_task_from_the_card(browser, sales, contact):
    task = services.create_task(sales, data={"title": "Call", "contacts": [contact.pk]})
    browser.post(f"/contacts/{contact.pk}/tasks/{task.pk}/status/", {"status": "done"})
    task.refresh_from_db()
    assert task.status == "done"


def test_comment_with_a_mention_lights_the_badge_of_the_colleague(browser, admin, contact):
    browser.post(f"/contacts/{contact.pk}/comments/add/", {"body": "@alba please check"})
    colleague = Client()
    colleague.force_login(admin)
    badge = colleague.get("/notifications/badge/").content.decode()
    assert 'data-unread="1"' in badge
    notification = queries.notifications_for(admin).get()
    opened = colleague.post(f"/notifications/{notification.pk}/open/")
    assert opened.status_code == 302
    assert queries.unread_count(admin) == 0


def test_without_htmx_a_write_goes_back_to_the_card(sales, contact):
    client = Client()
    client.force_login(sales)
    response = client.post(f"/contacts/{contact.pk}/notes/add/", {"body": "plain form"})
    assert response.status_code == 302
    assert str(contact.pk) in response["Location"]


def test_pages_need_a_login(contact, settings):
    settings.LOGIN_URL = "/login/"
    response = Client().get(f"/contacts/{contact.pk}/work/notes/")
    assert response.status_code == 302


@pytest.mark.parametrize(
    "path, posted, message",
    [
        ("notes/add/", {"body": ""}, "Write some text."),
        ("comments/add/", {"body": ""}, "Write some text."),
        ("tasks/add/", {"title": "x", "due_at": "soon-ish"}, "Give a date and time"),
        ("files/upload/", {}, "Choose a file."),
    ],
)
def test_a_refused_submit_answers_422_with_its_errors_swapped_in_place(
    browser, contact, path, posted, message
):
    response = browser.post(f"/contacts/{contact.pk}/{path}", posted)
    assert response.status_code == 422
    assert response["Kartoteka-Form-Errors"] == "1"
    assert message in response.content.decode()
    assert "HX-Trigger" not in response


def test_an_upload_past_the_limit_answers_422(browser, contact, settings):
    settings.KARTOTEKA_MAX_UPLOAD_BYTES = 10
    upload = SimpleUploadedFile("notes.txt", b"more than ten bytes of text")
    response = browser.post(f"/contacts/{contact.pk}/files/upload/", {"file": upload})
    assert response.status_code == 422
    assert response["Kartoteka-Form-Errors"] == "1"
