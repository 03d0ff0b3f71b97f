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
