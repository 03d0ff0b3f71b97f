"""The worker turns queued hits into visits: sessions, devices, attribution, the history of an
anonymous visitor joining the contact, and nothing for a contact whose monitoring is stopped."""

import datetime as dt

import pytest
from django.utils import timezone

from kartoteka.activity.models import Activity
from kartoteka.contacts.models import Contact
from kartoteka.core.scope import SYSTEM
from kartoteka.privacy.services import set_monitoring
from kartoteka.tracking import services
from kartoteka.tracking.models import Hit, PageView, Visit, Visitor, VisitTotals
from tests.factories import make_contact
from tests.tracking.helpers import IPHONE, make_site, send

pytestmark = pytest.mark.django_db

LANDING = (
    "https://shop.example.com/?utm_source=google&utm_medium=cpc&utm_campaign=winter"
    "&gclid=Cj0KCQ&campaignid=123&adgroupid=456&keyword=red+shoes&network=g&device=m"
    "&creative=789"
)


def _age_queue(minutes: int) -> None:
    """Move every queued hit `minutes` into the past, as if it had arrived then."""
    for hit in Hit.objects.all():
        hit.received_at -= dt.timedelta(minutes=minutes)
        hit.save()


def test_page_views_of_a_visitor_make_one_visit_with_its_pages_and_device():
    site = make_site()
    send(site, u=LANDING, t="Home", r="https://www.google.com/", ua=IPHONE)
    send(site, u="https://shop.example.com/shoes", t="Shoes", ua=IPHONE)
    send(site, "leave", u="https://shop.example.com/shoes", sec=42, ua=IPHONE)
    assert services.process_hits() == 3
    visit = Visit.objects.get()
    assert visit.pages == 2
    assert (visit.device_type, visit.os, visit.browser) == ("mobile", "iOS 17", "Mobile Safari")
    assert visit.referrer == "https://www.google.com/"
    assert (visit.utm_source, visit.utm_medium, visit.utm_campaign) == ("google", "cpc", "winter")
    assert (visit.gclid, visit.ads_campaign, visit.ads_group) == ("Cj0KCQ", "123", "456")
    assert (visit.ads_keyword, visit.ads_network, visit.ads_device, visit.ads_id) == (
        "red shoes",
        "g",
        "m",
        "789",
    )
    assert [(v.title, v.seconds) for v in PageView.objects.all()] == [("Home", 0), ("Shoes", 42)]
    assert not Hit.objects.exists()


def test_a_pause_longer_than_half_an_hour_starts_a_new_visit():
    site = make_site()
    send(site)
    _age_queue(45)
    services.process_hits()
    send(site, u="https://shop.example.com/again")
    services.process_hits()
    assert Visit.objects.count() == 2


def test_a_visit_goes_on_across_batches():
    site = make_site()
    send(site)
    services.process_hits()
    send(site, u="https://shop.example.com/more")
    services.process_hits()
    assert Visit.objects.get().pages == 2


def test_identifying_a_visitor_joins_their_earlier_visits_to_the_contact():
    site = make_site()
    ana = make_contact(email="ana@example.com")
    send(site, u=LANDING)
    services.process_hits()
    assert Visit.objects.get().contact is None
    send(site, "identify", e="ANA@example.com")
    services.process_hits()
    visit = Visit.objects.get()
    assert visit.contact_id == ana.pk
    assert Visitor.objects.get().contact_id == ana.pk
    assert Activity.objects.filter(contact=ana, kind="visit").count() == 1
    totals = VisitTotals.objects.get(contact=ana)
    assert (totals.visits, totals.page_views) == (1, 1)


def test_a_known_visitors_visit_is_on_the_timeline_and_moves_last_activity():
    site = make_site()
    ana = make_contact(email="ana@example.com")
    send(site, "identify", e="ana@example.com")
    services.process_hits()
    send(site, u=LANDING)
    services.process_hits()
    entry = Activity.objects.get(contact=ana, kind="visit")
    assert entry.payload == {"site": "Shop", "url": LANDING, "pages": 1}
    ana.refresh_from_db()
    assert ana.last_activity_at is not None and ana.last_activity_at >= entry.occurred_at


def test_a_campaign_that_brings_a_known_visitor_fills_the_contacts_empty_attribution():
    site = make_site()
    ana = make_contact(email="ana@example.com")
    send(site, "identify", e="ana@example.com")
    send(site, u=LANDING)
    services.process_hits()
    ana.refresh_from_db()
    assert (ana.utm_source, ana.utm_campaign, ana.ads_keyword, ana.gclid) == (
        "google",
        "winter",
        "red shoes",
        "Cj0KCQ",
    )


def test_the_first_campaign_on_a_contact_is_kept():
    site = make_site()
    ana = make_contact(email="ana@example.com", utm_source="newsletter")
    send(site, "identify", e="ana@example.com")
    send(site, u=LANDING)
    services.process_hits()
    ana.refresh_from_db()
    assert ana.utm_source == "newsletter"
    assert ana.gclid == ""


def test_nothing_is_stored_for_a_contact_whose_monitoring_is_stopped():
    site = make_site()
    ana = make_contact(email="ana@example.com")
    send(site, "identify", e="ana@example.com")
    services.process_hits()
    set_monitoring(SYSTEM, ana, enabled=False)
    send(site, u=LANDING)
    services.process_hits()
    assert not Visit.objects.exists()
    assert not Activity.objects.filter(kind="visit").exists()
    assert not Hit.objects.exists()


def test_identifying_with_an_unknown_address_creates_nobody():
    site = make_site()
    send(site, "identify", e="nobody@example.com")
    services.process_hits()
    assert not Contact.objects.exists()
    assert Visitor.objects.get().contact is None


def test_deleting_a_site_recounts_its_visitors_totals():
    site = make_site()
    other = make_site(name="Blog", domains=["blog.example.com"])
    ana = make_contact(email="ana@example.com")
    send(site, "identify", e="ana@example.com")
    send(site)
    send(other, origin="https://blog.example.com", visitor="visitor-0002")
    send(
        other,
        "identify",
        e="ana@example.com",
        origin="https://blog.example.com",
        visitor="visitor-0002",
    )
    services.process_hits()
    assert VisitTotals.objects.get(contact=ana).visits == 2
    services.delete_site(SYSTEM, site)
    assert VisitTotals.objects.get(contact=ana).visits == 1


def test_hits_are_processed_in_batches(monkeypatch):
    monkeypatch.setattr(services, "BATCH", 2)
    site = make_site()
    for n in range(5):
        send(site, visitor=f"visitor-{n:04d}")
    assert services.process_hits() == 5
    assert Visit.objects.count() == 5
    assert timezone.now() >= Visit.objects.latest("started_at").started_at
