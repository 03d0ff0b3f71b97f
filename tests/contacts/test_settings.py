"""Admin settings of contacts: custom details and tags."""

from django.urls import reverse

from kartoteka.contacts import services as contact_services
from kartoteka.contacts.models import PropertyDefinition, Tag


def test_sales_user_cannot_open_settings(sales_client):
    assert sales_client.get(reverse("web:settings-details")).status_code == 403


def test_admin_defines_a_list_detail(admin_client):
    admin_client.post(
        reverse("web:settings-details"),
        {
            "action": "create",
            "label": "Industry",
            "key": "industry",
            "type": "dictionary",
            "choices": "Retail, Software",
        },
    )
    definition = PropertyDefinition.objects.get()
    assert definition.choices == ["Retail", "Software"]


def test_bad_detail_definition_shows_the_error(admin_client):
    response = admin_client.post(
        reverse("web:settings-details"),
        {"action": "create", "label": "", "key": "x y", "type": "nope"},
    )
    assert response.status_code == 422
    assert not PropertyDefinition.objects.exists()


def test_admin_reorders_details(admin_client, admin):
    contact_services.define_property(admin, key="a", label="A", type="text")
    second = contact_services.define_property(admin, key="b", label="B", type="text")
    admin_client.post(reverse("web:settings-details"), {"action": "up", "id": second.pk})
    assert list(PropertyDefinition.objects.values_list("key", flat=True)) == ["b", "a"]


def test_admin_renames_recolours_and_merges_tags(admin_client, admin, contact):
    contact_services.add_tags(admin, contact, names=["fair", "Fair 2025"])
    fair, other = Tag.objects.get(name="fair"), Tag.objects.get(name="Fair 2025")
    url = reverse("web:settings-tags")
    admin_client.post(
        url, {"action": "update", "id": fair.pk, "name": "Trade fair", "color": "#0f766e"}
    )
    fair.refresh_from_db()
    assert (fair.name, fair.color) == ("Trade fair", "#0f766e")
    admin_client.post(url, {"action": "merge", "id": other.pk, "target": fair.pk})
    assert list(Tag.objects.values_list("name", flat=True)) == ["Trade fair"]


def test_each_bad_part_of_a_detail_definition_shows_next_to_its_input(admin_client):
    response = admin_client.post(
        reverse("web:settings-details"),
        {"action": "create", "label": "", "key": "x y", "type": "nope"},
    )
    errors = response.context["errors"]
    assert {"label", "key", "type"} <= set(errors)
    assert not PropertyDefinition.objects.exists()


def test_merging_a_tag_into_no_tag_asks_which(admin_client, admin, contact):
    contact_services.add_tags(admin, contact, names=["fair"])
    fair = Tag.objects.get(name="fair")
    response = admin_client.post(
        reverse("web:settings-tags"), {"action": "merge", "id": fair.pk, "target": ""}
    )
    assert response.status_code == 422
    assert response.context["errors"] == {"target": ["Choose the tag to merge into."]}
    assert Tag.objects.filter(pk=fair.pk).exists()


def test_a_field_added_from_the_new_contact_form_says_what_is_wrong(admin_client):
    response = admin_client.post(
        reverse("web:define-field"),
        {"newfield_key": "", "newfield_label": "Size", "newfield_type": "text"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200  # htmx swaps the fragment in
    assert set(response.context["errors"]) == {"newfield_key"}
    assert not PropertyDefinition.objects.exists()


def test_a_tag_colour_outside_the_palette_is_refused(admin_client, admin, contact):
    contact_services.add_tags(admin, contact, names=["fair"])
    fair = Tag.objects.get(name="fair")
    before = fair.color
    response = admin_client.post(
        reverse("web:settings-tags"), {"action": "update", "id": fair.pk, "color": "#112233"}
    )
    assert "Choose one of the tag colours." in response.content.decode()
    fair.refresh_from_db()
    assert fair.color == before


def test_tags_page_offers_the_palette_by_name(admin_client, admin, contact):
    contact_services.add_tags(admin, contact, names=["fair"])
    page = admin_client.get(reverse("web:settings-tags")).content.decode()
    assert '<option value="#0f766e"' in page and ">Teal<" in page
