"""Pages and fragments: the list narrowed by ?f= / ?q=, the live count, saving, the Segments
page; each through the user's scope."""

import json

import pytest
from django.urls import reverse

from kartoteka.segments import services
from kartoteka.segments.models import SavedFilter, Segment
from tests.factories import make_contact


@pytest.fixture
def spread(sales, other_sales):
    mine = make_contact(sales, first_name="Mine", tags=["vip"])
    theirs = make_contact(other_sales, first_name="Theirs", tags=["vip"])
    return mine, theirs


def test_list_is_narrowed_by_the_text_form(client, sales, spread):
    client.force_login(sales)
    response = client.get(reverse("web:contact-list"), {"q": "tag:vip"})
    assert [c.pk for c in response.context["page"].contacts] == [spread[0].pk]
    assert [chip.label for chip in response.context["segment_filter"].chips] == [
        "Tags has any of vip"
    ]


def test_list_is_narrowed_by_a_json_document(client, admin, spread):
    client.force_login(admin)
    document = {"field": "first_name", "op": "eq", "value": "theirs"}
    response = client.get(reverse("web:contact-list"), {"f": json.dumps(document)})
    assert [c.pk for c in response.context["page"].contacts] == [spread[1].pk]


def test_removing_a_chip_keeps_the_other_conditions(client, admin, spread):
    client.force_login(admin)
    response = client.get(reverse("web:contact-list"), {"q": "tag:vip first_name:Mine"})
    chip = response.context["segment_filter"].chips[1]
    assert chip.label == "First name is Mine"
    narrowed = client.get(chip.remove_url)
    assert {c.pk for c in narrowed.context["page"].contacts} == {spread[0].pk, spread[1].pk}


def test_a_bad_filter_shows_its_reason_and_no_contacts(client, sales, spread):
    client.force_login(sales)
    response = client.get(reverse("web:contact-list"), {"f": "{not json"})
    assert response.context["errors"]["q"] == "The filter in the address is not valid JSON."
    assert response.context["page"].contacts == []


def test_live_count_counts_only_visible_contacts(client, sales, spread):
    client.force_login(sales)
    response = client.get(reverse("segments:count"), {"q": "tag:vip"})
    assert "1 contact matches" in response.content.decode()


def test_live_count_explains_a_bad_filter(client, sales):
    client.force_login(sales)
    response = client.get(reverse("segments:count"), {"q": "shoe:42"})
    assert "Unknown field" in response.content.decode()


def test_save_filter_from_the_list(client, sales):
    client.force_login(sales)
    document = json.dumps({"all": [{"field": "tags", "op": "has_any", "value": ["vip"]}]})
    client.post(reverse("segments:save-filter"), {"name": "VIPs", "f": document, "shared": "on"})
    saved = SavedFilter.objects.get()
    assert (saved.name, saved.owner, saved.is_shared) == ("VIPs", sales, True)


def test_saving_without_a_name_writes_nothing(client, sales):
    client.force_login(sales)
    response = client.post(reverse("segments:save"), {"name": " ", "f": "{}"}, follow=True)
    assert "Give it a name." in response.content.decode()
    assert not Segment.objects.exists()


def test_cannot_delete_someone_elses_shared_filter(client, sales, other_sales):
    saved = services.create_saved_filter(other_sales, name="Theirs", document={}, shared=True)
    client.force_login(sales)
    client.post(reverse("segments:delete-filter", args=[saved.pk]))
    assert SavedFilter.objects.filter(pk=saved.pk).exists()


def test_saving_a_filter_that_is_not_json_says_so(client, sales):
    client.force_login(sales)
    response = client.post(
        reverse("segments:save-filter"), {"name": "Broken", "f": "{not json"}, follow=True
    )
    assert "The filter is not valid JSON." in response.content.decode()
    assert not SavedFilter.objects.exists()


def test_deleting_someone_elses_shared_filter_says_only_its_owner_may(client, sales, other_sales):
    saved = services.create_saved_filter(other_sales, name="Theirs", document={}, shared=True)
    client.force_login(sales)
    response = client.post(reverse("segments:delete-filter", args=[saved.pk]), follow=True)
    assert "Only its owner" in response.content.decode()


def test_deleting_a_segment_already_gone_says_so_on_the_list(client, sales):
    segment = services.create_segment(sales, name="Gone", document={})
    client.force_login(sales)
    client.post(reverse("segments:delete", args=[segment.pk]))
    response = client.post(reverse("segments:delete", args=[segment.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("segments:list")
    assert "No such segment." in response.content.decode()


def test_private_saved_filters_of_others_are_not_in_the_menu(client, sales, other_sales):
    services.create_saved_filter(other_sales, name="Secret", document={})
    services.create_saved_filter(other_sales, name="Team", document={}, shared=True)
    client.force_login(sales)
    response = client.get(reverse("web:contact-list"))
    assert [s["name"] for s in response.context["saved_filters"]] == ["Team"]


def test_segments_page_counts_a_shared_segment_in_the_viewers_scope(client, admin, sales, spread):
    services.create_segment(
        admin,
        name="VIPs",
        document={"field": "tags", "op": "has_any", "value": ["vip"]},
        shared=True,
    )
    client.force_login(admin)
    assert client.get(reverse("segments:list")).context["rows"][0]["count"] == 2
    client.force_login(sales)
    row = client.get(reverse("segments:list")).context["rows"][0]
    assert row["count"] == 1
    assert row["can_change"] is False


def test_segments_page_hides_private_segments_of_others(client, admin, sales):
    services.create_segment(admin, name="Admin only", document={})
    client.force_login(sales)
    assert client.get(reverse("segments:list")).context["rows"] == []


def test_segments_page_names_a_condition_s_values_in_the_reader_s_language(client, sales):
    document = {
        "all": [
            {"field": "country", "op": "eq", "value": "ES"},
            {"field": "score", "op": "gt", "value": 50000},
        ]
    }
    services.create_segment(sales, name="Big in Spain", document=document)
    client.force_login(sales)
    response = client.get(reverse("segments:list"), HTTP_ACCEPT_LANGUAGE="es")
    assert response.context["rows"][0]["summary"] == "(País es España y Puntuación &gt; 50.000)"


def test_a_chip_names_the_country_it_filters_by(client, sales):
    client.force_login(sales)
    response = client.get(reverse("web:contact-list"), {"q": "country:ES"})
    assert [chip.label for chip in response.context["segment_filter"].chips] == ["Country is Spain"]


def test_segments_page_shows_a_segment_s_tags_as_their_chips(client, sales, spread):
    services.create_segment(
        sales, name="VIPs", document={"field": "tags", "op": "has_any", "value": ["vip"]}
    )
    client.force_login(sales)
    summary = client.get(reverse("segments:list")).content.decode()
    assert 'Tags has any of <span class="chip tag-chip"' in summary
