"""The consents app: who may be contacted, on which channel, for what, proven; suppressed
addresses and blocked contacts."""

from django.apps import AppConfig


class ConsentsConfig(AppConfig):
    name = "kartoteka.consents"
    label = "consents"

    def ready(self) -> None:
        from kartoteka.consents.relations import declare_relations

        declare_relations()
        from kartoteka.activity import timeline
        from kartoteka.consents import filters, kinds, services
        from kartoteka.core import events

        timeline.register(*kinds.KINDS)
        filters.register_filter_fields()
        events.subscribe("contact.merged", services.merged)
        events.subscribe("contact.merge_undone", services.merge_undone)
