"""The contact list and card in a real browser: add, edit in place, tag, dashboard, scope."""

from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, login, open_card, screenshot
from tests.factories import make_contact


def test_create_a_contact_after_fixing_a_validation_error(page, sales):
    login(page, sales)
    page.get_by_role("link", name="Add contact").click()
    page.get_by_label("First name").fill("Marta")
    page.get_by_label("Last name").fill("Nowak")
    page.locator("#email_0").fill("not an address")
    page.get_by_role("button", name="Save contact").click()
    expect(page.locator("#email_0-error")).to_be_visible()
    expect(page.locator("#email_0")).to_have_attribute("aria-invalid", "true")
    screenshot(page, "add-contact-error")
    page.locator("#email_0").fill("marta@example.com")
    page.locator("#phone_0").fill("+48 601 200 300")
    page.get_by_role("button", name="Save contact").click()
    expect(page.locator("#card-header h1")).to_have_text("Marta Nowak")


def test_edit_a_field_in_place_and_add_a_tag(page, sales):
    contact = make_contact(owners=[sales], first_name="Ana", last_name="Lis", company="Acme")
    login(page, sales)
    page.goto(f"{page.base_url}/contacts/{contact.pk}/")
    page.locator("#fact-company").get_by_role("button", name="Acme").click()
    page.locator("#edit-job_title").fill("Head of Sales")
    page.locator("#fact-company").get_by_role("button", name="Save").click()
    expect(page.locator("#fact-company")).to_contain_text("Head of Sales")
    # The timeline reloads itself after the edit.
    expect(page.locator("#section-body-timeline")).to_contain_text("Head of Sales")

    page.locator(f"#new-tag-{contact.pk}").fill("trade fair")
    page.get_by_role("button", name="Add tag").click()
    expect(page.locator(f"#tags-{contact.pk} .tag-chip")).to_contain_text("trade fair")
    screenshot(page, "card")


def test_in_place_edit_shows_the_error_next_to_the_field(page, sales):
    contact = make_contact(owners=[sales])
    login(page, sales)
    page.goto(f"{page.base_url}/contacts/{contact.pk}/")
    page.get_by_role("button", name="Add fax").click()
    page.locator("#edit-fax").fill("call me")
    page.locator("#fact-fax").get_by_role("button", name="Save").click()
    expect(page.locator("#edit-fax-error")).to_be_visible()


def test_customised_and_locked_dashboard_survives_a_reload(page, sales):
    contact = make_contact(owners=[sales], company="Acme")
    login(page, sales)
    open_card(page, contact)
    page.get_by_role("button", name="Customise dashboard").click()
    before = page.locator("#dashboard .section").evaluate_all("els => els.map(e => e.dataset.key)")
    tags = page.locator("#section-tags")
    for _ in range(before.index("tags")):  # keyboard-friendly re-ordering, to the top
        tags.get_by_role("button", name="Move Tags up").click()
    page.locator("#section-owners [data-show]").uncheck()
    with page.expect_response(
        lambda r: "/account/dashboard/" in r.url and "locked=1" in (r.request.post_data or "")
    ):
        page.get_by_label("Lock editing").check()
    page.reload()
    keys = page.locator("#dashboard .section").evaluate_all("els => els.map(e => e.dataset.key)")
    assert keys.index("tags") < keys.index("timeline")
    expect(page.locator("#section-owners")).to_be_hidden()
    expect(page.get_by_label("Lock editing")).to_be_checked()
    expect(page.get_by_role("button", name="Customise dashboard")).to_be_disabled()


def test_sales_user_gets_not_found_for_another_users_card(page, sales, other_sales):
    theirs = make_contact(owners=[other_sales])
    login(page, sales)
    response = page.goto(f"{page.base_url}/contacts/{theirs.pk}/")
    assert response.status == 404
    expect(page.locator("h1")).to_have_text("Not found")


def test_list_and_card_screenshots_on_a_laptop_and_a_phone(page, admin, sales):
    for n in range(12):
        make_contact(
            owners=[sales], company="Acme" if n % 2 else "Globex", tags=["vip"] if n % 3 else []
        )
    contact = make_contact(owners=[sales], first_name="Marta", last_name="Nowak", company="Acme")
    login(page, admin)
    expect(page.locator("#contact-table tbody tr")).to_have_count(13)
    screenshot(page, "list")
    page.locator("#contact-table tbody input[name=ids]").first.check()
    expect(page.locator("#bulkbar")).to_be_visible()
    page.goto(f"{page.base_url}/contacts/{contact.pk}/")
    screenshot(page, "card-admin")
    page.set_viewport_size(PHONE)
    screenshot(page, "card-phone")
    page.goto(f"{page.base_url}/contacts/")
    screenshot(page, "list-phone")
