"""The timeline on the card, as a Spanish and a Polish user see it on a laptop and a phone:
kinds in their language, notes as formatted text, nothing wider than the screen."""

import pytest
from playwright.sync_api import expect

from kartoteka.activity import services as work
from kartoteka.contacts import services as contacts
from kartoteka.privacy import services as privacy
from tests.e2e.conftest import DESKTOP, PHONE, login, screenshot
from tests.factories import UserFactory, make_contact

pytestmark = pytest.mark.e2e


@pytest.fixture
def history(transactional_db):
    sales = UserFactory(username="sergio", role="sales", first_name="Sergio")
    contact = make_contact(owners=[sales], first_name="Marta", last_name="Nowak")
    work.add_note(
        sales,
        contact,
        body="**Llamar el lunes** por la oferta:\n\n- precio por volumen\n- plazos de entrega",
    )
    contacts.update_contact(sales, contact, data={"status": "qualified", "city": "Kraków"})
    privacy.set_monitoring(sales, contact, enabled=False)
    privacy.record_data_export(sales, contact, files=2)
    return sales, contact


@pytest.mark.parametrize(
    ("language", "viewport", "kinds"),
    [
        ("es", DESKTOP, ["Nota añadida", "Seguimiento detenido", "Datos exportados"]),
        ("pl", PHONE, ["Monitorowanie wstrzymane", "Dane wyeksportowane"]),
        ("es", PHONE, ["Seguimiento detenido"]),
    ],
)
def test_timeline_reads_in_the_users_language_with_notes_formatted(
    browser, live_server, history, language, viewport, kinds
):
    sales, contact = history
    context = browser.new_context(viewport=viewport, locale=language)
    page = context.new_page()
    page.base_url = live_server.url
    try:
        login(page, sales)
        page.goto(f"{page.base_url}/contacts/{contact.pk}/")
        page.wait_for_load_state("networkidle")
        timeline = page.locator("#section-timeline")
        for label in kinds:
            expect(timeline.locator(".timeline .kind", has_text=label).first).to_be_visible()
        expect(
            timeline.locator(".timeline-text strong", has_text="Llamar el lunes")
        ).to_be_visible()
        expect(timeline.locator(".timeline-text li").first).to_have_text("precio por volumen")
        assert "**" not in timeline.inner_text()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], f"page is {width}px wide"
        screenshot(page, f"timeline-{language}-{viewport['width']}")
    finally:
        page.wait_for_load_state("networkidle")
        context.close()
