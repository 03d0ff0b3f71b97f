"""The contact list and the Clients view: scope, filters, sort, columns, pages, bulk actions."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kartoteka.contacts import services as contact_services
from kartoteka.contacts import views
from kartoteka.contacts.models import Contact
from kartoteka.core.scope import SYSTEM
from tests.factories import make_contact
from tests.segments.helpers import build_detail_indexes

LIST = "/contacts/"


def names(response) -> list[str]:
    return [c.full_name for c in response.context["page"].contacts]


def test_sales_user_sees_only_their_own_contacts(sales_client, contact, others_contact):
    assert names(sales_client.get(LIST)) == ["Marta Nowak"]


def test_admin_sees_every_contact(admin_client, contact, others_contact):
    assert sorted(names(admin_client.get(LIST))) == ["Marta Nowak", "Pablo Ruiz"]


def test_search_finds_by_company(admin_client, contact, others_contact):
    assert names(admin_client.get(LIST, {"q": "acme"})) == ["Marta Nowak"]


def test_quick_filter_by_tag_and_owner(admin_client, contact, others_contact, admin):
    contact_services.add_tags(admin, others_contact, names=["vip"])
    assert names(admin_client.get(LIST, {"tag": "VIP"})) == ["Pablo Ruiz"]
    assert names(admin_client.get(LIST, {"owner": "sergio"})) == ["Marta Nowak"]


def test_created_in_the_last_days(admin_client, admin):
    old = contact_services.create_contact(
        admin,
        data={"email": "old@example.com", "first_name": "Old"},
        created_at=timezone.now() - dt.timedelta(days=40),
    )
    make_contact(admin, first_name="Fresh", last_name="")
    shown = names(admin_client.get(LIST, {"last_days": "7"}))
    assert shown == ["Fresh"] and old.full_name not in shown


def test_bad_filter_values_get_a_message_not_an_error(admin_client, contact):
    response = admin_client.get(LIST, {"created_from": "yesterday", "last_days": "-3"})
    assert response.status_code == 200
    assert "Enter a date as YYYY-MM-DD." in response.content.decode()


def test_sort_by_a_shown_column(admin_client, admin):
    for name in ("Celia", "Ana", "Bruno"):
        make_contact(admin, first_name="X", last_name=name)
    assert names(admin_client.get(LIST, {"sort": "name"})) == ["X Ana", "X Bruno", "X Celia"]
    assert names(admin_client.get(LIST, {"sort": "-name"})) == ["X Celia", "X Bruno", "X Ana"]


def test_keyset_pages_walk_forward_and_back(admin_client, admin):
    for n in range(55):
        make_contact(admin, first_name=f"P{n:02d}", last_name="", score=n % 3)
    first = admin_client.get(LIST, {"sort": "score"}).context["page"]
    assert len(first.contacts) == 50 and not first.previous_cursor
    second = admin_client.get(LIST, {"sort": "score", "after": first.next_cursor}).context["page"]
    assert len(second.contacts) == 5 and not second.next_cursor
    seen = {c.pk for c in first.contacts} | {c.pk for c in second.contacts}
    assert len(seen) == 55
    back = admin_client.get(LIST, {"sort": "score", "before": second.previous_cursor})
    assert [c.pk for c in back.context["page"].contacts] == [c.pk for c in first.contacts]


def test_list_page_queries_do_not_grow_with_rows(admin_client, admin):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            admin_client.get(LIST)
        return len(queries)

    make_contact(admin, tags=["a"])
    few = count()
    for n in range(20):
        make_contact(admin, tags=["a", f"t{n}"], owners=[admin])
    assert count() == few


def test_columns_are_saved_per_user(sales_client, sales, admin, contact):
    contact_services.define_property(admin, key="budget", label="Budget", type="number")
    sales_client.post(reverse("web:list-columns"), {"columns": ["email", "detail:budget"]})
    sales.refresh_from_db()
    assert sales.preferences["list_columns"] == ["email", "detail:budget"]
    columns = sales_client.get(LIST).context["page"].columns
    assert [c.key for c in columns] == ["email", "detail:budget"]


def test_clients_view_lists_won_contacts_newest_first(sales_client, sales):
    first = make_contact(owners=[sales], first_name="First", last_name="Client")
    second = make_contact(owners=[sales], first_name="Second", last_name="Client")
    make_contact(owners=[sales], first_name="Not", last_name="Client")
    contact_services.update_contact(SYSTEM, first, data={"status": "won"})
    contact_services.update_contact(SYSTEM, second, data={"status": "won"})
    assert names(sales_client.get(reverse("web:clients"))) == ["Second Client", "First Client"]


def test_bulk_add_tag_to_the_selection(sales_client, contact, others_contact):
    sales_client.post(
        reverse("web:contact-bulk"),
        {"action": "add_tag", "value": "fair", "ids": [contact.pk, others_contact.pk]},
    )
    assert list(contact.tags.values_list("name", flat=True)) == ["fair"]
    assert not others_contact.tags.exists()  # outside the user's scope: untouched


def test_bulk_delete_asks_for_confirmation_first(sales_client, contact):
    url = reverse("web:contact-bulk")
    response = sales_client.post(url, {"action": "delete", "ids": [contact.pk]})
    assert response.status_code == 200 and "Delete 1 contact?" in response.content.decode()
    assert Contact.objects.filter(pk=contact.pk).exists()
    sales_client.post(url, {"action": "delete", "ids": [contact.pk], "confirmed": "yes"})
    assert not Contact.objects.filter(pk=contact.pk).exists()


def test_bulk_change_owner_is_all_or_nothing(admin_client, contact, others_contact):
    admin_client.post(
        reverse("web:contact-bulk"),
        {"action": "set_owner", "value": "nobody-here", "ids": [contact.pk, others_contact.pk]},
    )
    assert list(contact.owners.values_list("username", flat=True)) == ["sergio"]


def test_count_is_served_on_demand(sales_client, contact, others_contact):
    response = sales_client.get(reverse("web:contact-count"))
    assert response.content.decode().strip() == "1 contact"


def test_sort_by_a_text_custom_detail(admin_client, admin):
    contact_services.define_property(admin, key="city_zone", label="Zone", type="text")
    for zone in ("north", "east", "south"):
        make_contact(admin, first_name=zone, last_name="", properties={"city_zone": zone})
    shown = names(admin_client.get(LIST, {"sort": "detail:city_zone"}))
    assert shown == ["east", "north", "south"]


def _walk(client, sort: str) -> tuple[list[str], list[list[str]], list[list[str]]]:
    """Every row in order by following "next" links, and each page again by "previous"."""
    pages, cursor = [], None
    while True:
        page = client.get(LIST, {"sort": sort, **({"after": cursor} if cursor else {})})
        page = page.context["page"]
        pages.append(page)
        cursor = page.next_cursor
        if not cursor:
            break
    back = [
        [
            c.full_name
            for c in client.get(LIST, {"sort": sort, "before": later.previous_cursor})
            .context["page"]
            .contacts
        ]
        for later in pages[1:]
    ]
    shown = [[c.full_name for c in page.contacts] for page in pages]
    return [name for page in shown for name in page], shown[:-1], back


def test_detail_sort_pages_put_contacts_without_the_detail_last(admin_client, admin, monkeypatch):
    """Sorted by a custom detail, ties go by id and contacts without it come last both ways
    (like blank cells), across page boundaries forwards and back."""
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    contact_services.define_property(admin, key="seats", label="Seats", type="number")
    build_detail_indexes()
    values = [3, 1, None, 3, 2, None, 1, None, 12]
    for n, seats in enumerate(values):
        make_contact(
            admin,
            first_name=f"c{n}",
            last_name="",
            properties={} if seats is None else {"seats": seats},
        )
    with_value = [n for n, seats in enumerate(values) if seats is not None]
    missing = [f"c{n}" for n, seats in enumerate(values) if seats is None]
    ascending = [f"c{n}" for n in sorted(with_value, key=lambda n: (values[n], n))]
    descending = [f"c{n}" for n in sorted(with_value, key=lambda n: (-values[n], -n))]

    rows, forward, back = _walk(admin_client, "detail:seats")
    assert rows == ascending + missing
    assert back == forward
    rows, forward, back = _walk(admin_client, "-detail:seats")
    assert rows == descending + missing[::-1]
    assert back == forward
    for garbage in ("x:1|3", "f:many|3", "3"):  # a hand-edited link starts from the top
        shown = names(admin_client.get(LIST, {"sort": "-detail:seats", "after": garbage}))
        assert shown == forward[0]


def test_last_activity_sort_puts_contacts_never_active_last(admin_client, admin, monkeypatch):
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    now = timezone.now()
    days = [4, None, 1, 4, None]
    for n, ago in enumerate(days):
        contact = make_contact(admin, first_name=f"a{n}", last_name="")
        when = None if ago is None else now - dt.timedelta(days=ago)
        Contact.objects.filter(pk=contact.pk).update(last_activity_at=when)
    rows, forward, back = _walk(admin_client, "-last_activity_at")
    assert rows == ["a2", "a3", "a0", "a4", "a1"]
    assert back == forward


def test_company_sort_puts_contacts_without_a_company_last(admin_client, admin, monkeypatch):
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    companies = ["Zeta", "", "Acme", "Zeta", "", "Bravo"]
    for n, company in enumerate(companies):
        make_contact(admin, first_name=f"k{n}", last_name="", company=company)
    rows, forward, back = _walk(admin_client, "company")
    assert rows == ["k2", "k5", "k0", "k3", "k1", "k4"]
    assert back == forward
    rows, forward, back = _walk(admin_client, "-company")
    assert rows == ["k3", "k0", "k5", "k2", "k4", "k1"]
    assert back == forward


def test_a_page_sorted_by_a_detail_reads_its_index(admin_client, admin):
    """The sort uses the detail's index (SQLite: its expression; PostgreSQL: its generated
    column) instead of reading every contact's details."""
    contact_services.define_property(admin, key="seats", label="Seats", type="number")
    build_detail_indexes()
    make_contact(admin, properties={"seats": 4})
    with CaptureQueriesContext(connection) as queries:
        admin_client.get(LIST, {"sort": "-detail:seats"})
    page_sql = next(q["sql"] for q in queries if "ORDER BY" in q["sql"] and "LIMIT" in q["sql"])
    if connection.vendor == "postgresql":
        assert '"detail_seats" IS NOT NULL' in page_sql and "->>" not in page_sql
    else:
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN QUERY PLAN {page_sql}")
            plan = str(cursor.fetchall())
        assert "segments_detail_seats" in plan and "TEMP B-TREE" not in plan


def test_bulk_tag_action_needs_a_tag_name(sales_client, contact):
    response = sales_client.post(
        reverse("web:contact-bulk"), {"action": "remove_tag", "value": " ", "ids": [contact.pk]}
    )
    assert response.status_code == 302
    assert "Enter a tag name" in sales_client.get(LIST).content.decode()


@pytest.mark.parametrize(
    ("walk_slice", "walked"),
    [(8, True), (3, False), (1000, True)],
    ids=["a page found in the list's order", "too sparse: the filter leads", "the slice ends"],
)
def test_a_filtered_list_pages_the_same_whichever_way_it_is_read(
    admin_client, admin, monkeypatch, walk_slice, walked
):
    """A filtered page is read from a slice of the unfiltered order when the filter fills it
    there, and from the filter's own matches otherwise: the rows and their pages are the same,
    forwards and back."""
    monkeypatch.setattr(views, "PAGE_SIZE", 3)
    monkeypatch.setattr(views, "WALK_SLICE", walk_slice)
    outcomes = []
    real = views._ids_walking_order

    def spy(*args, **kwargs):
        found = real(*args, **kwargs)
        outcomes.append(found is not None)
        return found

    monkeypatch.setattr(views, "_ids_walking_order", spy)
    for n in range(20):
        make_contact(admin, first_name=f"c{n:02d}", last_name="", tags=["vip"] if n % 2 else [])
    pages, cursor = [], None
    while True:
        query = {"tag": "vip", "sort": "name", **({"after": cursor} if cursor else {})}
        page = admin_client.get(LIST, query).context["page"]
        pages.append(page)
        cursor = page.next_cursor
        if not cursor:
            break
    shown = [name for page in pages for name in (c.full_name for c in page.contacts)]
    assert shown == [f"c{n:02d}" for n in range(1, 20, 2)]
    before = pages[1].previous_cursor
    back = admin_client.get(LIST, {"tag": "vip", "sort": "name", "before": before})
    assert names(back) == shown[:3]
    assert outcomes[0] is walked


def test_bulk_action_without_an_action_or_a_selection_says_both(sales_client):
    response = sales_client.post(reverse("web:contact-bulk"), {"action": "explode"}, follow=True)
    page = response.content.decode()
    assert "Choose an action." in page and "Select at least one contact." in page


def test_saving_no_columns_asks_for_one_and_keeps_the_old_ones(sales_client, sales):
    before = sales.preferences
    response = sales_client.post(reverse("web:list-columns"), {"columns": ["nope"]}, follow=True)
    assert "Choose at least one column." in response.content.decode()
    sales.refresh_from_db()
    assert sales.preferences == before
