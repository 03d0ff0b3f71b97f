"""Deals on merge and forget: deals follow the survivor and come back on undo; a forgotten
person leaves the deal's amount and stages for reports, and nothing that identifies them."""

import pytest

from kartoteka.deals.models import Deal, DealContact, StageMove
from kartoteka.duplicates.services import merge_contacts, undo_merge
from kartoteka.privacy.services import forget_contact
from tests.factories import make_contact, make_deal

pytestmark = pytest.mark.django_db


def test_merge_moves_the_merged_contacts_deals_to_the_survivor(admin):
    survivor, merged = make_contact(), make_contact()
    deal = make_deal(contacts=[merged])
    merge_contacts(admin, survivor_id=survivor.pk, merged_ids=[merged.pk])
    assert list(DealContact.objects.filter(deal=deal).values_list("contact_id", "is_primary")) == [
        (survivor.pk, True)
    ]


def test_merge_of_two_contacts_in_one_deal_keeps_one_link(admin):
    survivor, merged = make_contact(), make_contact()
    deal = make_deal(contacts=[merged, survivor])
    merge_contacts(admin, survivor_id=survivor.pk, merged_ids=[merged.pk])
    assert list(DealContact.objects.filter(deal=deal).values_list("contact_id", flat=True)) == [
        survivor.pk
    ]


def test_undo_of_a_merge_gives_the_deal_back_to_the_merged_contact(admin):
    survivor, merged = make_contact(), make_contact()
    deal = make_deal(contacts=[merged])
    (record,) = merge_contacts(admin, survivor_id=survivor.pk, merged_ids=[merged.pk])
    undo_merge(admin, record)
    assert list(DealContact.objects.filter(deal=deal).values_list("contact_id", flat=True)) == [
        merged.pk
    ]


def test_forget_of_a_deals_only_contact_keeps_amount_and_stages_and_no_free_text(admin):
    person = make_contact(first_name="Wiesława", last_name="Ząbkowska")
    deal = make_deal(admin, contacts=[person], name="Wiesława Ząbkowska renewal", amount="880")
    lost = deal.pipeline.stages.get(kind="lost")
    from kartoteka.deals import services

    services.move_deal(admin, deal, stage=lost.pk, reason="Wiesława Ząbkowska went elsewhere")
    forget_contact(admin, person)
    kept = Deal.objects.get(pk=deal.pk)
    assert (str(kept.amount), kept.stage_id, kept.status) == ("880.00", lost.pk, "lost")
    assert (kept.name, kept.close_reason) == (f"#{deal.pk}", "")
    assert list(DealContact.objects.filter(deal=deal).values_list("contact_id", flat=True)) == [
        None
    ]
    assert not StageMove.objects.filter(reason__icontains="Ząbkowska").exists()
    assert StageMove.objects.filter(deal=deal).count() == 2


def test_forget_of_one_of_two_contacts_takes_only_their_name_out_of_the_deal(admin):
    person = make_contact(first_name="Wiesława", last_name="Ząbkowska")
    colleague = make_contact(first_name="Jan", last_name="Kowal")
    deal = make_deal(admin, contacts=[colleague, person], name="Wiesława Ząbkowska and Jan Kowal")
    forget_contact(admin, person)
    kept = Deal.objects.get(pk=deal.pk)
    assert "Ząbkowska" not in kept.name and "Jan Kowal" in kept.name
    links = kept.contact_links.order_by("-is_primary")
    assert list(links.values_list("contact_id", flat=True)) == [colleague.pk, None]
