"""The commerce app: events sent from outside (purchases, carts, payments, behaviour), the
eCommerce totals they roll up into, products, coupons, and the card's Analytics charts."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommerceConfig(AppConfig):
    name = "kartoteka.commerce"
    label = "commerce"

    def ready(self) -> None:
        from kartoteka.commerce.relations import declare_relations

        declare_relations()
        from kartoteka.activity import timeline
        from kartoteka.commerce import columns, demo, filters, kinds, services, views
        from kartoteka.core import events
        from kartoteka.web import registry

        timeline.register(*kinds.KINDS)
        filters.register_fields()
        columns.register_columns()
        events.subscribe("contact.merged", services.after_merge)
        events.subscribe("demo.loaded", demo.add_demo_purchases)
        events.subscribe("contact.merge_undone", services.after_merge)

        registry.register_card_section(
            registry.CardSection(
                key="ecommerce",
                title=_("eCommerce"),
                template="commerce/ecommerce_section.html",
                load=views.ecommerce_context,
                order=20,
                count=lambda context: context["ecommerce"].transactions,
            )
        )
        registry.register_card_summary_item(
            registry.CardSummaryItem(
                key="lifetime-value",
                load=views.lifetime_summary,
                section="ecommerce",
                url_name="commerce:contact-events",
                order=20,
            )
        )
        registry.register_card_tab(
            registry.CardTab(
                key="events",
                label=_("External events and coupons"),
                url_name="commerce:contact-events",
                order=30,
            )
        )
        registry.register_card_tab(
            registry.CardTab(
                key="analytics",
                label=_("Analytics"),
                url_name="commerce:contact-analytics",
                order=40,
            )
        )
        registry.register_segment_action(
            registry.SegmentAction(
                key="analytics",
                label=_("Best hours"),
                url_name="commerce:segment-analytics",
                order=20,
            )
        )
        registry.register_nav(
            registry.NavItem(
                key="products",
                label=_("Products"),
                url_name="commerce:products",
                order=40,
                more=True,
            )
        )
        registry.register_settings_page(
            registry.SettingsPage(
                key="commerce",
                label=_("Currencies and event types"),
                url_name="commerce:settings",
                order=60,
            )
        )
