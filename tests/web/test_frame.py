"""The page frame: sign-in, navigation from the registry, language switch, password change."""

from django.urls import reverse


def test_anonymous_visitor_is_sent_to_sign_in(client, db):
    response = client.get(reverse("web:contact-list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:login"))


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


def test_sales_user_sees_no_settings_in_navigation(client, sales):
    client.force_login(sales)
    page = client.get(reverse("web:contact-list")).content.decode()
    assert reverse("web:contact-list") in page
    assert reverse("web:settings") not in page


def test_admin_sees_settings_in_navigation(client, admin):
    client.force_login(admin)
    page = client.get(reverse("web:contact-list")).content.decode()
    assert reverse("web:settings") in page


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


def test_language_switch_renders_the_page_in_polish(client, sales):
    client.force_login(sales)
    client.post(reverse("set_language"), {"language": "pl", "next": "/contacts/"})
    page = client.get(reverse("web:contact-list")).content.decode()
    assert 'lang="pl"' in page


def test_a_settings_page_an_app_registers_is_in_the_settings_menu(client, admin, monkeypatch):
    from kartoteka.web import registry

    monkeypatch.setattr(registry, "_settings_pages", dict(registry._settings_pages))
    registry.register_settings_page(
        registry.SettingsPage("websites", "Tracked websites", "web:settings-tags", order=50)
    )
    client.force_login(admin)
    page = client.get(reverse("web:settings-tags")).content.decode()
    menu = page[page.index('class="settings-nav"') :]
    assert menu.index("New contacts") < menu.index("Tracked websites") < menu.index("My API tokens")
    assert 'aria-current="page">Tags<' in menu
