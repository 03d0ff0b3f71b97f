"""Background work of imports and exports: thin wrappers around the services."""

from django.conf import settings
from django.utils import translation
from django_tasks import task

from kartoteka.transfer import services


@task()
def run_import_task(import_id: int, language: str = "") -> None:
    # The row problems it records are read in the language of whoever started the import.
    with translation.override(language or settings.LANGUAGE_CODE):
        services.run_import(import_id)


@task()
def run_export_task(export_id: int) -> None:
    services.run_export(export_id)


def resume_interrupted_work(**_signal) -> None:
    """Receiver of core.signals.worker_starting and worker_ticking."""
    services.resume_interrupted_work()
