"""The activity app: the timeline and the team's work on a contact."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivityConfig(AppConfig):
    name = "kartoteka.activity"
    label = "activity"

    def ready(self) -> None:
        from kartoteka.activity.relations import declare_relations

        declare_relations()
        from kartoteka.activity import kinds, services, timeline, views
        from kartoteka.core import events
        from kartoteka.web import registry

        timeline.register(*kinds.KINDS)
        events.subscribe("contact.deleted", services.erase_stored_files)

        # Offered on every card, even empty: each section carries its own "add" form.
        for key, title, order in (
            ("comments", _("Comments"), 25),
            ("notes", _("Notes"), 40),
            ("tasks", _("Tasks"), 45),
            ("files", _("Files"), 50),
        ):
            template, load = views.SECTIONS[key]
            registry.register_card_section(
                registry.CardSection(
                    key=key,
                    title=title,
                    template=template,
                    load=load,
                    order=order,
                    count=views.COUNTS[key],
                )
            )
        # The card header's one button: it leads to the notes section and into its form.
        registry.register_card_action(
            registry.CardAction(
                key="add-note",
                label=_("Add note"),
                url_name="web:contact-card",
                section="notes",
                primary=True,
                order=10,
            )
        )
        registry.register_nav(
            registry.NavItem(key="tasks", label=_("Tasks"), url_name="activity:my-tasks", order=30)
        )
        registry.register_frame_widget(
            registry.FrameWidget(
                key="notifications", template="activity/notifications_widget.html", order=10
            )
        )
