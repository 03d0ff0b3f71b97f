"""A sales user sees the deals they own and the deals on contacts they own, nothing else,
through every door: API, board, list, search, deal page, export, reports; outside is a 404."""

from io import BytesIO

import pytest
from django.test import Client
from openpyxl import load_workbook

from kartoteka.core import scope
from kartoteka.core.scope import visible_contact_condition, visible_contacts
from kartoteka.deals.models import Deal, DealContact
from kartoteka.deals.queries import visible_deals
from tests.factories import make_contact, make_deal

pytestmark = pytest.mark.django_db


@pytest.fixture
def deals(sales, other_sales):
    mine_contact = make_contact(owners=[sales])
    theirs_contact = make_contact(owners=[other_sales], first_name="Hidden", last_name="Person")
    return {
        "owned": make_deal(owner=sales, name="Owned by me", contacts=[theirs_contact]),
        "on_my_contact": make_deal(
            owner=other_sales, name="On my contact", contacts=[mine_contact]
        ),
        "theirs": make_deal(owner=other_sales, name="Not mine", contacts=[theirs_contact]),
    }


@pytest.fixture
def sales_client(sales):
    client = Client()
    client.force_login(sales)
    return client


def test_api_list_holds_only_the_sales_users_deals(sales_api, deals):
    names = {d["name"] for d in sales_api.get("/api/v1/deals").json()["items"]}
    assert names == {"Owned by me", "On my contact"}


def test_api_read_move_and_delete_of_anothers_deal_is_404(sales_api, deals):
    deal = deals["theirs"]
    assert sales_api.get(f"/api/v1/deals/{deal.pk}").status_code == 404
    assert (
        sales_api.post(f"/api/v1/deals/{deal.pk}/move", {"stage": deal.stage_id}).status_code == 404
    )
    assert sales_api.delete(f"/api/v1/deals/{deal.pk}").status_code == 404


def test_own_deal_does_not_show_a_contact_the_user_does_not_own(sales_api, deals):
    body = sales_api.get(f"/api/v1/deals/{deals['owned'].pk}").json()
    assert body["contacts"] == []


def test_contact_deals_of_a_contact_outside_scope_is_404(sales_api, deals):
    hidden = deals["theirs"].contact_links.get().contact_id
    assert sales_api.get(f"/api/v1/contacts/{hidden}/deals").status_code == 404


def test_a_deal_cannot_be_put_on_a_contact_outside_scope(sales_api, deals):
    hidden = deals["theirs"].contact_links.get().contact_id
    answer = sales_api.post("/api/v1/deals", {"name": "Sneaky", "contacts": [hidden]})
    assert answer.status_code == 422


def test_board_list_and_search_show_only_the_users_deals(sales_client, deals):
    for url in ("/deals/", "/deals/list/", "/deals/list/?q=Not"):
        html = sales_client.get(url).content.decode()
        assert "Not mine</a>" not in html and "Hidden Person" not in html, url
    assert "Owned by me" in sales_client.get("/deals/").content.decode()


def test_deal_page_and_move_of_anothers_deal_are_404(sales_client, deals):
    deal = deals["theirs"]
    assert sales_client.get(f"/deals/{deal.pk}/").status_code == 404
    assert sales_client.post(f"/deals/{deal.pk}/move/", {"stage": deal.stage_id}).status_code == 404


def test_export_holds_only_the_users_deals(sales_client, deals):
    rows = list(
        load_workbook(BytesIO(sales_client.get("/deals/list/export/").content)).active.values
    )
    assert {r[1] for r in rows[1:]} == {"Owned by me", "On my contact"}


def test_bulk_action_skips_deals_outside_scope(sales_client, deals):
    deal = deals["theirs"]
    sales_client.post("/deals/list/bulk/", {"ids": [deal.pk], "action": "delete"})
    assert Deal.objects.filter(pk=deal.pk).exists()


def test_reports_cover_only_the_users_deals(sales_client, deals):
    table = sales_client.get("/deals/reports/").content.decode()
    # Three open deals of 1,000.00 each exist; the sales user sees two.
    assert "2,000.00" in table and "3,000.00" not in table


def test_the_contact_condition_tests_the_field_it_is_given(admin, sales):
    mine = make_contact(admin, owners=[sales])
    theirs = make_contact(admin)
    make_deal(contacts=[mine])
    make_deal(contacts=[theirs])
    links = DealContact.objects.filter(visible_contact_condition(sales, outer_ref="contact_id"))
    assert [link.contact_id for link in links] == [mine.pk]


def test_a_change_of_the_scope_rule_reaches_contacts_and_deals_alike(admin, sales, monkeypatch):
    owned = make_contact(admin, owners=[admin])
    make_contact(admin, owners=[sales])
    on_owned = make_deal(owner=sales, contacts=[owned])
    make_deal(owner=sales)
    # An admin restricted to what they own, changed in core.scope alone.
    monkeypatch.setattr(scope, "reach", lambda actor: scope.OWNED)
    assert list(visible_contacts(admin)) == [owned]
    assert list(visible_deals(admin)) == [on_owned]


def test_a_closed_column_on_demand_holds_only_the_users_deals(sales_client, deals, admin):
    from kartoteka.deals import services

    won = deals["theirs"].pipeline.stages.get(key="won")
    for deal in deals.values():
        services.move_deal(admin, deal, stage=won.pk)
    more = sales_client.get(f"/deals/board/{won.pipeline_id}/stages/{won.pk}/more/")
    html = more.content.decode()
    assert "Owned by me" in html and "On my contact" in html
    assert "Not mine" not in html and "Hidden Person" not in html
    board = sales_client.get("/deals/").content.decode()
    assert 'class="column-count" title="Deals">2<' in board
