"""Background work of contacts: the index (and column) of a newly defined custom detail, and
bulk actions on more contacts than a request changes."""

from django.conf import settings
from django.utils import translation
from django_tasks import task

from kartoteka.contacts import detail_columns, services
from kartoteka.contacts.models import BulkChange
from kartoteka.contacts.queries import all_property_definitions


@task()
def index_detail(key: str, type: str) -> None:
    """Build a newly defined custom detail's index (and its column, on PostgreSQL), unless the
    detail was deleted while this waited."""
    if all_property_definitions().filter(key=key).exists():
        detail_columns.index_property(key, type)


@task()
def run_bulk_change_task(change_id: int) -> None:
    language = BulkChange.objects.filter(pk=change_id).values_list("language", flat=True).first()
    # The reason it stops, if it does, is read in the language of whoever asked for it.
    with translation.override(language or settings.LANGUAGE_CODE):
        services.run_bulk_change(change_id)
