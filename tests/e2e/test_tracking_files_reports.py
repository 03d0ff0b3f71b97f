"""Browser tests of files to download, the card's Other tab and the attribution report: a file
uploaded in Settings, downloaded from a tracked site on another origin by a known visitor and
found on their card; the pages in English, Spanish and Polish and at phone width."""

import http.server
import threading
import time

import pytest
from django.core.files.base import ContentFile
from playwright.sync_api import expect

from kartoteka.contacts.models import Contact
from kartoteka.core.scope import SYSTEM
from kartoteka.tracking import files, services
from kartoteka.tracking.models import FileDownload, Hit, PublicFile
from tests.e2e.conftest import PHONE, login, screenshot
from tests.factories import make_contact

pytestmark = pytest.mark.e2e

DESKTOP_CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
PAGE = """<!doctype html><html><head><title>Guides</title>
<script>window.kt=window.kt||function(){{(window.kt.q=window.kt.q||[]).push(arguments)}}</script>
<script async src="{crm}/t.js" data-site="{key}"></script></head>
<body><h1>Guides</h1><a id="ebook" href="{link}">E-book</a>
<button id="identify" onclick="kt('identify', 'ana@example.com')">Sign up</button></body></html>"""
TITLES = {
    "en": ("Files to download", "Where clients come from", "Forms and files of"),
    "es": ("Archivos para descargar", "De dónde vienen los clientes", "Formularios y archivos de"),
    "pl": ("Pliki do pobrania", "Skąd przychodzą klienci", "Formularze i pliki"),
}


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "files"


def _fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_file_from_settings_downloaded_on_a_tracked_site_lands_on_the_card(
    browser, live_server, page, admin, tmp_path
):
    site = services.create_site(SYSTEM, name="Guides", domains=["127.0.0.1"])
    ana = make_contact(email="ana@example.com", first_name="Ana")
    # An admin adds the e-book in Settings → Files to download.
    login(page, admin)
    page.goto(f"{page.base_url}/settings/files/")
    ebook = tmp_path / "guide.pdf"
    ebook.write_bytes(b"%PDF-1.7 a guide")
    page.locator("#public-file").set_input_files(str(ebook))
    page.locator("#public-title").fill("Buying guide")
    page.locator("form.stack button[type=submit]").click()
    expect(page.locator("main")).to_contain_text("Buying guide")
    link = page.locator("input.copy-field").first.input_value()
    assert link == f"{live_server.url}/d/{PublicFile.objects.get().key}"

    body = PAGE.format(crm=live_server.url, key=site.key, link=link)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the standard library's name)
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    visitor = browser.new_context(user_agent=DESKTOP_CHROME, accept_downloads=True)
    try:
        shop = visitor.new_page()
        shop.goto(f"http://127.0.0.1:{server.server_port}/")
        shop.click("#identify")
        for _ in range(100):
            if Hit.objects.count() >= 2:
                break
            time.sleep(0.1)
        services.process_hits()
        with shop.expect_download() as download:
            shop.click("#ebook")
        assert download.value.suggested_filename == "guide.pdf"
    finally:
        visitor.close()
        server.shutdown()
    assert FileDownload.objects.get().contact_id == ana.pk

    page.goto(f"{page.base_url}/contacts/{ana.pk}/submissions/")
    expect(page.locator("main")).to_contain_text("Buying guide")
    screenshot(page, "tracking-other-tab-en")


@pytest.mark.parametrize("language", ["en", "es", "pl"])
def test_files_page_other_tab_and_report_in_each_language_and_on_a_phone(page, admin, language):
    files.upload_public_file(
        SYSTEM, upload=ContentFile(b"%PDF-1.7", name="price-list.pdf"), title="Price list 2027"
    )
    ana = make_contact(email="ana@example.com", first_name="Ana")
    Contact.objects.filter(pk=ana.pk).update(utm_source="google", utm_medium="cpc", status="won")
    login(page, admin)
    page.goto(f"{page.base_url}/settings/files/")
    page.locator(f".langswitch button[value={language}]").click()
    files_title, report_title, other_title = TITLES[language]
    expect(page.locator(".settings-nav [aria-current=page]")).to_have_text(files_title)
    screenshot(page, f"tracking-files-{language}")
    page.set_viewport_size(PHONE)
    page.reload()
    screenshot(page, f"tracking-files-{language}-phone")
    _fits(page)

    page.goto(f"{page.base_url}/reports/attribution/?group_by=medium")
    expect(page.locator("h1")).to_have_text(report_title)
    expect(page.locator("svg.chart-hbars")).to_have_count(4)
    expect(page.locator("main table")).to_contain_text("cpc")
    screenshot(page, f"tracking-attribution-{language}-phone")
    _fits(page)

    page.goto(f"{page.base_url}/contacts/{ana.pk}/submissions/")
    expect(page.locator("h1")).to_contain_text(other_title)
    screenshot(page, f"tracking-other-{language}-phone")
    _fits(page)

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{page.base_url}/reports/attribution/?group_by=source")
    screenshot(page, f"tracking-attribution-{language}")
