"""The privacy app: a person's data export, forgetting them, and stopping monitoring."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def monitoring_state(contact):
    """Whether the contact is tracked, and the one button that changes it."""
    from kartoteka.web.registry import ActionState

    if contact.is_monitored:
        return ActionState(
            label=_("Stop monitoring"),
            badge=_("Monitored"),
            badge_class="on",
            fields={"enabled": "false"},
        )
    return ActionState(
        label=_("Start monitoring"),
        badge=_("Not monitored"),
        badge_class="off",
        fields={"enabled": "true"},
    )


class PrivacyConfig(AppConfig):
    name = "kartoteka.privacy"
    label = "privacy"

    def ready(self) -> None:
        from kartoteka.privacy.relations import declare_relations

        declare_relations()
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
                label=_("Stop monitoring"),
                url_name="privacy:monitoring",
                method="post",
                order=75,
                state=monitoring_state,
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
                more=True,
            )
        )
