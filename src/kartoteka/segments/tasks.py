"""Background work of segments: recounts."""

from django_tasks import task

from kartoteka.segments import services


@task()
def recount_segment(segment_id: int) -> None:
    services.recount_segment(segment_id)


@task()
def recount_all_segments() -> None:
    """Enqueued periodically by the worker's clock (core.schedule)."""
    services.recount_all_segments()
