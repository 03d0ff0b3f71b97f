"""Pages of accounts: signing in and out, the password, API tokens, the team and workspace
settings."""

from django.urls import reverse

from kartoteka.accounts import services as account_services
from kartoteka.accounts.models import User, WorkspaceSettings


def test_user_signs_in_and_lands_on_the_contact_list(client, sales):
    response = client.post(
        reverse("web:login"), {"username": "sergio", "password": "correct horse battery"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("web:contact-list")


def test_wrong_password_shows_an_error(client, sales):
    response = client.post(reverse("web:login"), {"username": "sergio", "password": "nope"})
    assert response.status_code == 200
    assert b"form-errors" in response.content


def test_logout_signs_the_user_out(client, sales):
    client.force_login(sales)
    client.post(reverse("web:logout"))
    assert client.get(reverse("web:contact-list")).status_code == 302


def test_password_change_rejects_a_wrong_old_password(client, sales):
    client.force_login(sales)
    response = client.post(
        reverse("web:password-change"),
        {
            "old_password": "wrong",
            "new_password1": "a new long pass 42",
            "new_password2": "a new long pass 42",
        },
    )
    assert response.status_code == 200
    assert b"field-error" in response.content


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
    assert response.status_code == 409  # a clash with the team as it is, not bad input
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


def test_an_inactive_default_owner_is_refused_next_to_the_choice(admin_client, sales, admin):
    account_services.set_user_active(admin, sales, active=False)
    response = admin_client.post(reverse("web:settings-workspace"), {"default_owner": sales.pk})
    assert response.status_code == 422
    assert response.context["errors"] == {"default_owner": ["Choose an active user."]}
    assert not WorkspaceSettings.objects.filter(default_owner=sales).exists()


def test_a_new_member_without_a_username_is_refused_next_to_it(admin_client):
    before = User.objects.count()
    response = admin_client.post(
        reverse("web:settings-users"), {"action": "create", "username": "", "role": "sales"}
    )
    assert response.status_code == 422
    assert "username" in response.context["errors"]
    assert User.objects.count() == before
