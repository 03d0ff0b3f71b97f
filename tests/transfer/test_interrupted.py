"""An import whose worker died: noticed, shown, and taken over by a worker, a click, the API or
the command line, continuing after its last committed batch."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from kartoteka.cli import main
from kartoteka.contacts.models import Contact
from kartoteka.core.signals import worker_starting, worker_ticking
from kartoteka.transfer import services
from kartoteka.transfer.models import Import, ImportStatus
from tests.transfer.helpers import run_until_killed, upload, write

pytestmark = pytest.mark.django_db

ROWS = 10


def _half_done(actor, tmp_path, monkeypatch, *, silent_for: timedelta) -> Import:
    """An import killed after its second batch of three rows, last heard of `silent_for` ago."""
    rows = "".join(f"p{n}@example.com,Person {n}\n" for n in range(ROWS))
    imp = upload(actor, write(tmp_path, "p.csv", "email,first_name\n" + rows))
    run_until_killed(imp, monkeypatch, batch_size=3, killed_at_batch=3)
    Import.objects.filter(pk=imp.pk).update(heartbeat_at=timezone.now() - silent_for)
    imp.refresh_from_db()
    return imp


def _assert_finished_once(imp: Import) -> None:
    imp.refresh_from_db()
    assert imp.status == ImportStatus.DONE
    assert (imp.created_count, imp.checkpoint) == (ROWS, ROWS)
    assert Contact.objects.count() == ROWS


def test_a_recently_heard_import_is_not_interrupted(admin, tmp_path, monkeypatch):
    imp = _half_done(admin, tmp_path, monkeypatch, silent_for=timedelta(seconds=5))
    assert not services.is_interrupted(imp)
    assert services.resume_interrupted_work() == []
    assert Import.objects.get(pk=imp.pk).status == ImportStatus.RUNNING


def test_a_starting_worker_resumes_a_silent_import_after_its_checkpoint(
    admin, tmp_path, monkeypatch
):
    imp = _half_done(admin, tmp_path, monkeypatch, silent_for=timedelta(minutes=5))
    assert services.is_interrupted(imp)
    assert services.progress_of(imp)["interrupted"] is True
    assert services.progress_of(imp)["next_row"] == 8  # data row 7, after the header
    worker_starting.send(sender=None)  # the tasks run inline in tests
    _assert_finished_once(imp)
    assert services.resume_interrupted_work() == []


def test_a_running_worker_resumes_an_import_silent_for_ninety_seconds(admin, tmp_path, monkeypatch):
    imp = _half_done(admin, tmp_path, monkeypatch, silent_for=timedelta(seconds=91))
    worker_ticking.send(sender=None)  # every few seconds in a running worker
    _assert_finished_once(imp)


def test_the_import_page_offers_to_resume_and_the_button_does(admin, tmp_path, monkeypatch):
    imp = _half_done(admin, tmp_path, monkeypatch, silent_for=timedelta(minutes=5))
    client = Client()
    client.force_login(admin)
    page = client.get(f"/imports/{imp.pk}/progress/").content.decode()
    assert "This import was interrupted" in page and "continues from row 8" in page
    response = client.post(f"/imports/{imp.pk}/resume/")
    assert response.status_code == 302
    _assert_finished_once(imp)
    again = client.post(f"/imports/{imp.pk}/resume/", follow=True).content.decode()
    assert "nothing to resume" in again


def test_the_api_resumes_and_refuses_what_is_not_interrupted(
    admin, admin_api, tmp_path, monkeypatch
):
    imp = _half_done(admin, tmp_path, monkeypatch, silent_for=timedelta(minutes=5))
    assert admin_api.get(f"/api/v1/imports/{imp.pk}").json()["interrupted"] is True
    assert admin_api.post(f"/api/v1/imports/{imp.pk}/resume").status_code == 200
    _assert_finished_once(imp)
    refused = admin_api.post(f"/api/v1/imports/{imp.pk}/resume")
    assert refused.status_code == 409
    assert "nothing to resume" in refused.json()["detail"]


def test_another_sales_user_cannot_resume_an_import(sales, other_sales, tmp_path, monkeypatch):
    imp = _half_done(sales, tmp_path, monkeypatch, silent_for=timedelta(minutes=5))
    client = Client()
    client.force_login(other_sales)
    assert client.post(f"/imports/{imp.pk}/resume/").status_code == 404
    assert Import.objects.get(pk=imp.pk).status == ImportStatus.RUNNING


def test_the_command_line_finishes_an_interrupted_import_in_the_foreground(
    admin, tmp_path, monkeypatch, capsys
):
    imp = _half_done(admin, tmp_path, monkeypatch, silent_for=timedelta(minutes=5))
    assert main(["import", "--resume", str(imp.pk)]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == (
        "created 10, updated 0, unchanged 0, failed 0, with warnings 0"
    )
    imp.refresh_from_db()
    assert (imp.status, imp.checkpoint, Contact.objects.count()) == ("done", ROWS, ROWS)


def test_a_starting_worker_writes_an_interrupted_export_anew(admin, admin_api):
    from kartoteka.transfer.models import Export
    from tests.factories import make_contact

    make_contact(admin, email="kept@example.com")
    export = Export.objects.create(
        created_by=admin,
        format="csv",
        columns=["email"],
        status="running",
        heartbeat_at=timezone.now() - timedelta(minutes=5),
    )
    assert admin_api.get(f"/api/v1/exports/{export.pk}").json()["interrupted"] is True
    client = Client()
    client.force_login(admin)
    assert "This export was interrupted" in client.get(f"/exports/{export.pk}/").content.decode()
    worker_starting.send(sender=None)
    export.refresh_from_db()
    assert (export.status, export.rows_done) == ("done", 1)
    with open(export.file_path, encoding="utf-8-sig") as written:
        assert "kept@example.com" in written.read()


def test_the_rate_of_a_resumed_import_counts_the_rows_and_time_since_the_resume(
    admin, tmp_path, monkeypatch
):
    imp = _half_done(admin, tmp_path, monkeypatch, silent_for=timedelta(minutes=5))
    assert imp.run_started_after == 0
    now = timezone.now()
    # Started an hour ago and silent for five minutes: the rate is that of the run while it
    # ran (up to its last sign of life), not its rows spread over the hour.
    imp.started_at = imp.run_started_at = now - timedelta(hours=1)
    imp.heartbeat_at = imp.run_started_at + timedelta(seconds=3)
    assert services.progress_of(imp)["rows_per_second"] == 2.0  # 6 rows in 3 s
    # Resumed after row 6 ten seconds ago, 20 rows since: 2 rows per second.
    imp.status = ImportStatus.RUNNING
    imp.run_started_at, imp.run_started_after = now - timedelta(seconds=10), 6
    imp.checkpoint, imp.heartbeat_at, imp.total_rows = 26, now, 46
    shown = services.progress_of(imp)
    assert 1.9 <= shown["rows_per_second"] <= 2.0
    assert 9 <= shown["seconds_left"] <= 11


def test_a_resumed_run_records_where_it_began(admin, tmp_path, monkeypatch):
    imp = _half_done(admin, tmp_path, monkeypatch, silent_for=timedelta(minutes=5))
    before = timezone.now()
    worker_starting.send(sender=None)
    imp.refresh_from_db()
    assert imp.run_started_after == 6
    assert before <= imp.run_started_at <= imp.finished_at
