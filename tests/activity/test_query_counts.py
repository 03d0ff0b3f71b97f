"""Lists of the card's work sections and the tasks API read in a fixed number of queries."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from kartoteka.activity import services, views
from tests.factories import UserFactory


def _queries(run) -> int:
    with CaptureQueriesContext(connection) as captured:
        run()
    return len(captured)


def _request(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


def _add_work(sales, contact, n: int) -> None:
    for i in range(n):
        colleague = UserFactory(username=f"colleague{contact.pk}_{i}")
        services.create_task(
            sales,
            data={"title": f"t{i}", "assignees": [colleague.username], "contacts": [contact.pk]},
        )
        services.add_note(sales, contact, body=f"note {i}")
        services.upload_file(sales, contact, upload=SimpleUploadedFile(f"f{i}.txt", b"x"))


def test_card_sections_do_not_query_per_row(sales, contact):
    _add_work(sales, contact, 2)
    request = _request(sales)
    loads = [views.tasks_context, views.notes_context, views.files_context]

    def render_all():
        for load in loads:
            context = load(request, contact)
            for task in context.get("tasks", []):
                list(task.assignees.all())

    few = _queries(render_all)
    _add_work(sales, contact, 5)
    assert _queries(render_all) == few


def test_tasks_api_does_not_query_per_task(sales_api, sales, contact):
    _add_work(sales, contact, 2)
    sales_api.get("/api/v1/tasks")  # the token's first use of the minute writes its use time
    few = _queries(lambda: sales_api.get("/api/v1/tasks"))
    _add_work(sales, contact, 5)
    assert _queries(lambda: sales_api.get("/api/v1/tasks")) == few
