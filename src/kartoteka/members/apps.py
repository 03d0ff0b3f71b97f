"""The members app: contacts who sign in to the members' area, their groups, and a website's
check of a member through the API."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "kartoteka.members"
    label = "members"
    verbose_name = _("Members")

    def ready(self) -> None:
        from kartoteka.members.relations import declare_relations

        declare_relations()
        from kartoteka.activity import timeline
        from kartoteka.core import events
        from kartoteka.members import columns, filters, kinds, services, views
        from kartoteka.web import registry

        timeline.register(*kinds.KINDS)
        filters.register_fields()
        columns.register_columns()
        events.subscribe("list.subscription_changed", services.register_from_list)
        registry.register_card_section(
            registry.CardSection(
                key="members",
                title=_("Membership"),
                template="members/card_section.html",
                load=views.card_section_data,
                order=57,
            )
        )
        registry.register_card_summary_item(
            registry.CardSummaryItem(
                key="member", load=views.member_summary, section="members", order=60
            )
        )
        registry.register_settings_page(
            registry.SettingsPage("members", _("Members"), "members:settings", 65)
        )
