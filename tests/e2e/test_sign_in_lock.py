"""A locked sign-in in the browser: the page says why, in the user's language, on a phone;
an admin unlocks the account from Settings → Team."""

import re

import pytest
from django.conf import settings
from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD, PHONE, login, screenshot

LOCKED = {
    "es": "Demasiados intentos fallidos de inicio de sesión",
    "pl": "Zbyt wiele nieudanych prób logowania",
}


def try_sign_in(page, username: str, password: str) -> None:
    page.goto(f"{page.base_url}/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


@pytest.mark.parametrize("language", ["es", "pl"])
def test_locked_sign_in_says_why_in_the_users_language(browser, live_server, sales, language):
    context = browser.new_context(viewport=PHONE, locale=language)
    page = context.new_page()
    page.base_url = live_server.url
    for _ in range(settings.KARTOTEKA_SIGN_IN_FAILURE_LIMIT):
        try_sign_in(page, sales.username, "wrong password")
    try_sign_in(page, sales.username, PASSWORD)
    expect(page.locator(".form-errors")).to_contain_text(LOCKED[language])
    assert page.url.endswith("/login/")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, f"sign-in-locked-{language}-phone")
    context.close()


def test_admin_unlocks_a_locked_account_in_settings(browser, page, admin, sales):
    login(page, admin)  # already signed in: a lock stops new sign-ins, not sessions
    other = browser.new_context(viewport=PHONE)
    guesser = other.new_page()
    guesser.base_url = page.base_url
    for _ in range(settings.KARTOTEKA_SIGN_IN_FAILURE_LIMIT):
        try_sign_in(guesser, sales.username, "wrong password")

    page.goto(f"{page.base_url}/settings/users/")
    row = page.locator("tr", has_text=f"@{sales.username}")
    expect(row).to_contain_text("Sign-in locked")
    screenshot(page, "settings-team-locked")
    row.get_by_role("button", name="Unlock").click()
    expect(page.locator(".flash")).to_contain_text("Signing in is unlocked.")
    expect(page.locator("tr", has_text=f"@{sales.username}")).not_to_contain_text("Sign-in locked")

    try_sign_in(guesser, sales.username, PASSWORD)
    expect(guesser).to_have_url(re.compile(r"/contacts/"))
    other.close()
