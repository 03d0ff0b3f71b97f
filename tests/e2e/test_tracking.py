"""A website on another origin carries the tracking snippet: Chromium browses it from a
campaign link, the site identifies the visitor, and the card shows the visits with the device,
browser and campaign — in Spanish and Polish, on a laptop and a phone."""

import http.server
import threading
import time

import pytest
from playwright.sync_api import expect

from kartoteka.core.scope import SYSTEM
from kartoteka.tracking import services
from kartoteka.tracking.models import Hit, Visit
from tests.e2e.conftest import DESKTOP, PHONE, login, screenshot
from tests.factories import UserFactory, make_contact

pytestmark = pytest.mark.e2e

# Headless Chromium names itself "HeadlessChrome", which the collector ignores as automated.
DESKTOP_CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
PAGE = """<!doctype html><html><head><title>{title}</title>
<script>window.kt=window.kt||function(){{(window.kt.q=window.kt.q||[]).push(arguments)}}</script>
<script async src="{crm}/t.js" data-site="{key}"></script></head>
<body><h1>{title}</h1><a id="next" href="/shoes.html">Shoes</a>
<button id="identify" onclick="kt('identify', 'ana@example.com')">Sign up</button></body></html>"""


@pytest.fixture
def shop(live_server, transactional_db):
    """A tracked shop served by its own HTTP server on another port: another origin."""
    site = services.create_site(SYSTEM, name="Shop", domains=["127.0.0.1"])
    pages = {
        "/": PAGE.format(title="Home", crm=live_server.url, key=site.key),
        "/shoes.html": PAGE.format(title="Red shoes", crm=live_server.url, key=site.key),
    }

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the standard library's name)
            body = pages.get(self.path.split("?")[0])
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write((body or "").encode())

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield site, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def _wait_for_hits(count: int) -> None:
    """Beacons leave when the browser likes; give them up to 10 s to arrive."""
    for _ in range(100):
        if Hit.objects.count() >= count:
            return
        time.sleep(0.1)
    raise AssertionError("the collector did not receive the hits")


@pytest.mark.parametrize(("language", "viewport"), [("es", DESKTOP), ("pl", PHONE)])
def test_a_campaign_visit_on_another_site_appears_on_the_card(
    browser, live_server, shop, language, viewport
):
    site, shop_url = shop
    ana = make_contact(email="ana@example.com", first_name="Ana")
    visitor = browser.new_context(viewport=DESKTOP, user_agent=DESKTOP_CHROME)
    page = visitor.new_page()
    page.goto(f"{shop_url}/?utm_source=google&utm_campaign=invierno&keyword=zapatos")
    page.click("#identify")
    page.click("#next")
    expect(page.locator("h1")).to_have_text("Red shoes")
    _wait_for_hits(3)
    visitor.close()
    services.process_hits()
    visit = Visit.objects.get(contact=ana)
    assert (visit.pages, visit.utm_campaign, visit.ads_keyword) == (2, "invierno", "zapatos")
    assert (visit.device_type, visit.browser) == ("desktop", "Chrome")

    admin = UserFactory(username="alba", role="admin")
    staff = browser.new_context(viewport=viewport, locale=language)
    card = staff.new_page()
    card.base_url = live_server.url
    try:
        login(card, admin)
        card.goto(f"{live_server.url}/contacts/{ana.pk}/visits/")
        expect(card.locator(".visit").first).to_contain_text("Shop")
        expect(card.locator(".page-views li")).to_have_count(2)
        expect(card.locator(".visit-devices")).to_contain_text("Chrome")
        width = card.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], f"page is {width}px wide"
        screenshot(card, f"visits-{language}-{viewport['width']}")
        card.goto(f"{live_server.url}/contacts/{ana.pk}/")
        section = card.locator("#section-attribution")
        expect(section).to_contain_text("invierno")
        screenshot(card, f"attribution-{language}-{viewport['width']}")
    finally:
        card.wait_for_load_state("networkidle")
        staff.close()


def test_a_page_of_another_site_stores_nothing(browser, shop):
    site, shop_url = shop
    site.domains = ["elsewhere.example.com"]
    site.save()
    stranger = browser.new_context(user_agent=DESKTOP_CHROME)
    page = stranger.new_page()
    with page.expect_response(lambda r: "/t/collect" in r.url) as answer:
        page.goto(f"{shop_url}/")
    assert answer.value.status == 403
    stranger.close()
    assert not Hit.objects.exists()


def test_a_browser_asking_not_to_be_tracked_sends_nothing(browser, shop):
    _site, shop_url = shop
    careful = browser.new_context(user_agent=DESKTOP_CHROME, extra_http_headers={"DNT": "1"})
    page = careful.new_page()
    page.add_init_script("Object.defineProperty(navigator, 'doNotTrack', {get: () => '1'})")
    sent = []
    page.on("request", lambda r: "/t/collect" in r.url and sent.append(r.url))
    page.goto(f"{shop_url}/")
    page.wait_for_load_state("networkidle")
    page.click("#identify")
    careful.close()
    assert sent == []
    assert not Hit.objects.exists()
