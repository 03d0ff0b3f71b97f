"""The deals app: sales funnels (pipelines and stages), deals on a board, sales reports."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DealsConfig(AppConfig):
    name = "kartoteka.deals"
    label = "deals"

    def ready(self) -> None:
        from kartoteka.activity import timeline
        from kartoteka.core import events, writeplan
        from kartoteka.deals import demo, kinds, queries, services, views
        from kartoteka.deals.fields import register_fields
        from kartoteka.deals.relations import declare_relations
        from kartoteka.web import registry

        declare_relations()
        # Who may see a deal through its contacts, kept in the transaction of every change of
        # a contact's owners or of a deal's contacts made through a contacts write plan.
        for name, model in (("owners", "contacts.ContactOwner"), ("links", "deals.DealContact")):
            writeplan.register_watch(
                writeplan.Watch(
                    name=f"deals.viewers.{name}",
                    model=model,
                    column="contact_id",
                    changed=services.refresh_viewers_of_contacts,
                )
            )
        timeline.register(*kinds.KINDS)
        register_fields()
        events.subscribe("demo.loaded", demo.add_demo_deals)
        registry.register_nav(
            registry.NavItem(key="deals", label=_("Deals"), url_name="deals:board", order=25)
        )
        registry.register_nav(
            registry.NavItem(
                key="sales-reports",
                label=_("Sales reports"),
                url_name="deals:reports",
                order=70,
                more=True,
            )
        )
        registry.register_settings_page(
            registry.SettingsPage(
                key="pipelines", label=_("Pipelines"), url_name="deals:pipelines", order=60
            )
        )
        registry.register_settings_page(
            registry.SettingsPage(
                key="deal-fields", label=_("Deal fields"), url_name="deals:fields", order=61
            )
        )
        registry.register_contact_column(
            registry.ContactColumn(
                key="deals",
                label=_("Open deals"),
                load=queries.open_deal_counts,
                text=lambda count: str(count or 0),
                export=lambda count: count or 0,
            )
        )
        registry.register_card_section(
            registry.CardSection(
                key="deals",
                title=_("Deals"),
                template="deals/_section.html",
                load=views.card_section_data,
                order=35,
                count=lambda context: len(context["deals"]),
            )
        )
        registry.register_card_summary_item(
            registry.CardSummaryItem(
                key="open-deals",
                load=views.open_deals_summary,
                section="deals",
                url_name="deals:contact-deals",
                order=30,
            )
        )
        registry.register_card_tab(
            registry.CardTab(
                key="deals",
                label=_("Sales and funnels"),
                url_name="deals:contact-deals",
                order=40,
            )
        )
