"""The consents app: who may be contacted, on which channel, for what, proven; suppressed
addresses and blocked contacts."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def block_state(contact):
    """The card's block action: "Unblock…" while the contact is blocked (the summary strip
    shows the "Blocked" badge)."""
    from kartoteka.consents.queries import is_blocked
    from kartoteka.web.registry import ActionState

    if is_blocked(contact):
        return ActionState(label=_("Unblock…"), badge="")
    return ActionState(label=_("Block…"), badge="")


class ConsentsConfig(AppConfig):
    name = "kartoteka.consents"
    label = "consents"

    def ready(self) -> None:
        from kartoteka.consents.relations import declare_relations

        declare_relations()
        from kartoteka.activity import timeline
        from kartoteka.consents import columns, demo, filters, kinds, services, views
        from kartoteka.core import events
        from kartoteka.web import registry

        timeline.register(*kinds.KINDS)
        filters.register_filter_fields()
        columns.register_columns()
        events.subscribe("contact.merged", services.merged)
        events.subscribe("contact.merge_undone", services.merge_undone)
        events.subscribe("demo.loaded", demo.add_demo_consents)
        registry.register_card_section(
            registry.CardSection(
                key="consents",
                title=_("Consents"),
                template="consents/section.html",
                load=views.section_context,
                order=55,
                count=views.granted_count,
            )
        )
        registry.register_card_summary_item(
            registry.CardSummaryItem(
                key="consents", load=views.consent_summary, section="consents", order=50
            )
        )
        registry.register_card_summary_item(
            registry.CardSummaryItem(
                key="blocked", load=views.blocked_summary, section="consents", order=70
            )
        )
        registry.register_card_action(
            registry.CardAction(
                key="block",
                label=_("Block…"),
                url_name="consents:block",
                order=80,
                state=block_state,
            )
        )
        registry.register_settings_page(
            registry.SettingsPage("consents", _("Consent purposes"), "consents:purposes", 60)
        )
