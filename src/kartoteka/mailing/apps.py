"""The mailing app: mailing lists and their subscribers, double opt-in, unsubscribe and the
preferences page, and the e-mail Kartoteka sends."""

import datetime as dt

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailingConfig(AppConfig):
    name = "kartoteka.mailing"
    label = "mailing"
    verbose_name = _("Mailing lists")

    def ready(self) -> None:
        from kartoteka.mailing.relations import declare_relations

        declare_relations()
        from kartoteka.activity import timeline
        from kartoteka.core import events, schedule
        from kartoteka.mailing import demo, kinds, services, tasks, views
        from kartoteka.mailing.filters import register_fields
        from kartoteka.transfer import columns
        from kartoteka.web import registry

        timeline.register(*kinds.KINDS)
        from anymail.signals import tracking

        from kartoteka.mailing import webhooks

        tracking.connect(webhooks.on_tracking, dispatch_uid="kartoteka.mailing.webhooks")
        register_fields()
        events.subscribe("demo.loaded", demo.add_demo_lists)
        columns.register(
            columns.ImportColumn(
                key="lists", label=_("Mailing lists (keys)"), apply=services.subscribe_from_import
            )
        )
        schedule.every(dt.timedelta(hours=1), "mailing.expire_pending", tasks.expire_pending)
        registry.register_nav(
            registry.NavItem(key="lists", label=_("Lists"), url_name="mailing:lists", order=27)
        )
        registry.register_selection_action(
            registry.SelectionAction(
                key="subscribe", label=_("Subscribe to a list"), url_name="mailing:bulk-subscribe"
            )
        )
        registry.register_card_section(
            registry.CardSection(
                key="lists",
                title=_("Mailing lists"),
                template="mailing/card_section.html",
                load=views.card_section_data,
                order=55,
                count=lambda context: sum(
                    1 for s in context["subscriptions"] if s.status == "subscribed"
                ),
            )
        )
