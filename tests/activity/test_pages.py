"""The My tasks, task and notifications pages."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from kartoteka.activity import queries, services


@pytest.fixture
def browser(sales):
    client = Client()
    client.force_login(sales)
    return client


def test_my_tasks_page_groups_overdue_today_and_upcoming(browser, sales):
    now = timezone.now()
    services.create_task(sales, data={"title": "Late call", "due_at": now - dt.timedelta(days=1)})
    services.create_task(sales, data={"title": "Next month", "due_at": now + dt.timedelta(days=30)})
    page = browser.get("/tasks/").content.decode()
    assert page.index("Overdue") < page.index("Late call") < page.index("Upcoming")
    assert page.index("Upcoming") < page.index("Next month")


def test_a_task_is_created_from_the_tasks_page(browser, sales):
    response = browser.post(
        "/tasks/", {"title": "Prepare demo", "due_at": "", "assignees_present": "1"}
    )
    assert response.status_code == 302
    assert queries.find_tasks(sales, assignee=sales).get().title == "Prepare demo"


def test_tasks_page_shows_errors_next_to_the_fields(browser):
    response = browser.post("/tasks/", {"title": "", "assignees": ["ghost"]})
    assert response.status_code == 422
    page = response.content.decode()
    assert "Give the task a title." in page
    assert "No active team member is called &#x27;ghost&#x27;." in page


def test_a_task_is_reassigned_from_its_page(browser, sales, admin):
    task = services.create_task(sales, data={"title": "Visit"})
    browser.post(
        f"/tasks/{task.pk}/",
        {
            "title": "Visit",
            "status": "in_progress",
            "assignees": ["alba"],
            "assignees_present": "1",
        },
    )
    task.refresh_from_db()
    assert list(task.assignees.all()) == [admin]
    assert task.status == "in_progress"


def test_mark_done_goes_back_to_my_tasks(browser, sales):
    task = services.create_task(sales, data={"title": "Call"})
    response = browser.post(f"/tasks/{task.pk}/", {"status": "done", "next": "/tasks/"})
    assert response["Location"] == "/tasks/"
    task.refresh_from_db()
    assert task.status == "done"


def test_another_sales_users_task_page_is_404(browser, other_sales):
    task = services.create_task(other_sales, data={"title": "Private"})
    assert browser.get(f"/tasks/{task.pk}/").status_code == 404


def test_notifications_page_lists_mentions_with_who_and_where(browser, admin, sales, contact):
    services.add_comment(admin, contact, body="@sergio call her today")
    page = browser.get("/notifications/").content.decode()
    assert "mentioned you on Marta Nowak" in page
    assert "call her today" in page


def test_reading_all_notifications_clears_the_badge(browser, admin, sales, contact):
    services.add_comment(admin, contact, body="@sergio one")
    browser.post("/notifications/read/")
    assert "data-unread" not in browser.get("/notifications/badge/").content.decode()
