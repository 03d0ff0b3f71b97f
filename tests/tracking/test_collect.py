"""The collector: only the site's own pages, nothing for Do Not Track or automated clients,
a clear refusal of malformed hits, and nothing of what was sent is echoed back."""

import pytest

from kartoteka.tracking.models import Hit
from kartoteka.web.forms import ServiceForm
from tests.tracking.helpers import IPHONE, make_site, send

pytestmark = pytest.mark.django_db


def test_a_page_view_from_the_sites_own_page_is_queued():
    site = make_site()
    response = send(site, u="https://shop.example.com/shoes?utm_source=news", t="Shoes")
    assert response.status_code == 204
    assert response.content == b""
    assert response["Access-Control-Allow-Origin"] == "https://shop.example.com"
    hit = Hit.objects.get()
    assert (hit.kind, hit.visitor, hit.data["title"]) == ("view", "visitor-0001", "Shoes")


def test_a_sub_domain_of_a_site_domain_is_its_own():
    site = make_site()
    assert send(site, origin="https://www.shop.example.com").status_code == 204


def test_another_origin_is_refused_and_nothing_is_stored():
    site = make_site()
    response = send(site, origin="https://evil.example.net")
    assert response.status_code == 403
    assert b"evil" not in response.content
    assert not Hit.objects.exists()


def test_a_look_alike_domain_is_not_a_sub_domain():
    site = make_site()
    assert send(site, origin="https://notshop.example.com").status_code == 403


@pytest.mark.parametrize("header", ["HTTP_DNT", "HTTP_SEC_GPC"])
def test_do_not_track_and_global_privacy_control_store_nothing(header):
    site = make_site()
    assert send(site, headers={header: "1"}).status_code == 204
    assert not Hit.objects.exists()


def test_a_site_may_choose_to_ignore_do_not_track():
    site = make_site(respect_do_not_track=False)
    send(site, headers={"HTTP_DNT": "1"})
    assert Hit.objects.count() == 1


@pytest.mark.parametrize(
    "ua", ["Googlebot/2.1 (+http://www.google.com/bot.html)", "Mozilla/5.0 HeadlessChrome/120", ""]
)
def test_automated_clients_are_ignored(ua):
    site = make_site()
    assert send(site, ua=ua).status_code == 204
    assert not Hit.objects.exists()


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        ({"s": "no-such-site"}, 404),
        ({"v": "short"}, 400),
        ({"v": "<script>alert(1)</script>"}, 400),
        ({"k": "purchase"}, 400),
        ({"u": "javascript:alert(1)"}, 400),
        ({"k": "leave", "sec": "ten"}, 400),
        ({"k": "leave", "sec": -1}, 400),
        ({"k": "identify", "e": 42}, 400),
    ],
)
def test_a_malformed_hit_gets_a_specific_refusal_that_repeats_nothing(fields, status):
    site = make_site()
    response = send(site, **fields)
    assert response.status_code == status
    assert response.json()["detail"]
    assert "alert" not in response.content.decode()
    assert not Hit.objects.exists()


def test_a_body_that_is_not_json_is_refused(client):
    response = client.post("/t/collect", "{nope", content_type="text/plain")
    assert response.status_code == 400


def test_a_huge_hit_is_refused():
    site = make_site()
    assert send(site, t="x" * 9000).status_code == 413


def test_an_address_sending_too_many_hits_is_slowed_down(settings):
    # Per hour here: the limiter counts in fixed windows, and a minute ending between two
    # requests of the test would reset its count.
    settings.KARTOTEKA_TRACKING_RATE = "5/h"
    site = make_site()
    answers = [send(site, ua=IPHONE).status_code for _ in range(7)]
    assert answers == [204] * 5 + [429] * 2
    assert Hit.objects.count() == 5


def test_the_script_is_served_small_and_for_other_sites(client):
    import gzip

    response = client.get("/t.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert len(gzip.compress(response.content)) < 5 * 1024


@pytest.mark.django_db(transaction=True)  # autocommit, as the collector runs: the row is
def test_a_site_deleted_by_another_process_after_this_one_read_it_gets_404_not_an_error():
    # checked when the insert commits. The collector keeps the sites it read for a few
    # seconds; another web process deleting a site does not reach this process's copy (the
    # row is deleted here without the service, which would clear it).
    site = make_site()
    assert send(site).status_code == 204
    Hit.objects.all().delete()
    type(site).objects.filter(pk=site.pk).delete()
    response = send(site)
    assert response.status_code == 404
    assert not Hit.objects.exists()


def test_a_changed_site_applies_at_once_in_the_process_that_changed_it():
    from kartoteka.core.scope import SYSTEM
    from kartoteka.tracking.services import update_site

    site = make_site()
    assert send(site).status_code == 204
    update_site(SYSTEM, site, changes={"domains": ["other.example.org"]})
    assert send(site).status_code == 403


def test_a_refused_hit_is_mapped_by_the_shared_form_mapping(monkeypatch):
    refused = []
    original = ServiceForm.refuse

    def spy(form, errors, **options):
        refused.append((type(form).__name__, dict(errors), options.get("status")))
        original(form, errors, **options)

    monkeypatch.setattr(ServiceForm, "refuse", spy)
    response = send(make_site(), v="short")
    assert response.status_code == 400
    assert response.json()["detail"] == "v: The visitor id is missing or malformed."
    assert refused == [("HitForm", {"v": ["The visitor id is missing or malformed."]}, 400)]
