"""The contacts app: contacts, their e-mails, phones, companies, tags and custom details."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContactsConfig(AppConfig):
    name = "kartoteka.contacts"
    label = "contacts"

    def ready(self) -> None:
        from kartoteka.activity import timeline
        from kartoteka.contacts import (
            card,
            detail_columns,
            kinds,
            search,
            sections,
            services,
            status_services,
        )
        from kartoteka.contacts.relations import declare_relations
        from kartoteka.core import events, writeplan
        from kartoteka.web import registry

        declare_relations()
        # A custom detail's index (and generated column) is on contacts' table: built and
        # dropped here, as the detail is defined and deleted.
        events.subscribe("property.defined", detail_columns.on_property_defined)
        events.subscribe("property.deleted", detail_columns.on_property_deleted)
        # A won deal makes its contacts clients (the deals app announces it; the rule is ours).
        events.subscribe("deal.won", status_services.deal_won)
        # The SQLite search index follows contacts_contact row by row; a bulk load fills it once.
        writeplan.register_derived(search.SEARCH_INDEX)
        timeline.register(*kinds.KINDS)
        # Entries that count as activity move the contact's last-activity time; the column
        # is contacts', so contacts moves it.
        timeline.on_activity(services.move_last_activity)

        registry.register_nav(
            registry.NavItem(
                key="contacts", label=_("Contacts"), url_name="web:contact-list", order=10
            )
        )
        registry.register_nav(
            registry.NavItem(key="clients", label=_("Clients"), url_name="web:clients", order=20)
        )
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
        registry.register_card_summary_item(
            registry.CardSummaryItem(key="score", load=card.score_summary, order=10)
        )
        registry.register_card_summary_item(
            registry.CardSummaryItem(
                key="last-activity",
                load=card.last_activity_summary,
                section="timeline",
                order=40,
            )
        )
        for page in (
            registry.SettingsPage(
                key="details", label=_("Custom details"), url_name="web:settings-details", order=10
            ),
            registry.SettingsPage(
                key="tags", label=_("Tags"), url_name="web:settings-tags", order=20
            ),
            registry.SettingsPage(
                key="statuses",
                label=_("Lead statuses"),
                url_name="web:settings-statuses",
                order=25,
            ),
        ):
            registry.register_settings_page(page)
        sections.register_sections()
