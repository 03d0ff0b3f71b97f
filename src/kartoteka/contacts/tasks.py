"""Background work of contacts: the index (and column) of a newly defined custom detail."""

from django_tasks import task

from kartoteka.contacts import detail_columns
from kartoteka.contacts.queries import all_property_definitions


@task()
def index_detail(key: str, type: str) -> None:
    """Build a newly defined custom detail's index (and its column, on PostgreSQL), unless the
    detail was deleted while this waited."""
    if all_property_definitions().filter(key=key).exists():
        detail_columns.index_property(key, type)
