"""The card header: avatar, one primary action beside the Actions menu, the summary strip (a
frame extension each app fills), values edited by clicking them, in a fixed number of queries."""

import re

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kartoteka.commerce import services as commerce_services
from kartoteka.consents import services as consent_services
from kartoteka.contacts import card
from kartoteka.contacts import services as contact_services
from kartoteka.contacts.models import Contact
from kartoteka.core.scope import SYSTEM
from kartoteka.members import services as member_services
from kartoteka.web import registry
from tests.factories import make_contact, make_deal


def card_url(contact) -> str:
    return reverse("web:contact-card", kwargs={"contact_id": contact.pk})


def header_of(client, contact) -> str:
    page = client.get(card_url(contact)).content.decode()
    return page[page.index('id="card-header"') : page.index('class="dashboard-bar"')]


def summary_of(header: str) -> str:
    return header[header.index('class="card-summary"') : header.index('class="card-facts"')]


def _purchases(contact, values) -> None:
    commerce_services.record_events(
        SYSTEM,
        [
            {
                "id": f"p-{contact.pk}-{n}",
                "contact": {"id": contact.pk},
                "type": "purchase",
                "value": value,
                "occurred_at": f"2026-0{n + 1}-10T12:00:00+00:00",
            }
            for n, value in enumerate(values)
        ],
    )


def _consent(contact, channel: str, status: str) -> None:
    consent_services.record_consent(
        SYSTEM, contact, channel=channel, purpose="marketing", status=status, source="form"
    )


@pytest.fixture
def busy(sales):
    """A contact with purchases, two open deals and a won one, consents, a membership and a
    block: every summary item has something to show."""
    contact = make_contact(owners=[sales], first_name="Marta", last_name="Nowak")
    _purchases(contact, ["1250.00", "89.90", "310.50"])
    make_deal(contacts=[contact], amount="12500.00")
    make_deal(contacts=[contact], amount="3400.00")
    _consent(contact, "email", "granted")
    _consent(contact, "sms", "withdrawn")
    member_services.set_membership(SYSTEM, contact, enabled=True)
    consent_services.block_contact(SYSTEM, contact, blocked=True, reason="Disputed invoices")
    return Contact.objects.get(pk=contact.pk)


# --------------------------------------------------------------------------------------------
# Avatar


def test_avatar_shows_the_initials_of_the_name():
    contact = Contact(pk=7, first_name="marta", last_name="Nowak", email="m@example.com")
    assert card.avatar(contact).initials == "MN"


def test_avatar_of_a_contact_without_a_name_shows_the_first_letter_of_the_email():
    contact = Contact(pk=7, first_name="", last_name=" ", email="pablo@example.com")
    assert card.avatar(contact).initials == "P"


def test_avatar_colour_is_the_same_for_a_contact_every_time():
    first = Contact(pk=12, first_name="Ana", email="a@example.com")
    renamed = Contact(pk=12, first_name="Zoe", email="z@example.com")
    assert card.avatar(first).colour == card.avatar(renamed).colour


def _luminance(colour: str) -> float:
    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(colour[i : i + 2]) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


@pytest.mark.parametrize("colour", card.AVATAR_COLOURS)
def test_avatar_colours_keep_white_initials_readable(colour):
    contrast = (1 + 0.05) / (_luminance(colour) + 0.05)
    assert contrast >= 4.5, (colour, contrast)


# --------------------------------------------------------------------------------------------
# Actions


def test_header_has_no_edit_links_under_its_fields(sales_client, contact):
    header = header_of(sales_client, contact)
    assert ">Edit<" not in header
    assert "btn-link edit" not in header


def test_header_has_one_primary_button_beside_the_actions_menu(sales_client, contact):
    header = header_of(sales_client, contact)
    commands = header[header.index('class="card-commands"') : header.index("</ul>")]
    assert commands.count("btn-primary") == 1
    assert ">Add note</a>" in commands
    assert 'aria-haspopup="menu"' in commands and 'aria-expanded="false"' in commands


def test_every_other_card_action_is_in_the_actions_menu(admin_client, admin, contact):
    header = header_of(admin_client, contact)
    menu = header[header.index('id="card-actions-menu"') : header.index("</ul>")]
    entries = re.findall(r'role="menuitem"[^>]*>([^<]+)<', menu)
    others = [a for a in registry.shown_card_actions(admin, contact) if not a.primary]
    assert entries == [str(a.label) for a in others]
    assert {"Merge with…", "Export contact data", "Stop monitoring", "Download vCard"} <= set(
        entries
    )
    assert {"Forget", "Delete"} <= set(entries)
    assert "Add note" not in entries


def test_post_actions_in_the_menu_keep_their_question_and_csrf_token(sales_client, contact):
    header = header_of(sales_client, contact)
    delete = header[header.index('<form method="post" class="card-action card-action-delete"') :]
    delete = delete[: delete.index("</form>")]
    assert 'data-confirm="Delete this contact and everything on its card?"' in delete
    assert 'name="csrfmiddlewaretoken"' in delete


def test_monitoring_state_is_a_badge_in_the_header_outside_the_menu(sales_client, contact):
    header = header_of(sales_client, contact)
    badge = header.index('class="state-badge state-on">Monitored<')
    assert badge < header.index('id="card-actions-menu"')


# --------------------------------------------------------------------------------------------
# Summary strip


def test_summary_shows_lifetime_value_transactions_open_deals_and_consents(sales_client, busy):
    summary = summary_of(header_of(sales_client, busy))
    value = r"Lifetime value</span>\s*<span class=\"summary-value\">\s*€1,650.40"
    assert re.search(value, summary)
    assert "3 transactions" in summary
    assert re.search(r"Open deals</span>\s*<span class=\"summary-value\">\s*2\s*<", summary)
    assert "€12,500.00" not in summary and "€15,900.00" in summary
    assert "Marketing consent" in summary
    assert 'chip-on" title="Granted">E-mail' in summary
    assert 'chip-off" title="Withdrawn">SMS' in summary
    assert 'class="state-badge state-on" href="#section-members">Member<' in summary
    assert 'class="state-badge state-danger" href="#section-consents">Blocked<' in summary


def test_open_deals_leave_out_won_ones(sales_client, sales):
    from kartoteka.deals import services as deal_services

    contact = make_contact(owners=[sales])
    won = make_deal(contacts=[contact], amount="900.00")
    make_deal(contacts=[contact], amount="100.00")
    deal_services.move_deal(SYSTEM, won, stage=won.pipeline.stages.get(key="won").pk)
    summary = summary_of(header_of(sales_client, contact))
    assert re.search(r"Open deals</span>\s*<span class=\"summary-value\">\s*1\s*<", summary)
    assert "€100.00" in summary and "900.00" not in summary


def test_summary_leaves_out_items_with_nothing_to_show(sales_client, sales):
    contact = make_contact(owners=[sales])
    Contact.objects.filter(pk=contact.pk).update(last_activity_at=None)
    summary = summary_of(header_of(sales_client, contact))
    assert "Score" in summary
    for absent in ("Lifetime value", "Open deals", "Last activity", "Marketing consent"):
        assert absent not in summary
    assert ">Member<" not in summary and ">Blocked<" not in summary


def test_summary_items_lead_to_their_sections(sales_client, busy):
    summary = summary_of(header_of(sales_client, busy))
    assert 'href="#section-ecommerce"' in summary
    assert 'href="#section-deals"' in summary
    assert 'href="#section-consents"' in summary


def test_summary_item_leads_to_its_tab_when_the_user_hid_its_section(sales_client, sales, busy):
    sales_client.post(reverse("web:dashboard-layout"), {"order": "", "hidden": "deals,ecommerce"})
    summary = summary_of(header_of(sales_client, busy))
    assert f'href="{reverse("deals:contact-deals", kwargs={"contact_id": busy.pk})}"' in summary
    assert f'href="{reverse("commerce:contact-events", kwargs={"contact_id": busy.pk})}"' in summary
    assert 'href="#section-deals"' not in summary


def test_last_activity_leads_to_the_timeline(sales_client, contact):
    contact_services.move_last_activity({contact.pk: contact.created_at})
    summary = summary_of(header_of(sales_client, contact))
    assert 'href="#section-timeline"' in summary and "Last activity" in summary


def test_every_summary_item_reads_in_at_most_one_query(sales, busy):
    request = RequestFactory().get("/")
    request.user = sales
    for item in registry.card_summary_items():
        with CaptureQueriesContext(connection) as queries:
            item.load(request, busy)
        assert len(queries) <= 1, (item.key, [q["sql"] for q in queries])


def _card_queries(client, contact) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(card_url(contact)).status_code == 200
    return len(queries)


def test_summary_strip_costs_one_query_per_item_at_most(sales_client, busy, monkeypatch):
    with_summary = _card_queries(sales_client, busy)
    items = len(registry.card_summary_items())
    monkeypatch.setattr(registry, "_summary", {})
    without = _card_queries(sales_client, busy)
    assert with_summary - without <= items


def test_header_runs_as_many_queries_with_a_full_summary_as_with_an_empty_one(
    sales_client, sales, busy
):
    def header_queries(contact) -> int:
        url = reverse("web:card-header", kwargs={"contact_id": contact.pk})
        with CaptureQueriesContext(connection) as queries:
            assert sales_client.get(url).status_code == 200
        return len(queries)

    empty = make_contact(owners=[sales])
    assert header_queries(busy) == header_queries(empty)


# --------------------------------------------------------------------------------------------
# Editing in place


def test_values_are_buttons_that_open_their_form(sales_client, contact):
    header = header_of(sales_client, contact)
    fax = reverse("web:card-field", kwargs={"contact_id": contact.pk, "key": "fax"})
    button = r'<button type="button" class="inplace-value[^"]*"[^>]*hx-get='
    assert re.search(rf'{button}"{fax}"', header)
    name = reverse("web:card-field", kwargs={"contact_id": contact.pk, "key": "name"})
    assert re.search(rf'<h1>{button}"{name}"', header)


def test_an_empty_field_offers_to_add_it(sales_client, contact):
    header = header_of(sales_client, contact)
    assert ">Add fax</button>" in header
    assert ">Add birthday</button>" in header
    assert '<span class="muted">—</span>' not in header


def test_score_is_edited_from_the_summary_strip(sales_client, contact):
    url = reverse("web:card-field", kwargs={"contact_id": contact.pk, "key": "score"})
    assert 'id="edit-score"' in sales_client.get(url).content.decode()
    response = sales_client.post(
        url, {"score": "42", "version": contact.version}, HTTP_HX_REQUEST="true"
    )
    summary = summary_of(response.content.decode())
    assert re.search(r'data-field="score"[^>]*>\s*42\s*<', summary)


def test_a_user_without_edit_rights_sees_no_edit_affordances(sales_client, contact, monkeypatch):
    monkeypatch.setattr(card.contact_services, "can_edit", lambda actor, contact: False)
    header = header_of(sales_client, contact)
    assert "inplace-value" not in header and "inplace-pencil" not in header
    assert "hx-get=" not in header
    assert "Add fax" not in header and "—" in header
    assert re.search(r'<select id="card-status"[^>]*disabled', header)
