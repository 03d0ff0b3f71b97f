"""Companies in the browser: the list finds a company and links to its page; the page shows
its people, deals and timeline, saves a note, and reads well in Spanish, Polish and English,
at laptop size and 390 px wide; the card's Company section links to the page."""

import pytest
from playwright.sync_api import expect

from kartoteka.companies import services
from tests.e2e.conftest import DESKTOP, PHONE, login, open_card, screenshot
from tests.factories import make_contact, make_deal

pytestmark = pytest.mark.e2e


@pytest.fixture
def acme(admin, sales):
    marta = make_contact(owners=[sales], first_name="Marta", last_name="Nowak", company="Acme")
    company = marta.company
    services.update_company(
        admin,
        company,
        data={"domain": "acme.es", "industry": "Logística", "size": "51-200", "city": "Kraków"},
    )
    services.set_person(admin, company, contact_id=marta.pk, role="Decision maker", job_title="CFO")
    make_deal(owner=sales, contacts=[marta], name="Fleet renewal", amount="12500")
    return company, marta


WORDS = {
    "es": ("Empresas", "Personas", "Línea de tiempo y notas"),
    "pl": ("Firmy", "Osoby", "Oś czasu i notatki"),
    "en": ("Companies", "People", "Timeline and notes"),
}


@pytest.mark.parametrize("language", ["es", "pl", "en"])
@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_list_and_page_read_in_each_language_and_fit(
    browser, live_server, sales, acme, language, size
):
    company, marta = acme
    context = browser.new_context(viewport=PHONE if size == "phone" else DESKTOP, locale=language)
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.base_url = live_server.url
    list_word, people_word, timeline_word = WORDS[language]
    try:
        login(page, sales)
        page.goto(f"{live_server.url}/companies/?q=acm")
        expect(page.locator("h1")).to_have_text(list_word)
        expect(page.locator("#company-table")).to_contain_text("Logística")
        screenshot(page, f"companies-list-{language}-{size}")
        if size == "phone":
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.locator("#company-table a", has_text="Acme").click()
        expect(page.locator("#people")).to_contain_text(people_word)
        expect(page.locator("#people")).to_contain_text("Marta Nowak")
        expect(page.locator("#deals")).to_contain_text("Fleet renewal")
        expect(page.locator("#timeline")).to_contain_text(timeline_word)
        page.fill("#n-body", "Renewal call on Monday")
        page.locator("#timeline button[type=submit]").click()
        expect(page.locator("#timeline")).to_contain_text("Renewal call on Monday")
        screenshot(page, f"companies-page-{language}-{size}")
        if size == "phone":
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        context.close()


def test_card_company_section_links_to_the_company_page(page, sales, acme):
    company, marta = acme
    login(page, sales)
    open_card(page, marta)
    link = page.locator(f"a[href='/companies/{company.pk}/']").first
    expect(link).to_be_visible()
    link.click()
    expect(page.locator("h1")).to_have_text("Acme")


def test_a_bad_domain_is_shown_next_to_the_field(page, sales, acme):
    company, _marta = acme
    login(page, sales)
    page.goto(f"{page.base_url}/companies/{company.pk}/")
    page.fill("#c-domain", "not a domain")
    page.locator("#details button[type=submit]").click()
    expect(page.locator("#details .field-error")).to_contain_text("example.com")
    screenshot(page, "companies-page-bad-domain")


def test_a_person_is_added_by_typing_a_name_and_picking_them(page, sales, acme):
    company, _marta = acme
    tomasz = make_contact(owners=[sales], first_name="Tomasz", last_name="Zieliński")
    make_contact(first_name="Tomasz", last_name="Hidden")  # nobody gave it to the sales user
    login(page, sales)
    page.goto(f"{page.base_url}/companies/{company.pk}/")
    page.locator("#p-search").press_sequentially("tomasz", delay=30)
    option = page.locator("#p-results label", has_text="Zieliński")
    expect(option).to_be_visible()
    expect(page.locator("#p-results")).not_to_contain_text("Hidden")
    option.click()
    page.fill("#p-role", "Buyer")
    screenshot(page, "companies-person-picker")
    page.locator(".person-form button[type=submit]").click()
    expect(page.locator("#people")).to_contain_text("Tomasz Zieliński")
    assert tomasz.company_memberships.filter(company=company).exists()


def test_settings_edit_and_delete_a_company_detail_in_use(page, admin, acme):
    company, _marta = acme
    field = services.add_company_field(admin, key="tier", label="Tier", type="text")
    services.update_company(admin, company, data={"properties": {"tier": "Gold"}})
    login(page, admin)
    page.goto(f"{page.base_url}/settings/company-details/")
    page.fill(f"#label-{field.pk}", "Level")
    page.locator(f"button[form=detail-form-{field.pk}]").click()
    expect(page.locator(f"#label-{field.pk}")).to_have_value("Level")
    page.locator("td form button.btn-danger").click()
    expect(page.locator("#confirm-delete")).to_contain_text("1")
    screenshot(page, "companies-detail-delete-confirm")
    page.locator("#confirm-delete button.btn-danger").click()
    expect(page.locator(f"#label-{field.pk}")).to_have_count(0)
