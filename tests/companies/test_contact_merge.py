"""Merging two contacts keeps the survivor's companies and adds the merged one's (a company
both were at keeps one membership); undoing the merge gives the merged contact its own back."""

import pytest

from kartoteka.companies import services
from kartoteka.companies.models import Entry, Membership
from kartoteka.duplicates import services as duplicates
from tests.factories import make_contact

pytestmark = pytest.mark.django_db


def test_contact_merge_moves_memberships_and_undo_restores_them(admin):
    ana = make_contact(first_name="Ana", company="Acme")
    copy = make_contact(first_name="Ana", company="Beta")
    acme, beta = ana.company, copy.company
    services.set_person(admin, acme, contact_id=ana.pk, role="Buyer")
    services.set_person(admin, acme, contact_id=copy.pk, role="Old role")
    services.set_person(admin, beta, contact_id=copy.pk, role="Advisor")
    (record,) = duplicates.merge_contacts(admin, survivor_id=ana.pk, merged_ids=[copy.pk])
    links = dict(Membership.objects.filter(contact=ana).values_list("company_id", "role"))
    assert links == {acme.pk: "Buyer", beta.pk: "Advisor"}
    assert not Membership.objects.filter(contact_id=copy.pk).exists()
    assert Entry.objects.filter(contact=ana, company=beta).exists()
    duplicates.undo_merge(admin, record)
    assert Membership.objects.get(contact_id=copy.pk, company=beta).role == "Advisor"
    assert Membership.objects.get(contact=ana, company=acme).role == "Buyer"
