"""The deals app: sales funnels (pipelines and stages), deals on a board, sales reports."""

from django.apps import AppConfig


class DealsConfig(AppConfig):
    name = "kartoteka.deals"
    label = "deals"

    def ready(self) -> None:
        from kartoteka.activity import timeline
        from kartoteka.deals import kinds
        from kartoteka.deals.relations import declare_relations

        declare_relations()
        timeline.register(*kinds.KINDS)
