"""The forms app: forms built in Settings → Forms, served at /f/{key} or embedded elsewhere."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebformsConfig(AppConfig):
    name = "kartoteka.webforms"
    label = "webforms"

    def ready(self) -> None:
        from kartoteka.activity import timeline
        from kartoteka.tracking import report
        from kartoteka.web import registry
        from kartoteka.webforms import filters, kinds, queries
        from kartoteka.webforms.relations import declare_relations

        declare_relations()
        filters.register_fields()
        report.register_measure(
            report.Measure("submissions", _("Form submissions"), queries.submissions_by)
        )
        report.register_breakdown(
            report.Breakdown(
                "forms", _("Form submissions in the period"), queries.submissions_per_form
            )
        )
        timeline.register(*kinds.KINDS)
        registry.register_card_tab(
            registry.CardTab(
                key="other",
                label=_("Other"),
                url_name="webforms:contact-submissions",
                order=45,
            )
        )
        registry.register_settings_page(
            registry.SettingsPage("forms", _("Forms"), "webforms:forms", order=65)
        )
