"""Admin settings: custom details, tags, users and roles, the default owner."""

from django.urls import reverse

from kartoteka.accounts.models import User, WorkspaceSettings
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


def test_admin_creates_a_user_and_changes_the_role(admin_client):
    url = reverse("web:settings-users")
    admin_client.post(url, {"action": "create", "username": "nina", "role": "sales"})
    nina = User.objects.get(username="nina")
    admin_client.post(url, {"action": "role", "id": nina.pk, "role": "admin"})
    nina.refresh_from_db()
    assert nina.is_admin


def test_last_admin_cannot_be_deactivated(admin_client, admin):
    response = admin_client.post(
        reverse("web:settings-users"), {"action": "deactivate", "id": admin.pk}
    )
    assert response.status_code == 422
    admin.refresh_from_db()
    assert admin.is_active


def test_admin_sets_the_default_owner(admin_client, sales):
    admin_client.post(reverse("web:settings-workspace"), {"default_owner": sales.pk})
    assert WorkspaceSettings.objects.get(pk=1).default_owner == sales


def test_user_creates_and_revokes_an_api_token(sales_client, sales):
    response = sales_client.post(reverse("web:tokens"), {"name": "website"})
    assert response.context["new_token"].startswith("kt_")
    token = sales.api_tokens.get()
    sales_client.post(reverse("web:tokens"), {"revoke": token.pk})
    token.refresh_from_db()
    assert token.revoked_at is not None
