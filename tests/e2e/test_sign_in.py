"""Signing in and out in a real browser."""

from tests.e2e.conftest import login, screenshot


def test_user_signs_in_and_sees_the_contact_list(page, sales):
    login(page, sales)
    assert page.locator("h1").first.inner_text() == "Contacts"
    screenshot(page, "frame-contacts")


def test_wrong_password_keeps_the_user_on_the_sign_in_page(page, sales):
    page.goto(f"{page.base_url}/login/")
    page.locator("input[name=username]").fill(sales.username)
    page.locator("input[name=password]").fill("not the password")
    page.locator("main form button[type=submit]").click()
    assert page.locator(".form-errors").is_visible()
    screenshot(page, "sign-in-error")
