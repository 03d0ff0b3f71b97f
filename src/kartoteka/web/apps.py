"""The web frame: the base templates, navigation, the card's registry, static files and the
helpers every app's pages share. It imports no domain app; they plug into it."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    name = "kartoteka.web"
    label = "web"

    def ready(self) -> None:
        from kartoteka.web import registry

        registry.register_nav(
            registry.NavItem(
                key="settings",
                label=_("Settings"),
                url_name="web:settings",
                order=90,
                admin_only=True,
            )
        )
