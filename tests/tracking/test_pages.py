"""Settings → Websites, the card's Visits tab and its Source and Google Ads section, and the
API: admins manage sites, everybody sees visits only of the contacts in their scope."""

import pytest
from django.urls import reverse

from kartoteka.tracking import services
from kartoteka.tracking.models import Site
from tests.factories import make_contact
from tests.tracking.helpers import make_site, send

pytestmark = pytest.mark.django_db


def test_an_admin_adds_a_website_and_gets_its_snippet(client, admin):
    client.force_login(admin)
    response = client.post(
        reverse("tracking:sites"),
        {
            "name": "Shop",
            "domains": "https://shop.example.com/\nblog.example.com",
            "respect_do_not_track": "on",
        },
    )
    site = Site.objects.get()
    assert response.status_code == 302
    assert site.domains == ["shop.example.com", "blog.example.com"]
    page = client.get(response["Location"]).content.decode()
    assert f"data-site=&quot;{site.key}&quot;" in page  # shown as text, to copy
    assert "/t.js" in page


def test_a_wrong_domain_is_named_next_to_the_field(client, admin):
    client.force_login(admin)
    response = client.post(
        reverse("tracking:sites"), {"name": "Shop", "domains": "shop.example.com, bad!domain"}
    )
    assert response.status_code == 422
    assert "“bad!domain” is not a domain name." in response.content.decode()
    assert not Site.objects.exists()


def test_a_missing_name_is_refused(client, admin):
    client.force_login(admin)
    response = client.post(reverse("tracking:sites"), {"name": "", "domains": "shop.example.com"})
    assert response.status_code == 422
    assert not Site.objects.exists()


def test_the_form_speaks_polish(client, admin):
    client.force_login(admin)
    response = client.post(
        reverse("tracking:sites"),
        {"name": "Sklep", "domains": "bad!domain"},
        HTTP_ACCEPT_LANGUAGE="pl",
    )
    assert "„bad!domain” nie jest nazwą domeny." in response.content.decode()


def test_a_sales_user_cannot_manage_websites(client, sales):
    client.force_login(sales)
    assert client.get(reverse("tracking:sites")).status_code == 403


def test_an_admin_deletes_a_website(client, admin):
    site = make_site()
    client.force_login(admin)
    client.post(reverse("tracking:site", args=[site.pk]), {"action": "delete"})
    assert not Site.objects.exists()


def _known_visit(owner=None):
    site = make_site()
    contact = make_contact(email="ana@example.com", owners=[owner] if owner else [])
    send(site, "identify", e="ana@example.com")
    send(site, u="https://shop.example.com/?utm_source=google&keyword=red", t="Home")
    services.process_hits()
    return contact


def test_the_visits_tab_shows_pages_device_and_source(client, sales):
    contact = _known_visit(owner=sales)
    client.force_login(sales)
    page = client.get(reverse("tracking:contact-visits", args=[contact.pk])).content.decode()
    assert "Home" in page
    assert "Chrome" in page and "Windows" in page
    assert "google" in page


def test_the_visits_tab_reads_the_contact_without_the_cards_data(client, sales):
    """The tab shows the contact's name only: its e-mails, phones and tags are not read."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    contact = _known_visit(owner=sales)
    client.force_login(sales)
    with CaptureQueriesContext(connection) as captured:
        page = client.get(reverse("tracking:contact-visits", args=[contact.pk]))
    assert page.status_code == 200
    read = " ".join(query["sql"] for query in captured.captured_queries)
    assert "contacts_contactphone" not in read
    assert "contacts_contactemail" not in read


def test_the_visits_tab_shows_the_newest_visits_and_pages_to_older_ones(client, admin):
    import datetime as dt

    from django.utils import timezone

    from kartoteka.tracking.models import PageView, Visit, Visitor

    contact = make_contact(email="many@example.com")
    site = make_site()
    visitor = Visitor.objects.create(key="visitor-many", contact_id=contact.pk)
    now = timezone.now()
    Visit.objects.bulk_create(
        Visit(
            site=site,
            visitor=visitor,
            contact_id=contact.pk,
            # two visits share each start: the pages must still follow the list's order
            started_at=now - dt.timedelta(hours=n // 2),
            ended_at=now - dt.timedelta(hours=n // 2),
            entry_url=f"https://shop.example.com/visit-{n}",
        )
        for n in range(25)
    )
    PageView.objects.bulk_create(
        PageView(visit=v, url=v.entry_url, title=v.entry_url[-8:], viewed_at=v.started_at)
        for v in Visit.objects.all()
    )
    newest_first = [
        f">{url[-8:]}<"
        for url in Visit.objects.order_by("-started_at", "-id").values_list("entry_url", flat=True)
    ]
    client.force_login(admin)
    url = reverse("tracking:contact-visits", args=[contact.pk])
    seen, page = [], client.get(url).content.decode()
    while True:
        seen += sorted((m for m in newest_first if m in page), key=page.index)
        assert "Older visits" in page or len(seen) == 25
        if "Older visits" not in page:
            break
        after = page.split("after=")[1].split('"')[0]
        page = client.get(f"{url}?after={after}").content.decode()
    assert seen == newest_first


def test_visits_of_a_contact_outside_the_scope_are_not_found(client, sales, other_sales):
    contact = _known_visit(owner=other_sales)
    client.force_login(sales)
    assert client.get(reverse("tracking:contact-visits", args=[contact.pk])).status_code == 404


def test_the_card_section_shows_the_ads_fields_it_has(client, admin):
    contact = _known_visit()
    client.force_login(admin)
    body = client.get(reverse("web:card-section", args=[contact.pk, "attribution"])).content
    body = body.decode()
    assert "Keyword" in body and "red" in body
    assert "Ad group" not in body


def test_the_api_lists_sites_for_admins_only(admin_api, sales_api):
    site = make_site()
    assert admin_api.get("/api/v1/sites").json()[0]["key"] == site.key
    assert sales_api.get("/api/v1/sites").status_code == 403


def test_the_api_creates_a_site_and_refuses_bad_domains(admin_api):
    created = admin_api.post("/api/v1/sites", {"name": "Shop", "domains": ["shop.example.com"]})
    assert created.status_code == 201
    assert "data-site" in created.json()["snippet"]
    refused = admin_api.post("/api/v1/sites", {"name": "Shop", "domains": ["bad domain"]})
    assert refused.status_code == 422


def test_the_api_gives_a_contacts_visits_in_scope(sales_api, other_sales):
    contact = _known_visit(owner=sales_api.user)
    visits = sales_api.get(f"/api/v1/contacts/{contact.pk}/visits").json()
    assert visits[0]["utm"] == {"utm_source": "google"}
    assert visits[0]["ads"] == {"ads_keyword": "red"}
    assert visits[0]["page_views"][0]["title"] == "Home"
    hidden = _hidden_contact(other_sales)
    assert sales_api.get(f"/api/v1/contacts/{hidden.pk}/visits").status_code == 404


def _hidden_contact(owner):
    return make_contact(email="olga-client@example.com", owners=[owner])
