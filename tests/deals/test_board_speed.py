"""The board's first render: a fixed number of statements whatever the number of columns and
cards, each card's "Move to…" menu, and a sales user's cards through the scope test."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from kartoteka.contacts.services import set_owners
from kartoteka.core.scope import SYSTEM
from tests.factories import make_contact, make_deal, sales_pipeline

pytestmark = pytest.mark.django_db


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _stage(key):
    return sales_pipeline().stages.get(key=key)


def _statements(client, url) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_board_statements_do_not_grow_with_cards_or_columns(admin):
    client = _client(admin)
    pipeline = sales_pipeline()
    make_deal(stage=_stage("new").pk)
    few = _statements(client, f"/deals/board/{pipeline.pk}/")
    for key in ("new", "qualified", "proposal", "negotiation"):
        for _ in range(3):
            make_deal(stage=_stage(key).pk, contacts=[make_contact()])
    assert _statements(client, f"/deals/board/{pipeline.pk}/") == few


def test_a_columns_next_cards_take_the_same_statements_however_many(admin):
    client = _client(admin)
    pipeline = sales_pipeline()
    new = _stage("new").pk
    more = f"/deals/board/{pipeline.pk}/stages/{new}/more/"
    first = make_deal(stage=new, owner=admin, contacts=[make_contact()])
    few = _statements(client, f"{more}?after={first.pk + 1}")
    last = [make_deal(stage=new, owner=admin, contacts=[make_contact()]) for _ in range(12)][-1]
    assert _statements(client, f"{more}?after={last.pk + 1}") == few


def test_card_menu_offers_every_other_open_stage_and_comes_back_to_the_board(admin):
    client = _client(admin)
    deal = make_deal(stage=_stage("qualified").pk)
    html = client.get("/deals/", {"owner": ""}).content.decode()
    card = html[html.index(f'data-deal="{deal.pk}"') :]
    card = card[: card.index("</li>")]
    offered = set(re.findall(r'name="stage" value="(\d+)"', card))
    stages = {str(s.pk) for s in sales_pipeline().stages.all()}
    assert offered == stages - {str(_stage("qualified").pk)}
    assert f'action="/deals/{deal.pk}/move/"' in card
    assert 'name="next" value="/deals/?owner="' in card
    assert f'name="version" value="{deal.version}"' in card
    assert 'name="csrfmiddlewaretoken"' in card


def test_more_cards_move_back_to_the_board_not_to_the_fragment(admin):
    client = _client(admin)
    deals = [make_deal(owner=admin) for _ in range(22)]
    pipeline = sales_pipeline()
    more = client.get(
        f"/deals/board/{pipeline.pk}/stages/{_stage('new').pk}/more/",
        {"after": deals[2].pk, "owner": admin.username},
    ).content.decode()
    assert f'value="/deals/board/{pipeline.pk}/?owner={admin.username}"' in more


def test_sales_user_board_counts_and_shows_only_their_deals(admin, sales):
    theirs, others = make_contact(), make_contact()
    set_owners(SYSTEM, theirs, owners=[sales])
    on_their_contact = make_deal(name="On their contact", contacts=[theirs], amount="100")
    owned = make_deal(name="Owned by them", owner=sales, contacts=[others], amount="10")
    make_deal(name="Not theirs", contacts=[others], amount="1000")
    html = _client(sales).get("/deals/").content.decode()
    assert "On their contact" in html and "Owned by them" in html
    assert "Not theirs" not in html
    # The count and total of the New column are theirs alone; a deal they own does not show
    # them a contact they do not own.
    assert "110.00" in html and "1,110.00" not in html
    assert str(others) not in html
    assert on_their_contact.pk and owned.pk


def test_sales_user_columns_count_each_deal_they_see_once(admin, sales, other_sales):
    from kartoteka.deals import queries

    mine_a, mine_b = make_contact(owners=[sales]), make_contact(owners=[sales])
    others = make_contact(owners=[other_sales])
    new = _stage("new").pk
    make_deal(owner=sales, contacts=[mine_a], amount="1", stage=new)  # owned and linked
    make_deal(contacts=[mine_a, mine_b], amount="10", stage=new)  # two of their contacts
    make_deal(owner=other_sales, contacts=[mine_b], amount="100", stage=new)
    make_deal(owner=sales, amount="10000", stage=new)  # owned, no contact
    make_deal(owner=other_sales, contacts=[others], amount="1000", stage=new)  # not theirs
    make_deal(contacts=[others], amount="100000", stage=new)  # nobody's, not theirs
    # The whole board (from the user's side) and a move's columns (each deal tested) agree.
    for only in (None, {new}):
        columns = queries.board(
            sales, sales_pipeline(), queries.DealFilters(), cards=False, only=only
        )
        column = next(c for c in columns if c.stage.pk == new)
        assert column.count == 4 == queries.visible_deals(sales).filter(stage=new).count()
        assert [(a.currency, a.total) for a in column.totals] == [("EUR", Decimal("10111.00"))]
    by_owner = queries.DealFilters(owner=other_sales.username)
    for only in (None, {new}):
        columns = queries.board(sales, sales_pipeline(), by_owner, cards=False, only=only)
        column = next(c for c in columns if c.stage.pk == new)
        assert (column.count, column.totals[0].total) == (1, Decimal("100.00"))


def test_a_moves_columns_hold_what_the_whole_board_holds(admin, sales, other_sales):
    """A move answers two columns read another way (each deal tested, by stage): the same
    counts and totals as the board's, for every kind of deal a sales user sees or not."""
    from kartoteka.deals import queries

    mine, others = make_contact(owners=[sales]), make_contact(owners=[other_sales])
    stages = [_stage(key).pk for key in ("new", "qualified", "won")]
    for n, stage in enumerate(stages * 4):
        owner = (sales, other_sales, None)[n % 3]
        contacts = ([mine], [others], [mine, others], [])[n % 4]
        make_deal(owner=owner, contacts=contacts, amount=str(10**n % 9973), stage=stage)
    make_deal(owner=sales, stage=_stage("new").pk, currency="PLN", amount="7")
    for actor in (admin, sales, other_sales):
        whole = {
            c.stage.pk: (c.count, c.totals)
            for c in queries.board(actor, sales_pipeline(), queries.DealFilters(), cards=False)
        }
        two = queries.board(
            actor, sales_pipeline(), queries.DealFilters(), cards=False, only=set(stages[:2])
        )
        assert {c.stage.pk: (c.count, c.totals) for c in two} == {
            pk: whole[pk] for pk in stages[:2]
        }
        for pk in stages:
            assert whole[pk][0] == queries.visible_deals(actor).filter(stage=pk).count()


def test_counts_are_read_without_the_deals_ids(admin, sales):
    """COUNT(*), not COUNT(id): PostgreSQL answers a count from an index that holds every
    column it reads, and its indexes do not hold the id."""
    pipeline = sales_pipeline()
    make_deal(owner=sales, contacts=[make_contact(owners=[sales])])
    for user in (admin, sales):
        client = _client(user)
        client.get(f"/deals/board/{pipeline.pk}/")
        with CaptureQueriesContext(connection) as captured:
            client.get(f"/deals/board/{pipeline.pk}/")
        counts = [q["sql"] for q in captured.captured_queries if "SUM(" in q["sql"]]
        assert counts and all("COUNT(*)" in sql for sql in counts)


def test_sales_user_columns_total_each_currency_of_their_deals(sales, other_sales):
    from kartoteka.deals import queries

    mine = make_contact(owners=[sales])
    new = _stage("new").pk
    make_deal(owner=sales, amount="5", currency="PLN", stage=new)
    make_deal(owner=other_sales, contacts=[mine], amount="7", currency="PLN", stage=new)
    make_deal(owner=other_sales, contacts=[mine], amount="3", stage=new)
    make_deal(owner=other_sales, amount="9", currency="PLN", stage=new)
    columns = queries.board(sales, sales_pipeline(), queries.DealFilters(), cards=False)
    column = next(c for c in columns if c.stage.pk == new)
    assert column.count == 3
    assert [(a.currency, a.total) for a in column.totals] == [
        ("EUR", Decimal("3.00")),
        ("PLN", Decimal("12.00")),
    ]


def test_closed_columns_show_their_cards_on_demand(admin):
    client = _client(admin)
    pipeline = sales_pipeline()
    won = _stage("won")
    deal = make_deal(name="Closed earlier", stage=won.pk)
    make_deal(name="Still open")
    html = client.get(f"/deals/board/{pipeline.pk}/?owner=").content.decode()
    assert "Still open" in html and "Closed earlier" not in html
    more = f"/deals/board/{pipeline.pk}/stages/{won.pk}/more/?owner="
    assert f'hx-get="{more}"' in html
    assert f'href="/deals/list/?pipeline={pipeline.pk}&amp;stage={won.pk}&amp;owner="' in html
    cards = client.get(more).content.decode()
    assert "Closed earlier" in cards and f'data-deal="{deal.pk}"' in cards


def test_an_empty_closed_column_offers_nothing_to_show(admin):
    html = _client(admin).get("/deals/").content.decode()
    assert "/more/" not in html


def test_sales_users_first_cards_are_their_newest_deals_owned_or_on_their_contacts(
    sales, other_sales
):
    from kartoteka.deals import queries

    mine, others = make_contact(owners=[sales]), make_contact(owners=[other_sales])
    for n in range(33):
        kind = n % 3
        if kind == 0:
            make_deal(owner=sales)
        elif kind == 1:
            make_deal(owner=other_sales, contacts=[mine])
        else:
            make_deal(owner=other_sales, contacts=[others])
    new = _stage("new").pk
    column = next(
        c
        for c in queries.board(sales, sales_pipeline(), queries.DealFilters())
        if c.stage.pk == new
    )
    expected = list(
        queries.visible_deals(sales).filter(stage=new).order_by("-pk").values_list("pk", flat=True)
    )
    assert len(expected) == 22 == column.count
    assert [d.pk for d in column.deals] == expected[:20]
    assert column.next_after == expected[19]
