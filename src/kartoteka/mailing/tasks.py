"""Background work of mailing lists: thin wrappers around the services."""

from django_tasks import task

from kartoteka.mailing import services


@task()
def deliver_emails(email_ids: list[int]) -> None:
    retry = services.deliver(email_ids)
    if retry:
        services.retry_later(retry)


@task()
def run_subscribe(run_id: int) -> None:
    services.run_subscribe_run(run_id)


@task()
def run_mailing(mailing_id: int) -> None:
    services.run_mailing(mailing_id)


@task()
def expire_pending() -> None:
    """Enqueued periodically by the worker's clock (core.schedule)."""
    services.expire_pending()
