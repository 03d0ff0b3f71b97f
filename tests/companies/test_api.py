"""The companies API: create, read, patch, delete, people with one primary, merge and undo,
and bad input everywhere answered as problem+json without writing anything."""

import pytest

from kartoteka.companies.models import CompanyField, CompanyMerge, Entry, Membership, Profile
from kartoteka.contacts.models import Company, Contact
from tests.factories import make_contact

pytestmark = pytest.mark.django_db


def _create(api, **data):
    data.setdefault("name", "Acme")
    return api.post("/api/v1/companies", data)


def test_admin_creates_a_company_with_its_profile_and_people(admin_api):
    ana = make_contact(first_name="Ana")
    answer = _create(
        admin_api,
        domain="https://www.Acme.es/about",
        industry="Retail",
        size="11-50",
        phone="+34 600 123 456",
        city="Madrid",
        country="Spain",
        people=[{"contact": ana.pk, "role": "Buyer", "job_title": "CFO", "primary": True}],
    )
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert body["domain"] == "acme.es"
    assert (body["size"], body["country"], body["phone"]) == ("11-50", "ES", "+34600123456")
    assert body["people"] == [
        {"contact": ana.pk, "name": str(ana), "role": "Buyer", "job_title": "CFO", "primary": True}
    ]
    ana.refresh_from_db()
    assert ana.company_id == body["id"]
    assert "acme" in ana.search_text


@pytest.mark.parametrize(
    "data, field",
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "X", "domain": "not a domain"}, "domain"),
        ({"name": "X", "size": "huge"}, "size"),
        ({"name": "X", "phone": "abc"}, "phone"),
        ({"name": "X", "country": "Atlantis"}, "country"),
        ({"name": "X", "industry": "x" * 300}, "industry"),
        ({"name": "X", "properties": {"nope": 1}}, "properties.nope"),
        ({"name": "X", "people": [{"contact": 999999}]}, "people.0.contact"),
    ],
)
def test_bad_input_is_refused_field_by_field_and_writes_nothing(admin_api, data, field):
    answer = admin_api.post("/api/v1/companies", data)
    assert answer.status_code == 422, answer.content
    assert answer["Content-Type"] == "application/problem+json"
    assert field in [e["field"] for e in answer.json()["errors"]]
    assert not Company.objects.exists()
    assert not Profile.objects.exists()


def test_extra_fields_and_wrong_types_are_refused(admin_api):
    assert admin_api.post("/api/v1/companies", {"name": "X", "colour": "red"}).status_code == 422
    assert admin_api.post("/api/v1/companies", {"name": 5}).status_code == 422
    assert admin_api.post("/api/v1/companies", "[").status_code in (400, 422)


def test_a_second_company_of_the_same_name_is_a_conflict(admin_api):
    first = _create(admin_api).json()
    answer = _create(admin_api, name="ACME")
    assert answer.status_code == 409
    assert answer.json()["existing_id"] == first["id"]


def test_typed_custom_details(admin_api, admin):
    from kartoteka.companies import services

    services.add_company_field(admin, key="employees", label="Employees", type="number")
    company = _create(admin_api, properties={"employees": "120"}).json()
    assert company["properties"] == {"employees": 120}
    bad = admin_api.patch(f"/api/v1/companies/{company['id']}", {"properties": {"employees": "x"}})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "properties.employees"
    gone = admin_api.patch(
        f"/api/v1/companies/{company['id']}", {"properties": {"employees": None}}
    )
    assert gone.json()["properties"] == {}
    assert CompanyField.objects.count() == 1


def test_patch_renames_and_follows_in_search_text_and_timeline(admin_api):
    ana = make_contact(company="Acme")
    company_id = ana.company_id
    answer = admin_api.patch(
        f"/api/v1/companies/{company_id}", {"name": "Acme Global", "industry": "Tech"}
    )
    assert answer.status_code == 200, answer.json()
    ana.refresh_from_db()
    assert "global" in ana.search_text
    entry = Entry.objects.get(company_id=company_id, kind="updated")
    assert {"field": "name", "old": "Acme", "new": "Acme Global"} in entry.payload["changes"]


def test_a_contact_belongs_to_several_companies_with_one_primary(admin_api):
    ana = make_contact(company="Acme")
    acme = ana.company_id
    other = _create(admin_api, name="Beta").json()["id"]
    answer = admin_api.patch(
        f"/api/v1/companies/{other}",
        {"people": [{"contact": ana.pk, "role": "Advisor", "job_title": "Board member"}]},
    )
    assert answer.status_code == 200
    assert answer.json()["people"][0]["primary"] is False
    ana.refresh_from_db()
    assert ana.company_id == acme  # adding a second company keeps the primary one
    admin_api.patch(
        f"/api/v1/companies/{other}", {"people": [{"contact": ana.pk, "primary": True}]}
    )
    ana.refresh_from_db()
    assert ana.company_id == other
    primary = [
        p["primary"]
        for c in (acme, other)
        for p in admin_api.get(f"/api/v1/companies/{c}").json()["people"]
    ]
    assert sorted(primary) == [False, True]
    # The role given first stays when a later change leaves it out.
    assert Membership.objects.get(company_id=other, contact=ana).role == "Advisor"
    # Taking the primary company away makes another of theirs primary.
    admin_api.patch(f"/api/v1/companies/{other}", {"remove_people": [ana.pk]})
    ana.refresh_from_db()
    assert ana.company_id == acme
    assert not Membership.objects.filter(company_id=other).exists()


def test_removing_someone_who_is_not_there_is_refused(admin_api):
    ana = make_contact()
    company = _create(admin_api).json()["id"]
    answer = admin_api.patch(f"/api/v1/companies/{company}", {"remove_people": [ana.pk]})
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "remove_people.0.contact"


def test_delete_keeps_the_people_without_a_company(admin_api, sales_api):
    ana = make_contact(company="Acme")
    assert sales_api.delete(f"/api/v1/companies/{ana.company_id}").status_code == 404
    assert admin_api.delete(f"/api/v1/companies/{ana.company_id}").status_code == 204
    ana.refresh_from_db()
    assert ana.company_id is None
    assert Contact.objects.filter(pk=ana.pk).exists()


def test_list_searches_filters_and_pages(admin_api):
    for n in range(5):
        _create(admin_api, name=f"Firma {n}", industry="Retail" if n % 2 else "Tech")
    _create(admin_api, name="Other", domain="other.pl")
    page = admin_api.get("/api/v1/companies", q="firma", limit=2).json()
    assert [c["name"] for c in page["items"]] == ["Firma 4", "Firma 3"]
    rest = admin_api.get("/api/v1/companies", q="firma", limit=10, cursor=page["next_cursor"])
    assert [c["name"] for c in rest.json()["items"]] == ["Firma 2", "Firma 1", "Firma 0"]
    assert len(admin_api.get("/api/v1/companies", industry="retail").json()["items"]) == 2
    assert admin_api.get("/api/v1/companies", q="other.pl").json()["items"][0]["name"] == "Other"
    assert admin_api.get("/api/v1/companies", limit=0).status_code == 422
    assert admin_api.get("/api/v1/companies", cursor="???").status_code == 422
    assert admin_api.get("/api/v1/companies", size="giant").status_code == 422


def test_merge_moves_everything_and_undo_brings_it_back(admin_api, admin):
    ana = make_contact(company="Acme")
    bob = make_contact(company="ACME Inc")
    acme, dup = ana.company_id, bob.company_id
    admin_api.patch(f"/api/v1/companies/{dup}", {"domain": "acme.com", "city": "Kraków"})
    admin_api.patch(
        f"/api/v1/companies/{dup}", {"people": [{"contact": ana.pk, "role": "Advisor"}]}
    )
    admin_api.post(f"/api/v1/companies/{acme}", {})
    from kartoteka.companies import services

    services.add_note(admin, Company.objects.get(pk=dup), body="Met at the fair")
    merged = admin_api.post("/api/v1/companies/merge", {"survivor": acme, "merged": dup})
    assert merged.status_code == 201, merged.json()
    assert not Company.objects.filter(pk=dup).exists()
    survivor = admin_api.get(f"/api/v1/companies/{acme}").json()
    assert survivor["domain"] == "acme.com" and survivor["city"] == "Kraków"
    assert {p["contact"] for p in survivor["people"]} == {ana.pk, bob.pk}
    assert Entry.objects.filter(company_id=acme, body="Met at the fair").exists()
    bob.refresh_from_db()
    assert bob.company_id == acme and "acme" in bob.search_text

    undone = admin_api.post(f"/api/v1/companies/merges/{merged.json()['id']}/undo")
    assert undone.status_code == 200 and undone.json()["undone"] is True
    back = admin_api.get(f"/api/v1/companies/{dup}").json()
    assert (back["name"], back["domain"], back["city"]) == ("ACME Inc", "acme.com", "Kraków")
    assert {p["contact"] for p in back["people"]} == {ana.pk, bob.pk}
    assert Membership.objects.get(company_id=dup, contact=ana).role == "Advisor"
    assert Entry.objects.filter(company_id=dup, body="Met at the fair").exists()
    survivor = admin_api.get(f"/api/v1/companies/{acme}").json()
    assert (survivor["domain"], survivor["city"]) == ("", "")
    bob.refresh_from_db()
    assert bob.company_id == dup
    again = admin_api.post(f"/api/v1/companies/merges/{merged.json()['id']}/undo")
    assert again.status_code == 409
    assert CompanyMerge.objects.get().undone_at is not None


@pytest.mark.parametrize(
    "data, field",
    [
        ({"survivor": 1, "merged": 1}, "merged"),
        ({"survivor": 999999, "merged": 999998}, "survivor"),
        ({"survivor": -1, "merged": 2}, "survivor"),
    ],
)
def test_bad_merges_are_refused(admin_api, data, field):
    answer = admin_api.post("/api/v1/companies/merge", data)
    assert answer.status_code == 422
    assert field in [e["field"] for e in answer.json()["errors"]]


def test_sales_users_may_not_merge(sales_api, sales):
    a = make_contact(sales, company="A", owners=[sales])
    b = make_contact(sales, company="B", owners=[sales])
    answer = sales_api.post(
        "/api/v1/companies/merge", {"survivor": a.company_id, "merged": b.company_id}
    )
    assert answer.status_code == 403
    assert Company.objects.count() == 2
    assert sales_api.post("/api/v1/companies/merges/1/undo").status_code == 403
