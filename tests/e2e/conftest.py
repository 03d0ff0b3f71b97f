"""Browser tests: a live server, Debian's Chromium driven by Playwright, sign-in and screenshots.

Every test here is marked `e2e`; screenshots land in test-artifacts/ at the repository root.
"""

import contextlib
import os
import re
from pathlib import Path

import pytest
from django.db import DEFAULT_DB_ALIAS, connections

CHROMIUM = os.environ.get("KARTOTEKA_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "correct horse battery"  # the password tests.factories.UserFactory gives everyone
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


def pytest_collection_modifyitems(items):
    for item in items:
        if "/tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def _migration_data(django_db_setup) -> str | None:
    """What migrations put in the test database (default matching rules and the like), as
    Django serialised it, taken before Playwright starts: its sync API runs an event loop, and
    code under it sees fresh database connection objects without that snapshot."""
    return getattr(connections[DEFAULT_DB_ALIAS], "_test_serialized_contents", None)


@pytest.fixture(autouse=True)
def _keep_migration_data(_migration_data, django_db_serialized_rollback):
    """Browser tests need a live server, so each one empties the database afterwards; hand the
    snapshot to the connection so the next test starts with the migration data again."""
    if _migration_data is not None:
        connections[DEFAULT_DB_ALIAS]._test_serialized_contents = _migration_data


@pytest.fixture(scope="session")
def browser(_migration_data):
    """One headless Chromium for the whole session."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is missing at {CHROMIUM}: apt-get install -y chromium")
    # Playwright's sync API refuses to run inside an asyncio loop; Django's checks need this too.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


# Playwright waits 30 s for an action and 5 s for an assertion by default. Both wait 10 s here,
# which holds on CI's machine, where the two databases' suites share two cores.
ACTION_TIMEOUT_MS = 10_000


@pytest.fixture
def page(browser, live_server):
    """A fresh browser context at laptop size; `page.base_url` is the live server's address."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import expect

    context = browser.new_context(viewport=DESKTOP, locale="en-GB")
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    expect.set_options(timeout=ACTION_TIMEOUT_MS)  # an assertion waits as long as an action
    page = context.new_page()
    page.base_url = live_server.url
    yield page
    # Requests still in flight (card sections load lazily) would go on running in the live
    # server while the database is flushed for the next test, and deadlock with the flush.
    with contextlib.suppress(PlaywrightError):
        page.wait_for_load_state("networkidle", timeout=5_000)
    context.close()


def login(page, user, password: str = PASSWORD) -> None:
    """Sign `user` in through the sign-in form, as a person would."""
    page.goto(f"{page.base_url}/login/")
    page.get_by_label(re.compile("Username|Usuario|Nazwa użytkownika", re.I)).fill(user.username)
    page.locator("input[name=password]").fill(password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/contacts/"))


def go_by_nav(page, name: str) -> None:
    """Follow the main navigation's link `name`, opening its More menu if the link is under it."""
    nav = page.locator(".mainnav")
    link = nav.get_by_role("link", name=name, exact=True)
    if not link.is_visible():
        nav.locator(".nav-more summary").click()
    link.click()


def choose_language(page, language: str) -> None:
    """Switch the page to `language` with the switcher in the top bar, as a person would."""
    from playwright.sync_api import expect

    if language != "en":
        page.locator(f".langswitch button[value={language}]").first.click()
        expect(page.locator("html")).to_have_attribute("lang", language)


def open_card(page, contact) -> None:
    """Open a contact's card and wait until every shown section has loaded: a section filling
    in moves the ones below it, and a click aimed at a moving element misses it."""

    page.goto(f"{page.base_url}/contacts/{contact.pk}/")
    wait_for_sections(page)


# A card loads each section as a request of its own: on a machine as busy as CI's (load 13,
# the other database's suite beside this one) the live server took over 5 s for all of them.
SECTIONS_LOADED_MS = 30_000


def wait_for_sections(page) -> None:
    """Wait until every section of the card's dashboard has loaded."""
    from playwright.sync_api import expect

    expect(page.locator("#dashboard .section-loading")).to_have_count(0, timeout=SECTIONS_LOADED_MS)


def screenshot(page, name: str, *, full_page: bool = True) -> Path:
    """Save a PNG of the page under test-artifacts/ and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


@pytest.fixture
def login_as():
    """The `login` helper as a fixture, for tests that prefer not to import it."""
    return login
