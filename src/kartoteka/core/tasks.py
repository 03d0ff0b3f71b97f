"""Background upkeep that belongs to no one app."""

from django_tasks import task

from kartoteka.core import database


@task()
def refresh_planner_statistics() -> None:
    """Enqueued periodically by the worker's clock (core.schedule)."""
    database.refresh_planner_statistics()
