"""A page given input no database can store shows a translated error page that fits a phone."""

import pytest

from tests.e2e.conftest import PHONE, login, screenshot
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    "locale, heading", [("es-ES", "Datos no válidos"), ("pl-PL", "Nieprawidłowe dane")]
)
def test_nul_in_the_list_search_shows_the_translated_400_page(
    browser, live_server, locale, heading
):
    user = UserFactory(username="ana", role="admin")
    context = browser.new_context(viewport=PHONE, locale=locale)
    page = context.new_page()
    page.base_url = live_server.url
    login(page, user)
    response = page.goto(f"{live_server.url}/contacts/?q=ana%00")
    assert response.status == 400
    assert page.locator("h1").inner_text() == heading
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, f"bad-input-400-{locale}")
    context.close()
