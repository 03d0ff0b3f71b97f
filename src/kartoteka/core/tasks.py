"""Background upkeep that belongs to no one app."""

from django_tasks import task

from kartoteka.core import database


@task()
def refresh_planner_statistics() -> None:
    """Enqueued periodically by the worker's clock (core.schedule)."""
    database.refresh_planner_statistics()


@task()
def purge_deleted_rows_task(tables: list[str]) -> None:
    """Enqueued after an erasure (a forget): VACUUM on PostgreSQL, a checkpoint on SQLite."""
    database.finish_purge(tables)
