"""Who may see a deal through its contacts (DealViewer): after every change of a deal's
contacts or of a contact's owners, through every door, the copy equals the rule computed from
the links and the ownership rows; and what a sales user reads from it equals the deals they
saw before it existed (theirs, and those linked to a contact they own)."""

import pytest
from django.db import connection
from django.db.models import Exists, OuterRef, Q

from kartoteka.contacts import services as contacts
from kartoteka.contacts.models import Contact, ContactOwner
from kartoteka.deals import queries, services
from kartoteka.deals.models import Deal, DealContact, DealViewer
from kartoteka.duplicates.services import merge_contacts, undo_merge
from kartoteka.privacy.services import forget_contact
from tests.conftest import ApiClient
from tests.factories import UserFactory, make_contact, make_deal, sales_pipeline

pytestmark = pytest.mark.django_db


def assert_viewers_exact() -> None:
    """DealViewer holds exactly one row per (owner, deal, contact) of links joined with
    ownership rows, no more and no fewer."""
    rule = {
        (owner, deal, contact)
        for deal, contact in DealContact.objects.filter(contact__isnull=False).values_list(
            "deal_id", "contact_id"
        )
        for owner in ContactOwner.objects.filter(contact_id=contact).values_list(
            "user_id", flat=True
        )
    }
    rows = list(DealViewer.objects.values_list("user_id", "deal_id", "contact_id"))
    assert len(rows) == len(set(rows))
    assert set(rows) == rule


def seen_the_old_way(user) -> set[int]:
    """A sales user's deals by the rule itself: theirs, or linked to a contact they own."""
    on_theirs = DealContact.objects.filter(deal=OuterRef("pk"), contact__ownerships__user=user)
    return set(Deal.objects.filter(Q(owner=user) | Exists(on_theirs)).values_list("pk", flat=True))


@pytest.fixture
def team(db):
    sales_pipeline()
    return UserFactory(username="sergio"), UserFactory(username="olga")


def test_deals_created_edited_and_deleted_keep_the_copy(admin, team):
    sergio, olga = team
    a, b, c = make_contact(owners=[sergio]), make_contact(owners=[olga, sergio]), make_contact()
    deal = make_deal(contacts=[a, c])
    assert_viewers_exact()
    deal = services.update_deal(admin, deal, data={"contacts": [b.pk, c.pk]})
    assert_viewers_exact()
    assert set(DealViewer.objects.filter(deal=deal).values_list("user_id", flat=True)) == {
        sergio.pk,
        olga.pk,
    }
    services.update_deal(admin, Deal.objects.get(pk=deal.pk), data={"contacts": [c.pk]})
    assert_viewers_exact()
    assert not DealViewer.objects.filter(deal=deal).exists()
    other = make_deal(contacts=[a, b])
    services.delete_deal(admin, Deal.objects.get(pk=other.pk))
    assert_viewers_exact()


def test_deals_created_in_bulk_keep_the_copy(admin, team):
    sergio, _olga = team
    people = [make_contact(owners=[sergio]) for _ in range(3)] + [make_contact()]
    stage = sales_pipeline().stages.get(key="new")
    services.create_resolved_deals(
        admin,
        deals=[
            services.NewDeal(
                name=f"D{n}", amount=1, owner=None, type=None, stage=stage, contact_id=p.pk
            )
            for n, p in enumerate(people)
        ],
    )
    services.create_deals(admin, rows=[{"name": "Two", "contacts": [people[0].pk, people[3].pk]}])
    assert_viewers_exact()
    assert DealViewer.objects.filter(user=sergio).count() == 4


def test_a_deals_import_keeps_the_copy(capsys, tmp_path, team):
    from kartoteka.cli import main

    sergio, _olga = team
    make_contact(email="ana@example.com", owners=[sergio])
    path = tmp_path / "deals.csv"
    path.write_text("name,email\nMine,ana@example.com\n", encoding="utf-8")
    assert main(["deals", "import", str(path)]) == 0
    capsys.readouterr()
    assert_viewers_exact()
    assert DealViewer.objects.filter(user=sergio).count() == 1


def test_owners_changed_on_the_card_the_api_and_in_bulk_keep_the_copy(admin, team):
    sergio, olga = team
    people = [make_contact() for _ in range(4)]
    for person in people:
        make_deal(contacts=[person])
    contacts.update_contact(admin, people[0], data={"owners": [sergio.username]})
    assert_viewers_exact()
    contacts.set_owners(admin, people[0], owners=[olga.username, sergio.username])
    assert_viewers_exact()
    answer = ApiClient(admin).patch(f"/api/v1/contacts/{people[1].pk}", {"owners": ["olga"]})
    assert answer.status_code == 200
    assert_viewers_exact()
    contacts.apply_bulk_action(
        admin,
        Contact.objects.filter(pk__in=[p.pk for p in people[:3]]),
        action="set_owner",
        value="sergio",
    )
    assert_viewers_exact()
    change = contacts.start_bulk_change(
        admin, action="set_owner", value="olga", params={}, clients=False
    )
    contacts.run_bulk_change(change.pk)
    assert_viewers_exact()
    assert DealViewer.objects.filter(user=olga).count() == 4
    assert not DealViewer.objects.filter(user=sergio).exists()
    contacts.delete_contact(admin, Contact.objects.get(pk=people[0].pk))
    assert_viewers_exact()


def test_an_import_with_owners_keeps_the_copy(admin, team, tmp_path):
    from tests.transfer.helpers import run, write

    sergio, _olga = team
    ana = make_contact(email="ana@example.com", owners=[sergio])
    make_deal(contacts=[ana])
    # New contacts get the import's owner; existing ones (ana) keep theirs.
    run(admin, write(tmp_path, "q.csv", "email\nnew@example.com\nana@example.com\n"), owner="olga")
    assert_viewers_exact()
    assert list(DealViewer.objects.values_list("user_id", flat=True)) == [sergio.pk]


def test_a_merge_and_its_undo_keep_the_copy(admin, team):
    sergio, olga = team
    survivor, merged = make_contact(owners=[sergio]), make_contact(owners=[olga])
    both = make_deal(contacts=[merged, survivor])
    theirs = make_deal(contacts=[merged])
    make_deal(contacts=[survivor])
    assert_viewers_exact()
    (record,) = merge_contacts(admin, survivor_id=survivor.pk, merged_ids=[merged.pk])
    assert_viewers_exact()
    assert set(DealViewer.objects.filter(deal=both).values_list("user_id", flat=True)) == {
        sergio.pk,
        olga.pk,
    }
    undo_merge(admin, record)
    assert_viewers_exact()
    assert set(DealViewer.objects.filter(deal=theirs).values_list("user_id", flat=True)) == {
        olga.pk
    }


def test_forget_keeps_the_copy(admin, team):
    sergio, _olga = team
    person, other = make_contact(owners=[sergio]), make_contact(owners=[sergio])
    make_deal(contacts=[person, other])
    make_deal(contacts=[person])
    forget_contact(admin, person)
    assert_viewers_exact()
    assert DealViewer.objects.filter(user=sergio).count() == 1


def test_the_demo_keeps_the_copy():
    from kartoteka.contacts.demo import load_demo

    load_demo(300, progress=lambda line: None)
    assert_viewers_exact()


def test_a_sales_users_reads_equal_the_rule(admin, team):
    sergio, olga = team
    pipeline = sales_pipeline()
    mine = [make_contact(owners=[sergio]) for _ in range(5)]
    shared = make_contact(owners=[sergio, olga])
    others = [make_contact(owners=[olga]) for _ in range(5)]
    for n in range(30):
        people = [mine[n % 5]] if n % 3 == 0 else [others[n % 5]]
        if n % 7 == 0:
            people.append(shared)
        owner = [None, sergio, olga][n % 3 if n % 4 else 0]
        make_deal(contacts=people, owner=owner)
    for user in (sergio, olga):
        expected = seen_the_old_way(user)
        assert set(queries.visible_deals(user).values_list("pk", flat=True)) == expected
        columns = queries.board(user, pipeline, queries.DealFilters())
        in_pipeline = Deal.objects.filter(pk__in=expected, pipeline=pipeline)
        for column in columns:
            in_stage = set(in_pipeline.filter(stage=column.stage).values_list("pk", flat=True))
            assert column.count == len(in_stage)
            assert {d.pk for d in column.deals} <= in_stage
        moved = queries.board(
            user, pipeline, queries.DealFilters(), only={c.stage.pk for c in columns[:2]}
        )
        assert [(c.count, [d.pk for d in c.deals]) for c in moved] == [
            (c.count, [d.pk for d in c.deals]) for c in columns[:2]
        ]
        listed = ApiClient(user).get("/api/v1/deals", limit=100).json()
        assert {item["id"] for item in listed["items"]} == expected
        for pk in Deal.objects.values_list("pk", flat=True):
            found = queries.visible_deals(user).filter(pk=pk).exists()
            assert found == (pk in expected)


def test_the_migration_fills_the_copy_for_existing_deals_and_owners(team):
    from importlib import import_module

    sergio, olga = team
    people = [make_contact(owners=[sergio]), make_contact(owners=[olga, sergio]), make_contact()]
    make_deal(contacts=people)
    make_deal(contacts=people[1:])
    # As the data stood before the table existed.
    DealViewer.objects.all().delete()
    migration = import_module("kartoteka.deals.migrations.0006_deal_viewers")
    with connection.cursor() as cursor:
        cursor.execute(migration.FILL)
    assert_viewers_exact()
    assert DealViewer.objects.count() == 5
