"""The privacy app: a person's data export, forgetting them, and stopping monitoring."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "kartoteka.privacy"
    label = "privacy"

    def ready(self) -> None:
        from kartoteka.activity import timeline
        from kartoteka.privacy import kinds
        from kartoteka.web import registry

        timeline.register(*kinds.KINDS)

        registry.register_card_action(
            registry.CardAction(
                key="export-data",
                label=_("Export contact data"),
                url_name="privacy:export",
                order=70,
            )
        )
        registry.register_card_action(
            registry.CardAction(
                key="monitoring",
                label=_("Stop / start monitoring"),
                url_name="privacy:monitoring",
                method="post",
                order=75,
            )
        )
        registry.register_card_action(
            registry.CardAction(
                key="forget",
                label=_("Forget"),
                url_name="privacy:forget",
                admin_only=True,
                danger=True,
                order=95,
            )
        )
        registry.register_nav(
            registry.NavItem(
                key="forgotten",
                label=_("Forgotten contacts"),
                url_name="privacy:log",
                admin_only=True,
                order=90,
            )
        )
