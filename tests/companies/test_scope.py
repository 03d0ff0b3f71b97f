"""Who sees a company: a sales user sees one when they see one of its people or deals (or
created it), and on it only the people and deals they may see, through page, list, API and
export alike."""

import pytest
from django.test import Client

from kartoteka.companies import services
from kartoteka.contacts.models import Company
from kartoteka.core.scope import SYSTEM
from tests.factories import make_contact, make_deal

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(sales, other_sales):
    mine = make_contact(SYSTEM, first_name="Mina", company="Acme", owners=[sales])
    theirs = make_contact(SYSTEM, first_name="Teo", company="Acme", owners=[other_sales])
    return mine.company, mine, theirs


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def test_sales_user_sees_the_company_and_only_their_people(acme, sales_api, sales):
    company, mine, theirs = acme
    body = sales_api.get(f"/api/v1/companies/{company.pk}").json()
    assert [p["contact"] for p in body["people"]] == [mine.pk]
    page = _client(sales).get(f"/companies/{company.pk}/")
    assert page.status_code == 200
    assert "Mina" in page.content.decode() and "Teo" not in page.content.decode()


def test_a_company_without_anything_of_theirs_is_not_found(sales_api, sales, other_sales):
    hidden = make_contact(SYSTEM, company="Hidden", owners=[other_sales]).company
    assert sales_api.get(f"/api/v1/companies/{hidden.pk}").status_code == 404
    assert sales_api.patch(f"/api/v1/companies/{hidden.pk}", {"industry": "X"}).status_code == 404
    assert _client(sales).get(f"/companies/{hidden.pk}/").status_code == 404
    assert sales_api.get("/api/v1/companies").json()["items"] == []
    export = _client(sales).get("/companies/export/").content.decode()
    assert "Hidden" not in export
    listing = _client(sales).get("/companies/").content.decode()
    assert "Hidden" not in listing


def test_a_member_or_a_deal_makes_the_company_visible(sales, other_sales, sales_api):
    company = make_contact(SYSTEM, company="Beta", owners=[other_sales]).company
    mine = make_contact(SYSTEM, owners=[sales])
    services.set_person(SYSTEM, company, contact_id=mine.pk, role="Advisor")
    assert sales_api.get(f"/api/v1/companies/{company.pk}").status_code == 200

    gamma_person = make_contact(SYSTEM, company="Gamma", owners=[other_sales])
    make_deal(contacts=[gamma_person], owner=sales.username)
    body = sales_api.get(f"/api/v1/companies/{gamma_person.company_id}").json()
    assert body["people"] == []  # the deal shows the company, not the person
    assert len(body["deals"]) == 1


def test_deals_shown_are_only_the_visible_ones(acme, sales_api, other_sales):
    company, mine, theirs = acme
    make_deal(contacts=[mine], name="Ours")
    make_deal(contacts=[theirs], name="Theirs", owner=other_sales.username)
    body = sales_api.get(f"/api/v1/companies/{company.pk}").json()
    assert [d["name"] for d in body["deals"]] == ["Ours"]


def test_sales_user_sees_a_company_they_created(sales_api):
    made = sales_api.post("/api/v1/companies", {"name": "Brand new"}).json()
    assert sales_api.get(f"/api/v1/companies/{made['id']}").status_code == 200


def test_timeline_hides_entries_about_people_out_of_scope(acme, sales_api, sales, admin):
    company, mine, theirs = acme
    services.set_person(admin, company, contact_id=theirs.pk, role="Boss")
    page = _client(sales).get(f"/companies/{company.pk}/").content.decode()
    assert "Teo" not in page


def test_sales_user_may_not_add_someone_they_cannot_see(acme, sales_api, other_sales):
    company, mine, theirs = acme
    answer = sales_api.patch(
        f"/api/v1/companies/{company.pk}", {"people": [{"contact": theirs.pk}]}
    )
    assert answer.status_code == 422
    assert Company.objects.get(pk=company.pk).memberships.count() == 0


def test_deals_of_every_member_show_in_the_viewers_scope(sales, other_sales, sales_api, admin_api):
    company = make_contact(SYSTEM, company="Delta", owners=[sales]).company
    member = make_contact(SYSTEM, first_name="Mia", company="Elsewhere", owners=[sales])
    services.set_person(SYSTEM, company, contact_id=member.pk, role="Advisor")
    hidden_member = make_contact(SYSTEM, first_name="Hugo", owners=[other_sales])
    services.set_person(SYSTEM, company, contact_id=hidden_member.pk)
    make_deal(contacts=[member], name="Member deal", owner=sales.username)
    make_deal(contacts=[hidden_member], name="Hidden deal", owner=other_sales.username)
    make_deal(contacts=[make_contact(SYSTEM, owners=[sales])], name="Unrelated")
    body = sales_api.get(f"/api/v1/companies/{company.pk}").json()
    assert [d["name"] for d in body["deals"]] == ["Member deal"]
    page = _client(sales).get(f"/companies/{company.pk}/").content.decode()
    assert "Member deal" in page and "Hidden deal" not in page
    everything = admin_api.get(f"/api/v1/companies/{company.pk}").json()
    assert sorted(d["name"] for d in everything["deals"]) == ["Hidden deal", "Member deal"]


def test_a_deal_of_a_member_makes_the_company_visible(sales, other_sales, sales_api):
    company = make_contact(SYSTEM, company="Epsilon", owners=[other_sales]).company
    member = make_contact(SYSTEM, owners=[other_sales])
    services.set_person(SYSTEM, company, contact_id=member.pk)
    make_deal(contacts=[member], name="Shared", owner=sales.username)
    body = sales_api.get(f"/api/v1/companies/{company.pk}").json()
    assert [d["name"] for d in body["deals"]] == ["Shared"]
    assert body["people"] == []
