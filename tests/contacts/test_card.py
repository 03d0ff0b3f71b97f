"""The contact card: scope, sections, in-place editing, tags, owners, the dashboard layout."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kartoteka.activity import services as timeline
from kartoteka.contacts import sections
from kartoteka.contacts import services as contact_services
from kartoteka.contacts.models import Contact
from kartoteka.core.scope import SYSTEM


def card_url(contact):
    return reverse("web:contact-card", kwargs={"contact_id": contact.pk})


def test_card_shows_the_contact(sales_client, contact):
    page = sales_client.get(card_url(contact)).content.decode()
    assert "Marta Nowak" in page
    assert contact.email in page
    assert 'id="section-timeline"' in page


def test_sales_user_cannot_open_another_users_card(sales_client, others_contact):
    assert sales_client.get(card_url(others_contact)).status_code == 404


@pytest.mark.parametrize("key", ["timeline", "tags", "owners", "notes"])
def test_section_fragment_of_another_users_contact_is_not_found(sales_client, others_contact, key):
    url = reverse("web:card-section", kwargs={"contact_id": others_contact.pk, "key": key})
    assert sales_client.get(url).status_code == 404


def test_section_fragment_loads_alone(sales_client, contact):
    url = reverse("web:card-section", kwargs={"contact_id": contact.pk, "key": "timeline"})
    response = sales_client.get(url)
    assert response.status_code == 200
    assert "Created" in response.content.decode()
    assert "<html" not in response.content.decode()


def section_url(contact, key):
    return reverse("web:card-section", kwargs={"contact_id": contact.pk, "key": key})


def test_company_section_of_a_contact_without_one_offers_to_set_it(sales_client, sales):
    from tests.factories import make_contact

    lonely = make_contact(owners=[sales])
    body = sales_client.get(section_url(lonely, "company"), HTTP_HX_REQUEST="true")
    page = body.content.decode()
    assert "No company yet." in page
    assert reverse("web:card-field", kwargs={"contact_id": lonely.pk, "key": "company"}) in page


def test_custom_details_section_is_left_out_where_no_details_are_defined(sales_client, contact):
    assert 'id="section-details"' not in sales_client.get(card_url(contact)).content.decode()


def test_section_fragment_sends_its_title_count_out_of_band(sales_client, sales, contact):
    contact_services.add_tags(sales, contact, names=["vip", "fair"])
    page = sales_client.get(section_url(contact, "tags"), HTTP_HX_REQUEST="true").content.decode()
    assert '<span class="section-count" id="section-count-tags" hx-swap-oob="true">2</span>' in page


def test_card_page_has_a_count_slot_in_each_counted_title(sales_client, contact):
    page = sales_client.get(card_url(contact)).content.decode()
    assert 'id="section-count-tags"' in page
    assert 'id="section-count-timeline"' not in page  # the timeline carries no figure


def test_editing_a_field_in_place_saves_it_and_records_the_change(sales_client, contact):
    url = reverse("web:card-field", kwargs={"contact_id": contact.pk, "key": "company"})
    response = sales_client.post(
        url,
        {"company": "Globex", "job_title": "CTO", "version": contact.version},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "Globex" in response.content.decode()
    assert response["HX-Trigger"] == "kartoteka:timeline-changed"
    contact.refresh_from_db()
    assert contact.job_title == "CTO"
    assert contact.activities.filter(kind="updated").exists()


def test_invalid_field_shows_the_error_next_to_the_input_and_saves_nothing(sales_client, contact):
    url = reverse("web:card-field", kwargs={"contact_id": contact.pk, "key": "birthday"})
    response = sales_client.post(url, {"birthday": "2999-01-01"}, HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert response["HX-Retarget"] == "#fact-birthday"
    assert "field-error" in page and "Birthday must be between" in page
    contact.refresh_from_db()
    assert contact.birthday is None


def test_stale_version_is_refused(sales_client, contact):
    contact_services.update_contact(SYSTEM, contact, data={"city": "Madrid"})
    url = reverse("web:card-field", kwargs={"contact_id": contact.pk, "key": "fax"})
    response = sales_client.post(url, {"fax": "+34911222333", "version": 1}, HTTP_HX_REQUEST="true")
    assert "changed by someone else" in response.content.decode()
    assert Contact.objects.get(pk=contact.pk).fax == ""


def test_changing_the_status_lands_on_the_timeline(sales_client, contact):
    url = reverse("web:card-field", kwargs={"contact_id": contact.pk, "key": "status"})
    sales_client.post(url, {"status": "won"}, HTTP_HX_REQUEST="true")
    entry = contact.activities.get(kind="status_changed")
    assert (entry.payload["old"], entry.payload["new"]) == ("new", "won")


def test_editing_another_users_contact_is_not_found(sales_client, others_contact):
    url = reverse("web:card-field", kwargs={"contact_id": others_contact.pk, "key": "fax"})
    assert sales_client.post(url, {"fax": "+34911222333"}).status_code == 404


def test_adding_and_removing_a_tag(sales_client, contact):
    add = reverse("web:tag-add", kwargs={"contact_id": contact.pk})
    response = sales_client.post(add, {"tag": "VIP"}, HTTP_HX_REQUEST="true")
    assert "VIP" in response.content.decode()
    assert list(contact.tags.values_list("name", flat=True)) == ["VIP"]
    remove = reverse("web:tag-remove", kwargs={"contact_id": contact.pk})
    sales_client.post(remove, {"tag": "vip"}, HTTP_HX_REQUEST="true")
    assert not contact.tags.exists()


def test_empty_tag_is_refused_with_a_message(sales_client, contact):
    add = reverse("web:tag-add", kwargs={"contact_id": contact.pk})
    response = sales_client.post(add, {"tag": "  "}, HTTP_HX_REQUEST="true")
    assert "field-error" in response.content.decode()


def test_removing_a_tag_the_contact_lacks_says_so_in_the_section(sales_client, contact):
    remove = reverse("web:tag-remove", kwargs={"contact_id": contact.pk})
    response = sales_client.post(remove, {"tag": "ghost"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200  # htmx swaps the section in
    assert "The contact has no tag &#x27;ghost&#x27;." in response.content.decode()
    assert "HX-Trigger" not in response


def test_a_multi_choice_detail_keeps_every_ticked_choice(sales_client, admin, contact):
    contact_services.define_property(
        admin, key="topics", label="Topics", type="multi_choice", choices=["CRM", "ERP"]
    )
    url = reverse("web:detail-edit", kwargs={"contact_id": contact.pk, "key": "topics"})
    sales_client.post(url, {"value": ["CRM", "ERP"]}, HTTP_HX_REQUEST="true")
    contact.refresh_from_db()
    assert contact.properties == {"topics": ["CRM", "ERP"]}


def test_custom_detail_is_edited_with_the_api_validation(sales_client, admin, contact):
    contact_services.define_property(admin, key="budget", label="Budget", type="number")
    url = reverse("web:detail-edit", kwargs={"contact_id": contact.pk, "key": "budget"})
    bad = sales_client.post(url, {"value": "lots"}, HTTP_HX_REQUEST="true")
    assert "expects a whole number" in bad.content.decode()
    sales_client.post(url, {"value": "1200"}, HTTP_HX_REQUEST="true")
    contact.refresh_from_db()
    assert contact.properties == {"budget": 1200}


def test_a_custom_detail_is_edited_by_clicking_its_value(sales_client, admin, contact):
    contact_services.define_property(admin, key="budget", label="Budget", type="number")
    contact_services.define_property(admin, key="region", label="Region", type="text")
    contact_services.update_contact(SYSTEM, contact, data={"properties": {"budget": 1200}})
    html = sales_client.get(section_url(contact, "details")).content.decode()
    edit = reverse("web:detail-edit", kwargs={"contact_id": contact.pk, "key": "budget"})
    assert re.search(
        rf'<button type="button" id="detail-value-budget" class="inplace-value"[^>]*'
        rf'hx-get="{edit}"[^>]*aria-labelledby="detail-hint-budget detail-value-budget">'
        r"1,200</button>",
        html,
    )
    assert '<span hidden id="detail-hint-budget">Edit Budget</span>' in html
    assert re.search(r'class="inplace-value inplace-add"[^>]*>Add Region</button>', html)
    assert ">Edit<" not in html


def test_a_user_who_cannot_edit_gets_no_buttons_in_custom_details(
    sales_client, admin, contact, monkeypatch
):
    contact_services.define_property(admin, key="budget", label="Budget", type="number")
    contact_services.define_property(admin, key="region", label="Region", type="text")
    contact_services.update_contact(SYSTEM, contact, data={"properties": {"budget": 1200}})
    monkeypatch.setattr(sections.contact_services, "can_edit", lambda actor, contact: False)
    html = sales_client.get(section_url(contact, "details")).content.decode()
    assert "<button" not in html and "hx-get" not in html
    assert "1,200" in html and "Add Region" not in html and "—" in html


def test_a_refused_custom_detail_keeps_its_form_open_with_the_error(sales_client, admin, contact):
    contact_services.define_property(admin, key="budget", label="Budget", type="number")
    url = reverse("web:detail-edit", kwargs={"contact_id": contact.pk, "key": "budget"})
    html = sales_client.post(url, {"value": "lots"}, HTTP_HX_REQUEST="true").content.decode()
    assert re.search(r'<input id="detail-input-budget"[^>]*aria-invalid="true"', html)
    assert 'value="lots"' in html
    assert re.search(r'id="detail-error-budget"[^>]*>.*expects a whole number', html, re.S)
    assert 'id="detail-value-budget"' not in html


def test_owners_are_changed_from_the_owners_section(admin_client, contact, other_sales):
    url = reverse("web:owners-edit", kwargs={"contact_id": contact.pk})
    admin_client.post(url, {"owners": ["olga"]}, HTTP_HX_REQUEST="true")
    assert list(contact.owners.values_list("username", flat=True)) == ["olga"]


def test_dashboard_layout_is_saved_per_user_and_applied(sales_client, sales, contact):
    sales_client.post(
        reverse("web:dashboard-layout"),
        {"order": "tags,timeline,nonsense", "hidden": "owners", "locked": "1"},
    )
    sales.refresh_from_db()
    assert sales.preferences["card_layout"] == {
        "order": ["tags", "timeline"],
        "hidden": ["owners"],
        "locked": True,
    }
    page = sales_client.get(card_url(contact)).content.decode()
    assert page.index('id="section-tags"') < page.index('id="section-timeline"')
    assert 'id="lock-dashboard" checked' in page


def test_deleting_a_contact_from_the_card(sales_client, contact):
    response = sales_client.post(reverse("web:contact-delete", kwargs={"contact_id": contact.pk}))
    assert response.status_code == 302
    assert not Contact.objects.filter(pk=contact.pk).exists()


def _card_queries(client, contact) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(card_url(contact)).status_code == 200
    return len(queries)


def test_card_renders_in_a_fixed_number_of_queries_whatever_the_timeline(sales_client, contact):
    contact_services.add_tags(SYSTEM, contact, names=["a", "b"])
    small = _card_queries(sales_client, contact)
    for n in range(120):
        timeline.record(
            contact, "updated", payload={"changes": [{"field": "city", "old": n, "new": n + 1}]}
        )
    contact_services.add_tags(SYSTEM, contact, names=["c", "d", "e"])
    assert _card_queries(sales_client, contact) == small
    assert small <= 45


def test_timeline_pages_load_more_and_filter_by_kind(sales_client, contact):
    for n in range(30):
        timeline.record(
            contact, "updated", payload={"changes": [{"field": "city", "old": n, "new": n + 1}]}
        )
    url = reverse("web:card-section", kwargs={"contact_id": contact.pk, "key": "timeline"})
    first = sales_client.get(url).content.decode()
    assert first.count('class="timeline-entry') == 25
    assert "timeline-more" in first
    only_created = sales_client.get(url, {"kind": "created"}).content.decode()
    assert only_created.count('class="timeline-entry') == 1


def test_timeline_section_runs_a_fixed_number_of_queries(sales_client, contact):
    url = reverse("web:card-section", kwargs={"contact_id": contact.pk, "key": "timeline"})

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            sales_client.get(url)
        return len(queries)

    few = count()
    for n in range(60):
        timeline.record(
            contact, "updated", payload={"changes": [{"field": "city", "old": n, "new": n + 1}]}
        )
    assert count() == few


def test_sections_other_than_the_timeline_load_as_their_own_fragments(sales_client, contact):
    page = sales_client.get(card_url(contact)).content.decode()
    tags_url = reverse("web:card-section", kwargs={"contact_id": contact.pk, "key": "tags"})
    assert f'hx-get="{tags_url}"' in page
    assert "Add tag" not in page  # the tags section's body arrives with its own request


def test_stale_status_change_shows_the_conflict_where_the_status_is(sales_client, contact):
    contact_services.update_contact(SYSTEM, contact, data={"city": "Madrid"})
    url = reverse("web:card-field", kwargs={"contact_id": contact.pk, "key": "status"})
    response = sales_client.post(url, {"status": "won", "version": 1}, HTTP_HX_REQUEST="true")
    assert response["HX-Retarget"] == "#fact-status"
    assert 'id="fact-status"' in sales_client.get(card_url(contact)).content.decode()
    assert Contact.objects.get(pk=contact.pk).status == "new"


def test_timeline_ignores_an_impossible_cursor(sales_client, contact):
    url = reverse("web:timeline-more", kwargs={"contact_id": contact.pk})
    response = sales_client.get(url, {"before": "2026-13-40T10:00:00+00:00", "before_id": "5"})
    assert response.status_code == 200
