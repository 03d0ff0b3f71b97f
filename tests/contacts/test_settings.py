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
        url, {"action": "update", "id": fair.pk, "name": "Trade fair", "color": "#112233"}
    )
    fair.refresh_from_db()
    assert (fair.name, fair.color) == ("Trade fair", "#112233")
    admin_client.post(url, {"action": "merge", "id": other.pk, "target": fair.pk})
    assert list(Tag.objects.values_list("name", flat=True)) == ["Trade fair"]
