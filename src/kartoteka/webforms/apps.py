"""The forms app: forms built in Settings → Forms, served at /f/{key} or embedded elsewhere."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebformsConfig(AppConfig):
    name = "kartoteka.webforms"
    label = "webforms"

    def ready(self) -> None:
        from kartoteka.activity import timeline
        from kartoteka.web import registry
        from kartoteka.webforms import filters, kinds
        from kartoteka.webforms.relations import declare_relations

        declare_relations()
        filters.register_fields()
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
