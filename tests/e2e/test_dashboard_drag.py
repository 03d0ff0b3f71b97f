"""Re-ordering the card's dashboard by dragging (SortableJS): a section dragged far, from the
bottom of the dashboard up past the timeline, lands there and stays after a reload; outside
customising, a drag moves nothing."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import login, open_card, screenshot
from tests.factories import make_contact

pytestmark = pytest.mark.e2e


def _keys(page) -> list[str]:
    return page.locator("#dashboard .section").evaluate_all("els => els.map(e => e.dataset.key)")


def _drag(page, source: str, target: str) -> None:
    """Press on the source's header, move in small steps like a hand, release on the target's
    header."""
    start = page.locator(f"{source} .section-head h3").bounding_box()
    end = page.locator(f"{target} .section-head h3").bounding_box()
    page.mouse.move(start["x"] + 5, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(start["x"] + 10, start["y"] + start["height"] / 2, steps=5)
    page.mouse.move(end["x"] + 5, end["y"] + 2, steps=30)
    page.wait_for_timeout(300)
    page.mouse.up()


def test_drag_a_section_far_up_past_the_timeline(page, sales):
    """On a laptop screen Files starts below the fold: the drag carries it to the top edge,
    the page scrolls up under it, and it is dropped on the Timeline's header."""
    contact = make_contact(owners=[sales], company="Acme")
    login(page, sales)
    open_card(page, contact)
    before = _keys(page)
    assert before.index("files") > before.index("timeline") + 2
    page.get_by_role("button", name="Customise dashboard").click()
    files = page.locator("#section-files .section-head h3")
    files.scroll_into_view_if_needed()
    start = files.bounding_box()
    assert page.evaluate("window.scrollY") > 0
    with page.expect_response(lambda r: "/account/dashboard/" in r.url):
        page.mouse.move(start["x"] + 5, start["y"] + start["height"] / 2)
        page.mouse.down()
        page.mouse.move(start["x"] + 10, start["y"] + start["height"] / 2, steps=5)
        for _step in range(40):  # hold at the top edge until the page has scrolled up
            page.mouse.move(start["x"] + 10, 8, steps=2)
            page.wait_for_timeout(50)
            if page.evaluate("window.scrollY") == 0:
                break
        end = page.locator("#section-timeline .section-head").bounding_box()
        for y in range(8, int(end["y"] + end["height"] / 2), 20):  # down onto its header
            page.mouse.move(start["x"] + 10, y)
            page.wait_for_timeout(30)
        page.wait_for_timeout(300)
        page.mouse.up()
    screenshot(page, "dashboard-dragged")
    assert _keys(page).index("files") < _keys(page).index("timeline")
    page.reload()
    assert _keys(page).index("files") < _keys(page).index("timeline")


def test_dragging_does_nothing_unless_the_dashboard_is_customised(page, sales):
    contact = make_contact(owners=[sales])
    page.set_viewport_size({"width": 1366, "height": 1400})
    login(page, sales)
    open_card(page, contact)
    before = _keys(page)
    _drag(page, "#section-files", "#section-timeline")
    page.wait_for_timeout(300)
    assert _keys(page) == before
    expect(page.locator("#layout-status")).to_have_text("")
