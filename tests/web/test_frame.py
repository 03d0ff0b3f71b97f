"""The page frame: the way to sign in, navigation and settings menu from the registry, the
language switch."""

from django.urls import reverse


def test_anonymous_visitor_is_sent_to_sign_in(client, db):
    response = client.get(reverse("web:contact-list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:login"))


def test_sales_user_sees_no_settings_in_navigation(client, sales):
    client.force_login(sales)
    page = client.get(reverse("web:contact-list")).content.decode()
    assert reverse("web:contact-list") in page
    assert reverse("web:settings") not in page


def test_admin_sees_settings_in_navigation(client, admin):
    client.force_login(admin)
    page = client.get(reverse("web:contact-list")).content.decode()
    assert reverse("web:settings") in page


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


def test_settings_entry_opens_the_first_settings_page(client, admin):
    client.force_login(admin)
    response = client.get(reverse("web:settings"))
    assert response.status_code == 302
    assert response["Location"] == reverse("web:settings-details")


def test_sales_user_cannot_open_the_settings_entry(client, sales):
    client.force_login(sales)
    assert client.get(reverse("web:settings")).status_code == 403
