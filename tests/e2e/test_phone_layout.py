"""On a 390 px phone every page fits the screen: nothing makes the page scroll sideways (wide
tables scroll inside their own box or become stacked cards), and the navigation folds into a
menu button that opens with the keyboard too."""

import importlib
import re

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from playwright.sync_api import expect

from kartoteka.activity import services as activity
from kartoteka.contacts import services as contacts
from kartoteka.core.scope import SYSTEM
from kartoteka.duplicates.models import MatchingRule
from kartoteka.duplicates.services import merge_contacts, scan_now
from kartoteka.segments import services as segments
from tests.e2e.conftest import PHONE, login, screenshot
from tests.factories import UserFactory, make_contact

pytestmark = pytest.mark.e2e

WIDTH = PHONE["width"]
# The outermost elements that reach past the screen's right edge, to say what to fix.
OFFENDERS = """(width) => {
  const found = [];
  for (const el of document.querySelectorAll("body *")) {
    const box = el.getBoundingClientRect();
    if (box.right > width + 1 && !found.some((f) => f.contains(el))) found.push(el);
  }
  return found.slice(0, 5).map((el) => [el.tagName, ...el.classList].join(".") + " "
    + Math.round(el.getBoundingClientRect().right));
}"""


@pytest.fixture
def workspace(transactional_db):
    """A workspace with something on every page: long names, details, tags, duplicates, a task,
    a segment, a merge."""
    if not MatchingRule.objects.exists():
        importlib.import_module(
            "kartoteka.duplicates.migrations.0002_default_matching_rules"
        ).add_rules(apps, None)
    admin = UserFactory(username="alba", role="admin", first_name="Alba")
    contacts.define_property(admin, key="first_purchase", label="Primera compra", type="boolean")
    contacts.define_property(
        admin, key="products", label="Productos", type="multi_choice", choices=["CRM", "ERP"]
    )
    long = {
        "first_name": "Maximiliana",
        "last_name": "Wiśniewska-Fernández de Córdoba",
        "company": "Przedsiębiorstwo Handlowo-Usługowe Międzynarodowe",
        "job_title": "Directora de Desarrollo de Negocio Internacional",
        "phone": "+48601555666",
        "city": "Szczebrzeszyn",
    }
    one = make_contact(
        admin,
        email="maximiliana.wisniewska@przedsiebiorstwo-handlowe.example",
        properties={"first_purchase": True, "products": ["CRM"]},
        **long,
    )
    two = make_contact(admin, email="m.wisniewska@przedsiebiorstwo-handlowe.example", **long)
    three = make_contact(admin, email="maxi.w@przedsiebiorstwo-handlowe.example", **long)
    contacts.add_tags(admin, one, names=["cliente-preferente-internacional", "vip"])
    activity.add_note(admin, one, body="Llamar el lunes para hablar del contrato anual.")
    activity.upload_file(
        admin, one, upload=ContentFile(b"x", name="oferta-comercial-definitiva-2026.txt")
    )
    task = activity.create_task(
        admin,
        data={"title": "Enviar la oferta revisada", "contacts": [one.pk], "assignees": [admin]},
    )
    segments.create_segment(
        admin,
        name="Clientes preferentes de Polonia",
        document={"field": "city", "op": "eq", "value": "Szczebrzeszyn"},
    )
    merge_contacts(admin, survivor_id=one.pk, merged_ids=[three.pk])
    scan_now(SYSTEM, trigger="test")
    return admin, one, two, task


def _pages(one, two, task) -> list[str]:
    return [
        "/contacts/",
        "/clients/",
        f"/contacts/{one.pk}/",
        "/contacts/new/",
        "/segments/",
        "/imports/",
        "/export/",
        "/duplicates/",
        f"/duplicates/compare/?ids={one.pk},{two.pk}",
        "/duplicates/rules/",
        f"/contacts/{one.pk}/merge-with/?q=Maximiliana",
        f"/contacts/{one.pk}/merges/",
        "/settings/details/",
        "/settings/tags/",
        "/settings/users/",
        "/settings/workspace/",
        "/tasks/",
        f"/tasks/{task.pk}/",
        "/notifications/",
        "/account/password/",
        "/account/tokens/",
        "/privacy/forgotten/",
    ]


@pytest.mark.parametrize("language", ["es", "pl"])
def test_every_page_fits_a_phone_screen(browser, live_server, workspace, language):
    admin, one, two, task = workspace
    context = browser.new_context(viewport=PHONE, locale=language)
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.base_url = live_server.url
    try:
        login(page, admin)
        too_wide = {}
        for path in _pages(one, two, task):
            page.goto(f"{live_server.url}{path}")
            page.wait_for_load_state("networkidle")
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > WIDTH:
                too_wide[path] = (width, page.evaluate(OFFENDERS, WIDTH))
                name = re.sub(r"\W+", "-", path).strip("-") or "home"
                screenshot(page, f"phone-{language}-{name}")
        assert too_wide == {}, f"pages wider than {WIDTH} px: {too_wide}"
    finally:
        context.close()


def test_phone_navigation_is_a_menu_button_that_works_by_keyboard(browser, live_server, workspace):
    admin, *_rest = workspace
    context = browser.new_context(viewport=PHONE, locale="es")
    context.add_cookies([{"name": "django_language", "value": "es", "url": live_server.url}])
    page = context.new_page()
    page.base_url = live_server.url
    try:
        login(page, admin)
        menu = page.locator(".menu-toggle")
        expect(menu).to_be_visible()
        expect(menu).to_have_attribute("aria-expanded", "false")
        companies = page.locator(".mainnav").get_by_role("link", name="Empresas")
        duplicates = page.locator(".mainnav").get_by_role("link", name="Duplicados")
        expect(companies).to_be_hidden()
        menu.focus()
        page.keyboard.press("Enter")
        expect(menu).to_have_attribute("aria-expanded", "true")
        expect(companies).to_be_visible()
        expect(page.locator(".mainnav").get_by_role("link", name="Ajustes")).to_be_visible()
        # Pages opened less often fold under "Más", which opens by keyboard too.
        expect(duplicates).to_be_hidden()
        page.locator(".nav-more summary").focus()
        page.keyboard.press("Enter")
        expect(duplicates).to_be_visible()
        screenshot(page, "phone-es-menu-open")
        page.keyboard.press("Escape")
        expect(duplicates).to_be_hidden()
        page.keyboard.press("Escape")
        expect(menu).to_have_attribute("aria-expanded", "false")
        expect(companies).to_be_hidden()
        expect(menu).to_be_focused()
    finally:
        context.close()


def test_desktop_navigation_shows_its_links_without_a_menu_button(page, workspace):
    admin, *_rest = workspace
    login(page, admin)
    expect(page.locator(".menu-toggle")).to_be_hidden()
    nav = page.locator(".mainnav")
    expect(nav.get_by_role("link", name="Companies")).to_be_visible()
    expect(nav.get_by_role("link", name="Duplicates")).to_be_hidden()
    nav.get_by_text("More").click()
    expect(nav.get_by_role("link", name="Duplicates")).to_be_visible()
    page.locator("h1").click()  # a click elsewhere folds More again
    expect(nav.get_by_role("link", name="Duplicates")).to_be_hidden()
