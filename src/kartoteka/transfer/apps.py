"""The transfer app: import and export of contacts (CSV, XLSX, vCard)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TransferConfig(AppConfig):
    name = "kartoteka.transfer"
    label = "transfer"

    def ready(self) -> None:
        from kartoteka.transfer.relations import declare_relations

        declare_relations()
        from kartoteka.core.signals import worker_starting, worker_ticking
        from kartoteka.transfer.tasks import resume_interrupted_work
        from kartoteka.web import registry

        worker_starting.connect(resume_interrupted_work, dispatch_uid="transfer-resume")
        worker_ticking.connect(resume_interrupted_work, dispatch_uid="transfer-resume-running")

        registry.register_nav(
            registry.NavItem(
                key="import", label=_("Import"), url_name="transfer:imports", order=70, more=True
            )
        )
        registry.register_nav(
            registry.NavItem(
                key="export", label=_("Export"), url_name="transfer:export", order=71, more=True
            )
        )
        registry.register_card_action(
            registry.CardAction(
                key="vcard", label=_("Download vCard"), url_name="transfer:contact-vcard", order=80
            )
        )
