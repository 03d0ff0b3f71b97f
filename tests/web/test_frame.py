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


def test_settings_menu_lists_the_pages_apps_registered_in_their_order(client, admin):
    client.force_login(admin)
    page = client.get(reverse("web:settings-details")).content.decode()
    menu = page[
        page.index('class="settings-nav"') : page.index("</nav>", page.index("settings-nav"))
    ]
    urls = ["web:settings-details", "web:settings-tags", "web:settings-users"]
    positions = [menu.index(f'href="{reverse(name)}"') for name in urls]
    assert positions == sorted(positions)
    assert f'href="{reverse("web:settings-details")}" aria-current="page"' in menu


def test_settings_entry_opens_the_first_settings_page(client, admin):
    client.force_login(admin)
    response = client.get(reverse("web:settings"))
    assert response.status_code == 302
    assert response["Location"] == reverse("web:settings-details")


def test_sales_user_cannot_open_the_settings_entry(client, sales):
    client.force_login(sales)
    assert client.get(reverse("web:settings")).status_code == 403
