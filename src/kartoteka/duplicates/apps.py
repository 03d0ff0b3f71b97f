"""The duplicates app: finding contacts that are the same person and merging them."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DuplicatesConfig(AppConfig):
    name = "kartoteka.duplicates"
    label = "duplicates"

    def ready(self) -> None:
        from kartoteka.duplicates.relations import declare_relations

        declare_relations()
        from kartoteka.activity import timeline
        from kartoteka.duplicates import kinds
        from kartoteka.web import registry

        timeline.register(*kinds.KINDS)

        registry.register_nav(
            registry.NavItem(
                key="duplicates",
                label=_("Duplicates"),
                url_name="duplicates:list",
                order=60,
                more=True,
            )
        )
        registry.register_card_action(
            registry.CardAction(
                key="merge-with", label=_("Merge with…"), url_name="duplicates:merge-with", order=60
            )
        )
        registry.register_card_tab(
            registry.CardTab(
                key="merges", label=_("Merges"), url_name="duplicates:contact-merges", order=90
            )
        )
