"""Background work of segments: recounts, and the index of a newly defined custom detail."""

from django_tasks import task

from kartoteka.contacts.queries import all_property_definitions
from kartoteka.segments import services


@task()
def recount_segment(segment_id: int) -> None:
    services.recount_segment(segment_id)


@task()
def index_detail(key: str, type: str) -> None:
    """Build a newly defined custom detail's index (and its column, on PostgreSQL), unless the
    detail was deleted while this waited."""
    if all_property_definitions().filter(key=key).exists():
        services.index_property(key, type)


@task()
def recount_all_segments() -> None:
    """Enqueued periodically by the worker's clock (core.schedule)."""
    services.recount_all_segments()
