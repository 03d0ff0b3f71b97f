"""The segments app: the filter language, saved filters and segments."""

import datetime as dt

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SegmentsConfig(AppConfig):
    name = "kartoteka.segments"
    label = "segments"
    verbose_name = _("Segments")

    def ready(self) -> None:
        from kartoteka.segments.relations import declare_relations

        declare_relations()
        from django.conf import settings

        from kartoteka.contacts import listing as contact_listing
        from kartoteka.core import events, schedule, writeplan
        from kartoteka.segments import listing, services, tasks
        from kartoteka.segments.builtin import register_builtin_fields
        from kartoteka.web import registry

        register_builtin_fields()
        for derived in services.DERIVED:
            writeplan.register_derived(derived)
        contact_listing.register_filter_language(
            contact_listing.FilterLanguage(
                narrow=listing.narrow_by,
                context=listing.builder_context,
                template="segments/_builder.html",
                saved_template="segments/_saved_filters.html",
            )
        )
        events.subscribe("demo.loaded", services.add_demo_segments)
        schedule.every(
            dt.timedelta(minutes=settings.KARTOTEKA_SEGMENT_RECOUNT_MINUTES),
            "segments.recount",
            tasks.recount_all_segments,
        )
        registry.register_nav(
            registry.NavItem(
                key="segments", label=_("Segments"), url_name="segments:list", order=25
            )
        )
