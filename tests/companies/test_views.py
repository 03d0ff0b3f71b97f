"""The companies pages: the list with search, filters, columns and export; a company's page
with its form, people, notes, merge and undo; bad input answered next to the field."""

import csv
import io

import pytest
from django.test import Client

from kartoteka.companies import services
from kartoteka.companies.models import CompanyMerge, Entry, Membership
from kartoteka.contacts.models import Company
from tests.factories import make_contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(admin):
    client = Client()
    client.force_login(admin)
    return client


def test_list_searches_filters_and_chooses_columns(client, admin):
    services.create_company(admin, data={"name": "Acme", "industry": "Retail", "city": "Lima"})
    services.create_company(admin, data={"name": "Beta", "industry": "Tech", "size": "1-10"})
    page = client.get("/companies/", {"q": "acm"}).content.decode()
    assert "Acme" in page and "Beta" not in page
    page = client.get("/companies/", {"size": "1-10"}).content.decode()
    assert "Beta" in page and "Acme" not in page
    page = client.get("/companies/", {"col": ["industry"], "sort": "-industry"}).content.decode()
    table = page[page.index('id="company-table"') :]
    assert table.index("Tech") < table.index("Retail")
    assert "Lima" not in table  # only the chosen columns
    assert client.get("/companies/", {"size": "x", "sort": "evil", "page": "z"}).status_code == 200


def test_export_follows_filters_and_columns_and_defuses_formulas(client, admin):
    services.create_company(admin, data={"name": "=cmd()", "industry": "Retail"})
    services.create_company(admin, data={"name": "Beta", "industry": "Tech"})
    answer = client.get("/companies/export/", {"industry": "Retail", "col": ["industry"]})
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[0][1:] == ["Name", "Industry"]
    assert [r[1:] for r in rows[1:]] == [["'=cmd()", "Retail"]]


def test_export_as_xlsx_follows_filters_and_columns_and_keeps_formulas_text(client, admin):
    from openpyxl import load_workbook

    services.create_company(admin, data={"name": "=cmd()", "industry": "Retail"})
    services.create_company(admin, data={"name": "Beta", "industry": "Tech"})
    page = client.get("/companies/", {"industry": "Retail"}).content.decode()
    assert "format=xlsx" in page
    answer = client.get(
        "/companies/export/",
        {"industry": "Retail", "col": ["industry", "people", "created"], "format": "xlsx"},
    )
    assert answer["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "companies.xlsx" in answer["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(answer.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][1:] == ("Name", "Industry", "People", "Created")
    assert [r[1:3] for r in rows[1:]] == [("=cmd()", "Retail")]
    assert rows[1][3] == 0
    assert sheet.cell(row=2, column=2).data_type == "s"


def test_page_saves_the_form_and_shows_errors_next_to_fields(client, admin):
    company = services.create_company(admin, data={"name": "Acme"})
    bad = client.post(
        f"/companies/{company.pk}/", {"name": "Acme", "domain": "nope", "phone": "xx"}
    )
    assert bad.status_code == 422
    text = bad.content.decode()
    assert "Enter a web domain such as example.com." in text
    assert Company.objects.get(pk=company.pk).domain == ""
    good = client.post(
        f"/companies/{company.pk}/", {"name": "Acme", "domain": "acme.es", "city": "Sevilla"}
    )
    assert good.status_code == 302
    assert client.get(f"/companies/{company.pk}/").content.decode().count("Sevilla") >= 1


def test_people_and_notes_from_the_page(client, admin):
    company = services.create_company(admin, data={"name": "Acme"})
    ana = make_contact(first_name="Ana")
    client.post(
        f"/companies/{company.pk}/people/",
        {"contact": ana.pk, "role": "Buyer", "job_title": "CFO", "primary": "1"},
    )
    ana.refresh_from_db()
    assert ana.company_id == company.pk
    assert Membership.objects.get(contact=ana).role == "Buyer"
    client.post(f"/companies/{company.pk}/people/", {"contact": "abc"})
    client.post(f"/companies/{company.pk}/notes/", {"body": "  "})
    client.post(f"/companies/{company.pk}/notes/", {"body": "Renewal in May"})
    assert Entry.objects.filter(company=company, kind="note").get().body == "Renewal in May"
    page = client.get(f"/companies/{company.pk}/").content.decode()
    assert "Renewal in May" in page and "CFO" in page


def test_merge_and_undo_from_the_pages(client, admin):
    acme = services.create_company(admin, data={"name": "Acme"})
    dup = services.create_company(admin, data={"name": "Acme S.A.", "city": "Vigo"})
    bad = client.post("/companies/merge/", {"survivor": acme.pk, "merged": acme.pk})
    assert bad.status_code == 422
    done = client.post("/companies/merge/", {"survivor": acme.pk, "merged": dup.pk})
    assert done.status_code == 302
    merge = CompanyMerge.objects.get()
    page = client.get(f"/companies/{acme.pk}/").content.decode()
    assert "Undo merge" in page
    client.post(f"/companies/merges/{merge.pk}/undo/")
    assert Company.objects.filter(pk=dup.pk, name="Acme S.A.").exists()


def test_sales_user_cannot_reach_merge_or_delete(sales):
    client = Client()
    client.force_login(sales)
    assert client.get("/companies/merge/").status_code == 404
    company = make_contact(company="Acme", owners=[sales]).company
    client.post(f"/companies/{company.pk}/delete/")
    assert Company.objects.filter(pk=company.pk).exists()


def test_card_company_section_links_to_the_company_page(client):
    ana = make_contact(company="Acme")
    answer = client.get(f"/contacts/{ana.pk}/sections/company/")
    assert answer.status_code == 200, answer.status_code
    assert f'href="/companies/{ana.company_id}/"' in answer.content.decode()


def test_admins_define_typed_company_details_and_fill_them(client, admin, sales):
    bad = client.post("/settings/company-details/", {"key": "Bad Key", "label": "", "type": "x"})
    assert bad.status_code == 422
    assert "field-error" in bad.content.decode()
    client.post(
        "/settings/company-details/", {"key": "founded", "label": "Founded", "type": "date"}
    )
    company = services.create_company(admin, data={"name": "Acme"})
    wrong = client.post(f"/companies/{company.pk}/", {"name": "Acme", "p_founded": "soon"})
    assert wrong.status_code == 422
    client.post(f"/companies/{company.pk}/", {"name": "Acme", "p_founded": "2001-02-03"})
    assert Company.objects.get(pk=company.pk).profile.properties == {"founded": "2001-02-03"}
    seller = Client()
    seller.force_login(sales)
    assert seller.get("/settings/company-details/").status_code == 403


def test_card_lists_the_other_companies_of_a_contact(client, admin):
    ana = make_contact(company="Acme")
    beta = services.create_company(admin, data={"name": "Beta"})
    services.set_person(admin, beta, contact_id=ana.pk, role="Advisor", job_title="Board")
    answer = client.get(f"/contacts/{ana.pk}/sections/companies/")
    text = answer.content.decode()
    assert f'href="/companies/{beta.pk}/"' in text and "Advisor" in text
    assert "Acme" not in text  # the primary one is the Company section's


def test_the_add_person_picker_finds_only_contacts_the_user_sees(sales, other_sales):
    client = Client()
    client.force_login(sales)
    company = services.create_company(sales, data={"name": "Acme"})
    mine = make_contact(sales, first_name="Anabel", last_name="Ruiz", email="anabel@mine.example")
    theirs = make_contact(other_sales, first_name="Anabel", last_name="Sanz")
    page = client.get(f"/companies/{company.pk}/").content.decode()
    assert f'hx-get="/companies/{company.pk}/people/search/"' in page
    found = client.get(f"/companies/{company.pk}/people/search/", {"q": "anabel"}).content.decode()
    assert f'name="contact" value="{mine.pk}"' in found
    assert f'value="{theirs.pk}"' not in found
    by_mail = client.get(f"/companies/{company.pk}/people/search/", {"q": "mine.example"})
    assert f'value="{mine.pk}"' in by_mail.content.decode()
    nothing = client.get(f"/companies/{company.pk}/people/search/", {"q": "zzzz"}).content.decode()
    assert "No contact you can see matches." in nothing
    # The picked radio button posts the contact like the form always did.
    client.post(f"/companies/{company.pk}/people/", {"q": "anabel", "contact": mine.pk})
    assert Membership.objects.filter(company=company, contact=mine).exists()
    # Someone else's company is not searchable through its picker.
    hidden = services.create_company(other_sales, data={"name": "Hidden"})
    assert client.get(f"/companies/{hidden.pk}/people/search/", {"q": "a"}).status_code == 404
