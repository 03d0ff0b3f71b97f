"""Forget leaves a company intact without a trace of the person; an import's company columns
find or create the company record by domain, then by folded name, in a few statements."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kartoteka.companies import services
from kartoteka.companies.models import CompanyMerge, Entry, Membership
from kartoteka.contacts.models import Company, Contact
from kartoteka.core.scope import SYSTEM
from kartoteka.privacy import services as privacy
from tests.factories import make_contact
from tests.transfer.helpers import run, write

pytestmark = pytest.mark.django_db


def test_forget_leaves_the_company_and_no_trace_of_the_person(admin):
    ana = make_contact(first_name="Anastazja", last_name="Wróbel", company="Acme")
    bob = make_contact(company="Acme")
    company = ana.company
    other = services.create_company(admin, data={"name": "Beta"})
    services.set_person(admin, other, contact_id=ana.pk, role="Anastazja's team")
    services.add_note(admin, company, body="Call Anastazja Wróbel on Monday")
    merge = services.merge_companies(admin, survivor_id=company.pk, merged_id=other.pk)
    privacy.forget_contact(admin, Contact.objects.get(pk=ana.pk))
    assert Company.objects.filter(pk=company.pk).exists()
    assert not Membership.objects.filter(contact_id=ana.pk).exists()
    assert not Entry.objects.filter(contact_id=ana.pk).exists()
    texts = " ".join(Entry.objects.values_list("body", flat=True))
    assert "Anastazja" not in texts and "Wróbel" not in texts
    snapshot = CompanyMerge.objects.get(pk=merge.pk).snapshot
    assert ana.pk not in snapshot["primary"]
    assert all(d["contact"] != ana.pk for d in snapshot["dropped_members"])
    assert "Anastazja" not in str(snapshot)
    from kartoteka.companies import queries

    assert [p.contact.pk for p in queries.people(SYSTEM, company)] == [bob.pk]


CSV = (
    "email,company,domain\n"
    "ana@example.com,Acme Spain,acme.com\n"  # the domain is Acme's: Ana goes to Acme
    "bea@example.com,Nuevo,nuevo.es\n"  # a new company takes the new domain
    "cai@example.com,,solo.pl\n"  # a domain alone makes its own company
    "dan@example.com,acme,\n"  # the folded name finds Acme
    "eva@example.com,Nuevo,bad domain\n"  # a warning, the company stays
)


def test_import_maps_company_columns_to_the_record(admin, tmp_path):
    acme = services.create_company(admin, data={"name": "Acme", "domain": "acme.com"})
    imp = run(
        admin,
        write(tmp_path, "people.csv", CSV),
        column_map={"0": "email", "1": "company", "2": "company_domain"},
    )
    companies = dict(Contact.objects.values_list("email", "company__name"))
    assert companies == {
        "ana@example.com": "Acme",
        "bea@example.com": "Nuevo",
        "cai@example.com": "solo.pl",
        "dan@example.com": "Acme",
        "eva@example.com": "Nuevo",
    }
    assert Company.objects.get(name="Nuevo").domain == "nuevo.es"
    assert Company.objects.get(pk=acme.pk).domain == "acme.com"
    from kartoteka.transfer.models import ImportProblem

    (problem,) = ImportProblem.objects.filter(batch=imp).values_list("message", flat=True)
    assert "bad domain" in problem
    # The domain found Acme before the row was written: "Acme Spain" was never created.
    assert not Company.objects.filter(name="Acme Spain").exists()
    assert sorted(Company.objects.values_list("name", flat=True)) == ["Acme", "Nuevo", "solo.pl"]


def test_an_existing_contact_moved_by_domain_leaves_no_empty_company(admin, tmp_path):
    acme = services.create_company(admin, data={"name": "Acme", "domain": "acme.com"})
    make_contact(email="ana@example.com", company="Old Co")
    run(
        admin,
        write(
            tmp_path,
            "people.csv",
            "email,company,domain\nana@example.com,Brand New Name,www.acme.com\n",
        ),
        column_map={"0": "email", "1": "company", "2": "company_domain"},
    )
    assert Contact.objects.get(email="ana@example.com").company_id == acme.pk
    assert not Company.objects.filter(name="Brand New Name").exists()


def test_the_domain_column_takes_a_few_statements_whatever_the_rows(admin):
    from kartoteka.companies.imports import apply_domains

    acme = services.create_company(admin, data={"name": "Acme", "domain": "acme.com"})
    people = [make_contact() for _ in range(30)]
    with CaptureQueriesContext(connection) as few:
        apply_domains(admin, [(c.pk, "acme.com") for c in people[:3]])
    with CaptureQueriesContext(connection) as many:
        apply_domains(admin, [(c.pk, "www.acme.com") for c in people])
    assert len(many) <= len(few) + 4
    assert Contact.objects.filter(company=acme).count() == 30
