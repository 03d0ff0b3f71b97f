"""Every main page runs under the Content-Security-Policy without a single violation: no
inline script, no eval, no <style> element (htmx's indicator rules live in our CSS)."""

import re

from playwright.sync_api import expect

from kartoteka.activity import services as activity_services
from kartoteka.contacts import services as contact_services
from tests.e2e.conftest import login
from tests.factories import make_contact

# Records every violation the browser reports, before any page script runs.
LISTEN = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(
    `${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""

PAGES = [
    "/contacts/",
    "/contacts/?q=tag:vip",
    "/clients/",
    "/contacts/new/",
    "/tasks/",
    "/notifications/",
    "/segments/",
    "/duplicates/",
    "/duplicates/rules/",
    "/imports/",
    "/export/",
    "/privacy/forgotten/",
    "/settings/details/",
    "/settings/tags/",
    "/settings/users/",
    "/settings/workspace/",
    "/account/password/",
    "/account/tokens/",
    "/api/docs",
    "/no-such-page/",
]


def watch(page) -> list[str]:
    """Collect CSP violations from both the DOM event and the console."""
    seen: list[str] = []
    page.add_init_script(LISTEN)
    page.on(
        "console",
        lambda msg: (
            seen.append(msg.text)
            if re.search("Content Security Policy|Refused to", msg.text)
            else None
        ),
    )
    return seen


# Inline handlers (onclick=, onsubmit=) only report a violation when they run; find them.
INLINE_HANDLERS = """
[...document.querySelectorAll("*")].flatMap((el) =>
  [...el.attributes].filter((a) => a.name.startsWith("on")).map((a) => `${el.tagName} ${a.name}`))
"""


def violations(page, console: list[str]) -> list[str]:
    page.wait_for_load_state("networkidle")
    return console + page.evaluate("window.__cspViolations || []") + page.evaluate(INLINE_HANDLERS)


def test_every_main_page_runs_without_a_csp_violation(page, admin):
    contact = make_contact(owners=[admin], first_name="Marta", last_name="Nowak")
    contact_services.add_tags(admin, contact, names=["vip"])
    activity_services.add_note(admin, contact, body="Called **today**")
    console = watch(page)

    response = page.goto(f"{page.base_url}/login/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert violations(page, console) == [], "/login/"

    login(page, admin)
    for path in [*PAGES, f"/contacts/{contact.pk}/"]:
        response = page.goto(f"{page.base_url}{path}")
        policy = response.headers.get("content-security-policy", "")
        assert "'unsafe-eval'" not in policy
        assert "script-src 'self';" in policy + ";", path
        found = violations(page, console)
        assert found == [], f"{path}: {found}"


def test_card_interactions_stay_within_the_policy(page, admin):
    contact = make_contact(owners=[admin], first_name="Marta", last_name="Nowak")
    console = watch(page)
    login(page, admin)
    page.goto(f"{page.base_url}/contacts/{contact.pk}/")
    page.get_by_role("button", name="Customise dashboard").click()
    page.get_by_role("button", name="Customise dashboard").click()
    page.locator("#section-tags input[name=tag]").fill("vip")
    page.locator("#section-tags input[name=tag]").press("Enter")
    expect(page.locator("#section-tags .tag-chip")).to_contain_text("vip")
    assert violations(page, console) == []
