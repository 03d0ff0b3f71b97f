"""The task life cycle: create, complete, reassign, link and unlink contacts, My tasks."""

import datetime as dt

import pytest
from django.utils import timezone

from kartoteka.activity import queries, services
from kartoteka.core.errors import InvalidInput, NotFound
from kartoteka.core.scope import SYSTEM
from tests.factories import UserFactory, make_contact


def _kinds(actor, contact):
    return list(queries.timeline(actor, contact.pk).values_list("kind", flat=True))


def test_creating_a_task_lands_on_each_linked_contacts_timeline(admin, sales, contact):
    second = make_contact(owners=[sales])
    task = services.create_task(
        admin,
        data={
            "title": "Send the offer",
            "assignees": ["sergio"],
            "contacts": [contact.pk, second.pk],
        },
    )
    for linked in (contact, second):
        entry = queries.timeline(admin, linked.pk, kinds=["task_created"]).get()
        assert entry.payload["summary"] == "Send the offer"
        assert entry.payload["assignees"] == ["sergio"]
        assert entry.detail_id == task.pk


def test_task_without_assignees_goes_to_its_creator(sales, contact):
    task = services.create_task(sales, data={"title": "Call back", "contacts": [contact.pk]})
    assert list(task.assignees.all()) == [sales]


def test_assignee_is_notified_of_a_new_task(admin, sales, contact):
    services.create_task(
        admin, data={"title": "Call Marta", "assignees": ["sergio"], "contacts": [contact.pk]}
    )
    notification = queries.notifications_for(sales).get()
    assert notification.kind == "task_assigned"
    assert notification.contact == contact


def test_completing_a_task_is_recorded_and_stamped(sales, contact):
    task = services.create_task(sales, data={"title": "Call", "contacts": [contact.pk]})
    services.update_task(sales, task, data={"status": "done"})
    task.refresh_from_db()
    assert task.completed_at is not None
    assert _kinds(sales, contact)[0] == "task_completed"


def test_reopening_a_task_clears_its_completion(sales, contact):
    task = services.create_task(sales, data={"title": "Call", "status": "done"})
    services.update_task(sales, task, data={"status": "in_progress"})
    task.refresh_from_db()
    assert task.completed_at is None


def test_reassigning_a_task_is_recorded_and_notifies_the_new_assignee(admin, sales, contact):
    colleague = UserFactory(username="carla", role="sales")
    task = services.create_task(
        admin, data={"title": "Visit", "assignees": ["sergio"], "contacts": [contact.pk]}
    )
    services.update_task(admin, task, data={"assignees": ["carla"]})
    entry = queries.timeline(admin, contact.pk, kinds=["task_reassigned"]).get()
    assert (entry.payload["old"], entry.payload["new"]) == (["sergio"], ["carla"])
    assert queries.notifications_for(colleague).filter(kind="task_assigned").exists()


def test_a_task_cannot_lose_all_its_assignees(sales):
    task = services.create_task(sales, data={"title": "Call"})
    with pytest.raises(InvalidInput) as error:
        services.update_task(sales, task, data={"assignees": [], "title": "Renamed"})
    assert "assignees" in error.value.errors
    task.refresh_from_db()
    assert task.title == "Call"


def test_bad_task_input_names_every_field(sales):
    with pytest.raises(InvalidInput) as error:
        services.create_task(
            sales,
            data={"title": "", "status": "later", "assignees": ["ghost"], "due_at": "tomorrow"},
        )
    assert set(error.value.errors) == {"title", "status", "assignees", "due_at"}


def test_sales_user_cannot_link_another_users_contact(sales, others_contact):
    with pytest.raises(InvalidInput) as error:
        services.create_task(sales, data={"title": "x", "contacts": [others_contact.pk]})
    assert error.value.errors["contacts"] == [f"No such contact: {others_contact.pk}."]


def test_linking_and_unlinking_a_contact_land_on_its_timeline(sales, contact):
    task = services.create_task(sales, data={"title": "Follow up"})
    services.link_task_contact(sales, task, contact)
    services.unlink_task_contact(sales, task, contact)
    assert _kinds(sales, contact)[:2] == ["task_unlinked", "task_linked"]
    assert not task.contacts.exists()


def test_task_of_another_sales_user_is_hidden(sales, other_sales, others_contact):
    task = services.create_task(
        other_sales, data={"title": "Mine", "contacts": [others_contact.pk]}
    )
    with pytest.raises(NotFound):
        queries.get_task(sales, task.pk)
    with pytest.raises(NotFound):
        services.update_task(sales, task, data={"status": "done"})


def test_rules_can_create_tasks_without_a_user(sales, contact):
    task = services.create_task(
        SYSTEM,
        data={"title": "Welcome call", "assignees": ["sergio"], "contacts": [contact.pk]},
        actor_label="rule: Welcome",
    )
    entry = queries.timeline(sales, contact.pk, kinds=["task_created"]).get()
    assert entry.actor_label == "rule: Welcome"
    assert task.created_by_label == "rule: Welcome"


def test_my_tasks_are_split_into_overdue_today_and_upcoming(sales):
    now = timezone.make_aware(dt.datetime(2026, 5, 4, 12, 0))
    for title, due in [
        ("late", now - dt.timedelta(hours=2)),
        ("today", now + dt.timedelta(hours=3)),
        ("next week", now + dt.timedelta(days=7)),
        ("someday", None),
    ]:
        services.create_task(sales, data={"title": title, "due_at": due})
    done = services.create_task(sales, data={"title": "finished", "due_at": now})
    services.update_task(sales, done, data={"status": "done"})
    groups = queries.my_tasks(sales, now=now)
    titles = {name: [t.title for t in tasks] for name, tasks in groups.items()}
    assert titles == {"overdue": ["late"], "today": ["today"], "upcoming": ["next week", "someday"]}


def test_reassignment_summary_names_who_had_and_who_has_the_task(admin, sales, contact):
    UserFactory(username="carla", role="sales")
    task = services.create_task(
        admin, data={"title": "Visit", "assignees": ["sergio"], "contacts": [contact.pk]}
    )
    services.update_task(admin, task, data={"assignees": ["carla", "sergio"]})
    entry = queries.timeline(admin, contact.pk, kinds=["task_reassigned"]).get()
    assert entry.payload["summary"] == "Visit (sergio → carla, sergio)"
