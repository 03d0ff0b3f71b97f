"""The tracking app: website visits from the tracking snippet, with devices and attribution."""

import datetime as dt

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# How often a worker turns queued hits into visits.
PROCESS_EVERY = dt.timedelta(seconds=30)


class TrackingConfig(AppConfig):
    name = "kartoteka.tracking"
    label = "tracking"

    def ready(self) -> None:
        from django.db.models import F

        from kartoteka.activity import timeline
        from kartoteka.core import events, schedule
        from kartoteka.tracking import ads, filters, kinds, queries, services, tasks, views
        from kartoteka.tracking.relations import declare_relations
        from kartoteka.web import registry

        declare_relations()
        filters.register_fields()
        timeline.register(*kinds.KINDS)
        events.subscribe("contact.merged", services.recount_after_merge)
        events.subscribe("contact.merge_undone", services.recount_after_undo)
        events.subscribe("contact.created", ads.fill_on_arrival)
        schedule.every(PROCESS_EVERY, "tracking.process_hits", tasks.process_hits)
        registry.register_nav(
            registry.NavItem(
                key="attribution",
                label=_("Reports"),
                url_name="tracking:attribution",
                order=69,
                more=True,
            )
        )
        registry.register_settings_page(
            registry.SettingsPage("websites", _("Websites"), "tracking:sites", order=60)
        )
        registry.register_settings_page(
            registry.SettingsPage(
                "files", _("Files to download"), "tracking:files", order=62, admin_only=False
            )
        )
        registry.register_card_tab(
            registry.CardTab(
                key="visits", label=_("Visits"), url_name="tracking:contact-visits", order=40
            )
        )
        registry.register_card_action(
            registry.CardAction(
                key="monitoring-link",
                label=_("Monitoring link"),
                url_name="tracking:monitoring-links",
                order=66,
            )
        )
        for order, (key, label) in enumerate(views.CLIENT_COLUMNS):
            registry.register_contact_column(
                registry.ContactColumn(
                    key=key,
                    label=label,
                    load=queries.attribution_values(key),
                    text=lambda value: value or "—",
                    export=lambda value: value or "",
                    order=80 + order,
                    sort=F(key),
                )
            )
        registry.register_card_section(
            registry.CardSection(
                key="attribution",
                title=_("Source and Google Ads"),
                template="tracking/sections/attribution.html",
                load=views.attribution_section,
                has_data=views.has_attribution,
                order=70,
            )
        )
