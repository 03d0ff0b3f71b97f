"""The board's first render: a fixed number of statements whatever the number of columns and
cards, each card's "Move to…" menu, and a sales user's cards through the scope test."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from kartoteka.contacts.models import ContactOwner
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
    ContactOwner.objects.create(contact=theirs, user=sales)
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
