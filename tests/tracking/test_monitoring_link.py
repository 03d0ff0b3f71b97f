"""The monitoring link: opened, it sends the browser to the page with a token the snippet
reports, and that browser's visits join the contact; it expires, can be revoked, and starts
monitoring again only when asked."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from kartoteka.core.scope import SYSTEM
from kartoteka.privacy.services import set_monitoring
from kartoteka.tracking import services
from kartoteka.tracking.models import MonitoringLink, Visit
from tests.factories import make_contact
from tests.tracking.helpers import make_site, send

pytestmark = pytest.mark.django_db


def _open(client, link):
    """Open the link as the person would and report the token as the snippet does."""
    response = client.get(f"/t/m/{link.token}")
    assert response.status_code == 302
    token = response["Location"].split("_ktm=")[1]
    return send(link.site, "identify", m=token, visitor="visitor-link1")


def test_opening_the_link_identifies_the_browser_as_the_contact(client):
    site = make_site()
    ana = make_contact(email="ana@example.com")
    link = services.create_monitoring_link(SYSTEM, ana, url="https://shop.example.com/offer")
    assert _open(client, link).status_code == 204
    send(site, u="https://shop.example.com/offer", visitor="visitor-link1")
    services.process_hits()
    assert Visit.objects.get().contact_id == ana.pk
    link.refresh_from_db()
    assert link.opened_at is not None


def test_the_link_goes_to_its_page_with_the_token():
    make_site()
    ana = make_contact(email="ana@example.com")
    link = services.create_monitoring_link(SYSTEM, ana, url="https://shop.example.com/a?b=1")
    from django.test import Client

    location = Client().get(f"/t/m/{link.token}")["Location"]
    assert location == f"https://shop.example.com/a?b=1&_ktm={link.token}"


def test_an_expired_or_revoked_link_identifies_nobody(client):
    make_site()
    ana = make_contact(email="ana@example.com")
    expired = services.create_monitoring_link(SYSTEM, ana, url="https://shop.example.com/")
    MonitoringLink.objects.filter(pk=expired.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    assert client.get(f"/t/m/{expired.token}").status_code == 410
    revoked = services.create_monitoring_link(SYSTEM, ana, url="https://shop.example.com/")
    services.revoke_monitoring_link(SYSTEM, revoked)
    assert client.get(f"/t/m/{revoked.token}").status_code == 410
    assert send(revoked.site, "identify", m=revoked.token).status_code == 400


def test_a_stopped_contact_stays_unmonitored_unless_the_link_says_so(client):
    site = make_site()
    ana = make_contact(email="ana@example.com")
    set_monitoring(SYSTEM, ana, enabled=False)
    quiet = services.create_monitoring_link(SYSTEM, ana, url="https://shop.example.com/")
    _open(client, quiet)
    send(site, visitor="visitor-link1")
    services.process_hits()
    ana.refresh_from_db()
    assert not ana.is_monitored
    assert not Visit.objects.filter(contact=ana).exists()

    restarting = services.create_monitoring_link(
        SYSTEM, ana, url="https://shop.example.com/", starts_monitoring=True
    )
    _open(client, restarting)
    send(site, u="https://shop.example.com/again", visitor="visitor-link1")
    services.process_hits()
    ana.refresh_from_db()
    assert ana.is_monitored
    assert Visit.objects.filter(contact=ana).exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"url": "https://elsewhere.example.net/"}, "url"),
        ({"url": "ftp://shop.example.com/"}, "url"),
        ({"url": "https://shop.example.com/", "expires_in_days": 0}, "expires_in_days"),
        ({"url": "https://shop.example.com/", "expires_in_days": "soon"}, "expires_in_days"),
    ],
)
def test_a_link_needs_a_tracked_page_and_a_sensible_life(sales_api, fields, field):
    make_site()
    ana = make_contact(email="ana@example.com", owners=[sales_api.user])
    response = sales_api.post(f"/api/v1/contacts/{ana.pk}/monitoring-link", fields)
    assert response.status_code == 422
    assert field in str(response.json())


def test_the_api_gives_the_link_for_contacts_in_scope_only(sales_api, other_sales):
    make_site()
    mine = make_contact(email="ana@example.com", owners=[sales_api.user])
    theirs = make_contact(email="olga@example.com", owners=[other_sales])
    created = sales_api.post(
        f"/api/v1/contacts/{mine.pk}/monitoring-link", {"url": "https://shop.example.com/"}
    )
    assert created.status_code == 201
    assert "/t/m/" in created.json()["link"]
    refused = sales_api.post(
        f"/api/v1/contacts/{theirs.pk}/monitoring-link", {"url": "https://shop.example.com/"}
    )
    assert refused.status_code == 404


def test_the_card_action_creates_and_revokes_a_link(client, sales):
    make_site()
    ana = make_contact(email="ana@example.com", owners=[sales])
    client.force_login(sales)
    page = reverse("tracking:monitoring-links", args=[ana.pk])
    created = client.post(page, {"url": "https://shop.example.com/", "expires_in_days": "7"})
    assert created.status_code == 200
    link = MonitoringLink.objects.get()
    assert f"/t/m/{link.token}" in created.content.decode()
    wrong = client.post(page, {"url": "https://evil.example.net/", "expires_in_days": "7"})
    assert wrong.status_code == 422
    client.post(page, {"revoke": link.pk})
    link.refresh_from_db()
    assert link.revoked_at is not None
