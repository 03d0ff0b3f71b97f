"""From the card, a sales user attaches a signed offer, gives a colleague a task and mentions
them; each step shows on the card and in the timeline, and the colleague sees the notification."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import login, screenshot
from tests.factories import UserFactory, make_contact

pytestmark = pytest.mark.e2e


@pytest.fixture
def team(transactional_db):
    sales = UserFactory(username="sergio", role="sales", first_name="Sergio")
    colleague = UserFactory(username="alba", role="admin", first_name="Alba")
    contact = make_contact(owners=[sales], first_name="Marta", last_name="Nowak")
    return sales, colleague, contact


def test_attach_a_file_and_add_a_task_from_the_card(page, team, tmp_path):
    sales, colleague, contact = team
    offer = tmp_path / "Signed offer.pdf"
    offer.write_bytes(b"%PDF-1.7\n% signed offer\n")
    login(page, sales)
    page.goto(f"{page.base_url}/contacts/{contact.pk}/")
    page.wait_for_load_state("networkidle")  # htmx and the card's scripts are in place

    files = page.locator(f"#work-files-{contact.pk}")
    files.locator("input[type=file]").set_input_files(str(offer))
    expect(files.get_by_role("link", name="Signed offer.pdf")).to_be_visible()
    page.wait_for_load_state("networkidle")  # every section reloads after a write

    tasks = page.locator(f"#work-tasks-{contact.pk}")
    tasks.get_by_role("button", name="Add a task").click()  # the empty section's action
    tasks.get_by_label("Title").fill("Countersign the offer")
    tasks.get_by_label("Due date and time").fill("2030-05-04T16:30")
    tasks.get_by_label("Assignees").select_option(["alba"])
    tasks.get_by_role("button", name="Add task").click()
    row = tasks.get_by_role("row", name=re.compile("Countersign the offer"))
    expect(row).to_contain_text("Alba")
    expect(row).to_contain_text("2030")
    page.wait_for_load_state("networkidle")

    comments = page.locator(f"#work-comments-{contact.pk}")
    comments.get_by_label("Comment").fill("@alba the signed offer is attached")
    comments.get_by_role("button", name="Comment").click()
    expect(comments.locator(".mention")).to_have_text("@alba")

    page.reload()
    timeline = page.locator("main")
    for text in ("Signed offer.pdf", "Countersign the offer", "the signed offer is attached"):
        expect(timeline.get_by_text(text).first).to_be_visible()
    screenshot(page, "card-work")

    # The colleague sees the unread notification and follows it back to the card.
    page.context.clear_cookies()
    login(page, colleague)
    expect(page.locator(".notifications-bell [data-unread]")).to_have_text("2")
    page.goto(f"{page.base_url}/notifications/")
    page.get_by_role("button", name=re.compile("mentioned you")).click()
    expect(page).to_have_url(re.compile(rf"/contacts/{contact.pk}/$"))


def test_an_executable_is_refused_with_a_clear_message(page, team, tmp_path):
    sales, _colleague, contact = team
    program = tmp_path / "invoice.pdf"
    program.write_bytes(b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 64)
    login(page, sales)
    page.goto(f"{page.base_url}/contacts/{contact.pk}/")
    page.wait_for_load_state("networkidle")  # htmx and the card's scripts are in place
    files = page.locator(f"#work-files-{contact.pk}")
    files.locator("input[type=file]").set_input_files(str(program))
    expect(files.get_by_role("alert")).to_contain_text("invoice.pdf is an ELF executable")
