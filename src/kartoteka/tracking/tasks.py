"""Background work of tracking: turning the collector's queue into visits."""

from django_tasks import task

from kartoteka.tracking import services


@task()
def process_hits() -> None:
    """Enqueued periodically by the worker's clock (core.schedule)."""
    services.process_hits()
