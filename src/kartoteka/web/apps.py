"""The web app: the page frame, the contact list and card, and the settings pages."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    name = "kartoteka.web"
    label = "web"

    def ready(self) -> None:
        from kartoteka.web import registry, sections

        for item in (
            registry.NavItem(
                key="contacts", label=_("Contacts"), url_name="web:contact-list", order=10
            ),
            registry.NavItem(key="clients", label=_("Clients"), url_name="web:clients", order=20),
            registry.NavItem(
                key="settings",
                label=_("Settings"),
                url_name="web:settings",
                order=90,
                admin_only=True,
            ),
        ):
            registry.register_nav(item)
        for page in (
            registry.SettingsPage("details", _("Custom details"), "web:settings-details", 10),
            registry.SettingsPage("tags", _("Tags"), "web:settings-tags", 20),
            registry.SettingsPage("users", _("Users and roles"), "web:settings-users", 30),
            registry.SettingsPage("workspace", _("New contacts"), "web:settings-workspace", 40),
            registry.SettingsPage("tokens", _("My API tokens"), "web:tokens", 900, False),
        ):
            registry.register_settings_page(page)
        registry.register_card_action(
            registry.CardAction(
                key="delete",
                label=_("Delete"),
                url_name="web:contact-delete",
                method="post",
                confirm=_("Delete this contact and everything on its card?"),
                danger=True,
                order=99,
            )
        )
        sections.register_sections()
