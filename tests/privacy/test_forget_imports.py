"""Forget reaches what imports and exports kept: the journal, the uploaded file, export files."""

from pathlib import Path

import pytest

from kartoteka.contacts.models import Contact
from kartoteka.privacy.services import forget_contact
from kartoteka.transfer import services as transfer
from kartoteka.transfer.models import Export, Import, ImportRow
from tests.privacy.test_forget import _dump_database

CSV = "email,first_name,last_name,phone\nzofia.q@example.org,Zofia,Quixotova,+48601999888\n"
# A second import changes her phone: its journal row keeps the number it replaced.
UPDATE = "email,phone\nzofia.q@example.org,+48601999777\n"


@pytest.fixture
def imported(admin, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    for name, text in (("people.csv", CSV), ("update.csv", UPDATE)):
        source = tmp_path / name
        source.write_text(text)
        imp = transfer.upload_import(admin, upload=source, file_name=source.name)
        transfer.start_import(admin, imp)
        transfer.run_import(imp.pk)
        source.unlink()
    transfer.start_export(admin, format="csv", columns=["email"], query=transfer.export_query())
    return Contact.objects.get(email="zofia.q@example.org")


def _stored_text(root: Path) -> str:
    return "\n".join(
        p.read_bytes().decode("utf-8", "replace") for p in root.rglob("*") if p.is_file()
    ).casefold()


def test_forget_erases_the_import_journal_and_files_that_name_the_person(
    admin, imported, tmp_path, django_capture_on_commit_callbacks
):
    assert ImportRow.objects.filter(contact_id=imported.pk).exists()
    assert "zofia.q@example.org" in _stored_text(tmp_path)

    with django_capture_on_commit_callbacks(execute=True):
        record = forget_contact(admin, imported)

    assert not ImportRow.objects.filter(contact_id=imported.pk).exists()
    assert set(Import.objects.values_list("file_path", flat=True)) == {""}
    assert Export.objects.get().file_path == ""
    assert record.erased["import and export files"] == 3
    assert "zofia.q@example.org" not in _stored_text(tmp_path)
    dump = _dump_database()
    for word in ("zofia.q@example.org", "quixotova", "+48601999888"):
        assert word not in dump
