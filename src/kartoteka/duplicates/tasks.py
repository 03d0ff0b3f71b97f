"""Background work of the duplicates app: a thin wrapper around the scan service."""

from django_tasks import task

from kartoteka.duplicates import services


@task()
def scan_duplicates_task(scan_id: int) -> None:
    services.run_scan(scan_id)
