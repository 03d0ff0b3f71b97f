import pytest
from django.db import connection

from kartoteka.contacts import services as contact_services
from kartoteka.contacts.models import Contact
from kartoteka.transfer import services
from kartoteka.transfer.models import ImportStatus
from tests.factories import make_contact
from tests.transfer.helpers import run, run_until_killed, upload, write

pytestmark = pytest.mark.django_db


def test_a_killed_run_resumes_after_its_last_batch_without_duplicates(admin, tmp_path, monkeypatch):
    rows = "".join(f"p{n}@example.com,Person {n}\n" for n in range(10))
    imp = upload(admin, write(tmp_path, "p.csv", "email,first_name\n" + rows))
    run_until_killed(imp, monkeypatch, batch_size=3, killed_at_batch=3)
    imp.refresh_from_db()
    assert (imp.status, imp.checkpoint, Contact.objects.count()) == ("running", 6, 6)

    imp = services.run_import(imp.pk)
    assert imp.status == ImportStatus.DONE
    assert (imp.created_count, imp.checkpoint) == (10, 10)
    assert Contact.objects.count() == 10
    # The journal holds each created contact once, as runs of ids (one per batch at most).
    journalled = [cid for run in imp.created_runs.all() for cid in run.contact_ids()]
    assert sorted(journalled) == sorted(Contact.objects.values_list("pk", flat=True))
    assert imp.created_runs.count() <= 4
    assert not imp.journal.exists()  # nothing was updated
    services.revert_import(admin, imp)
    assert not Contact.objects.exists()


def test_a_killed_run_loses_only_the_batches_of_its_open_transaction(admin, tmp_path, monkeypatch):
    rows = "".join(f"p{n}@example.com,Person {n}\n" for n in range(10))
    imp = upload(admin, write(tmp_path, "p.csv", "email,first_name\n" + rows))
    # On SQLite batches 1 and 2 commit together, and batch 3 dies in the next transaction with
    # batch 4; PostgreSQL commits every batch by itself, so batch 3 is written there.
    run_until_killed(imp, monkeypatch, batch_size=3, killed_at_batch=4, per_commit=2)
    imp.refresh_from_db()
    written = 6 if connection.vendor == "sqlite" else 9
    assert (imp.checkpoint, imp.created_count, Contact.objects.count()) == (written,) * 3

    imp = services.run_import(imp.pk)
    assert (imp.status, imp.created_count, Contact.objects.count()) == ("done", 10, 10)
    journalled = [cid for run in imp.created_runs.all() for cid in run.contact_ids()]
    assert sorted(journalled) == sorted(Contact.objects.values_list("pk", flat=True))


def test_revert_removes_created_contacts_and_restores_changed_fields(admin, tmp_path):
    kept = make_contact(admin, email="old@example.com", first_name="Before", city="Madrid")
    text = "email,first_name,city\nold@example.com,After,Sevilla\nnew@example.com,New,Bilbao\n"
    imp = run(admin, write(tmp_path, "p.csv", text))
    assert services.revert_import(admin, imp) == []
    assert not Contact.objects.filter(email="new@example.com").exists()
    kept.refresh_from_db()
    assert (kept.first_name, kept.city) == ("Before", "Madrid")
    assert imp.status == ImportStatus.REVERTED


def test_revert_reports_fields_edited_since_instead_of_overwriting(admin, tmp_path):
    contact = make_contact(admin, email="old@example.com", first_name="Before", city="Madrid")
    text = "email,first_name,city\nold@example.com,After,Sevilla\nnew@example.com,New,Bilbao\n"
    imp = run(admin, write(tmp_path, "p.csv", text))
    contact_services.update_contact(admin, contact, data={"city": "Valencia"})
    created = Contact.objects.get(email="new@example.com")
    contact_services.update_contact(admin, created, data={"first_name": "Edited"})
    kept = services.revert_import(admin, imp)
    contact.refresh_from_db()
    assert (contact.first_name, contact.city) == ("Before", "Valencia")
    assert any("city was changed since" in line for line in kept)
    assert Contact.objects.filter(email="new@example.com").exists()
    assert any(f"#{created.pk} was edited" in line for line in kept)


def test_revert_takes_away_tags_the_import_added(admin, tmp_path):
    contact = make_contact(admin, email="old@example.com")
    imp = run(admin, write(tmp_path, "p.csv", "email\nold@example.com\n"), tags=["fair"])
    assert imp.updated_count == 1
    services.revert_import(admin, imp)
    assert not contact.tags.exists()


def test_revert_removes_a_contact_the_file_lists_twice(admin, tmp_path):
    text = (
        "email,first_name,phone\n"
        "twice@example.com,Ana,+34 600 123 456\n"
        "other@example.com,Jan,\n"
        "TWICE@example.com,Anita,+48 601 234 567\n"
    )
    imp = run(admin, write(tmp_path, "twice.csv", text))
    assert Contact.objects.get(email="twice@example.com").first_name == "Anita"
    kept = services.revert_import(admin, imp)
    assert kept == []
    assert not Contact.objects.exists()


def test_revert_keeps_a_contact_listed_twice_when_edited_after_the_import(admin, tmp_path):
    text = "email,first_name\ntwice@example.com,Ana\ntwice@example.com,Anita\n"
    imp = run(admin, write(tmp_path, "twice.csv", text))
    contact = Contact.objects.get()
    contact_services.update_contact(admin, contact, data={"first_name": "Mine"})
    kept = services.revert_import(admin, imp)
    assert kept == [f"Contact #{contact.pk} was edited after the import; kept."]
    contact.refresh_from_db()
    assert contact.first_name == "Mine"


def test_an_import_is_reverted_once(admin, tmp_path):
    imp = run(admin, write(tmp_path, "p.csv", "email\na@example.com\n"))
    services.revert_import(admin, imp)
    with pytest.raises(Exception, match="already reverted"):
        services.revert_import(admin, imp)


def test_a_file_unreadable_halfway_fails_with_the_reason_before_writing(admin, tmp_path):
    rows = "".join(f"person{n:04d}@example.com,Person\n" for n in range(600))
    path = tmp_path / "p.csv"
    # Bytes that are not UTF-8 after ~20 kB, past what detection and the preview read.
    path.write_bytes(("email,first_name\n" + rows).encode() + b"late@example.com,\xff\xfe\n")
    imp = upload(admin, path, encoding="utf-8")
    services.start_import(admin, imp)
    imp = services.run_import(imp.pk)
    assert imp.status == ImportStatus.FAILED
    assert imp.message.endswith("The file is not UTF-8: invalid start byte.")
    assert not Contact.objects.exists()
