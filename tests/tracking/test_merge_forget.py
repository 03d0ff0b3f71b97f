"""Merge moves a person's browsers and visits to the survivor and counts them again; undo gives
them back; forget erases them with the visitor id."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kartoteka.core.scope import SYSTEM
from kartoteka.duplicates.services import merge_contacts, undo_merge
from kartoteka.privacy.services import forget_contact
from kartoteka.tracking import services
from kartoteka.tracking.models import PageView, Visit, Visitor, VisitTotals
from tests.factories import make_contact
from tests.tracking.helpers import make_site, send

pytestmark = pytest.mark.django_db(transaction=True)


def _visits(site, email: str, visitor: str, pages: int) -> None:
    send(site, "identify", e=email, visitor=visitor)
    for n in range(pages):
        send(site, u=f"https://shop.example.com/{n}", visitor=visitor)
    services.process_hits()


def test_merge_moves_visits_and_adds_up_the_counts_and_undo_gives_them_back():
    site = make_site()
    ana = make_contact(email="ana@example.com")
    twin = make_contact(email="ana.twin@example.com")
    _visits(site, "ana@example.com", "visitor-ana-1", 2)
    _visits(site, "ana.twin@example.com", "visitor-ana-2", 3)
    merge = merge_contacts(SYSTEM, survivor_id=ana.pk, merged_ids=[twin.pk])
    merge = merge[0] if isinstance(merge, list) else merge
    assert Visit.objects.filter(contact=ana).count() == 2
    assert set(Visitor.objects.values_list("contact_id", flat=True)) == {ana.pk}
    totals = VisitTotals.objects.get(contact=ana)
    assert (totals.visits, totals.page_views) == (2, 5)
    undo_merge(SYSTEM, merge)
    assert VisitTotals.objects.get(contact=ana).page_views == 2
    assert VisitTotals.objects.get(contact_id=twin.pk).page_views == 3


def test_forget_erases_visits_pages_and_the_visitor_id():
    site = make_site()
    ana = make_contact(email="ana@example.com")
    _visits(site, "ana@example.com", "visitor-ana-1", 2)
    forget_contact(SYSTEM, ana)
    assert not Visit.objects.exists()
    assert not PageView.objects.exists()
    assert not Visitor.objects.filter(key="visitor-ana-1").exists()
    assert not VisitTotals.objects.exists()


def test_the_visits_tab_reads_a_long_history_with_a_fixed_number_of_queries(client, admin):
    site = make_site()
    ana = make_contact(email="ana@example.com")
    _visits(site, "ana@example.com", "visitor-ana-1", 3)
    client.force_login(admin)
    with CaptureQueriesContext(connection) as few:
        client.get(f"/contacts/{ana.pk}/visits/")
    _visits(site, "ana@example.com", "visitor-ana-2", 30)
    with CaptureQueriesContext(connection) as many:
        client.get(f"/contacts/{ana.pk}/visits/")
    assert len(many) == len(few)
