"""Files on a contact: executables and oversized files refused, remove versus delete."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from kartoteka.activity import queries, services
from kartoteka.activity.filecheck import executable_kind, safe_file_name
from kartoteka.contacts import services as contact_services
from kartoteka.core.errors import Forbidden, InvalidInput

ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56
PE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 56 + b"PE\x00\x00"


def _upload(actor, contact, content: bytes, name: str):
    return services.upload_file(actor, contact, upload=ContentFile(content, name=name))


def test_upload_stores_the_file_and_lands_on_the_timeline(sales, contact):
    attached = _upload(sales, contact, b"%PDF-1.7 signed offer", "Oferta firmada.pdf")
    assert attached.name == "Oferta firmada.pdf"
    assert attached.size == 21
    assert attached.content_type == "application/pdf"
    assert default_storage.open(attached.file.name).read() == b"%PDF-1.7 signed offer"
    entry = queries.timeline(sales, contact.pk, kinds=["file_uploaded"]).get()
    assert entry.payload["name"] == "Oferta firmada.pdf"


@pytest.mark.parametrize(
    "content",
    [
        ELF,
        PE,
        b"\xfe\xed\xfa\xce" + b"\x00" * 28,
        b"\xfe\xed\xfa\xcf" + b"\x00" * 28,
        b"\xce\xfa\xed\xfe" + b"\x00" * 28,
        b"\xcf\xfa\xed\xfe" + b"\x00" * 28,
        b"\xca\xfe\xba\xbe" + b"\x00" * 28,
        b"#!/bin/sh\nrm -rf ~\n",
        b"\xef\xbb\xbf#!/usr/bin/env python3\n",
        b"\x00asm\x01\x00\x00\x00",
    ],
    ids=["elf", "pe", "macho32", "macho64", "macho32le", "macho64le", "fat-or-java", "shebang",
         "bom-shebang", "wasm"],
)  # fmt: skip
def test_executable_content_is_refused_whatever_the_name(sales, contact, content):
    with pytest.raises(InvalidInput) as error:
        _upload(sales, contact, content, "holiday-photo.jpg")
    assert "cannot be attached" in error.value.errors["file"][0]
    assert not queries.files_of(sales, contact.pk).exists()
    assert not default_storage.exists(f"contacts/{contact.pk}")


def test_a_renamed_elf_binary_is_refused(sales, contact):
    with pytest.raises(InvalidInput) as error:
        _upload(sales, contact, ELF, "invoice.pdf")
    assert error.value.errors["file"] == [
        "invoice.pdf is an ELF executable; programs and scripts cannot be attached to a contact."
    ]


def test_executable_names_are_refused_even_with_harmless_content(sales, contact):
    with pytest.raises(InvalidInput):
        _upload(sales, contact, b"echo hi", "setup.bat")


def test_text_that_starts_with_mz_is_not_taken_for_a_program(sales, contact):
    assert executable_kind(b"MZ Logistics price list\n", "list.txt") is None


def test_file_over_the_size_limit_is_refused_with_the_limit_in_the_message(
    sales, contact, settings
):
    settings.KARTOTEKA_MAX_UPLOAD_BYTES = 1024
    with pytest.raises(InvalidInput) as error:
        _upload(sales, contact, b"x" * 2048, "big.csv")
    assert error.value.errors["file"] == ["The file is 2.0\xa0KB; the limit is 1.0\xa0KB."]


def test_empty_file_is_refused(sales, contact):
    with pytest.raises(InvalidInput):
        _upload(sales, contact, b"", "empty.txt")


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\ana\\offer.pdf", "offer.pdf"),
        ('bad"name\r\n.pdf', "bad_name_.pdf"),
        ("...", "file"),
        ("a" * 300 + ".pdf", "a" * 196 + ".pdf"),
    ],
)
def test_file_names_are_made_safe(given, stored):
    assert safe_file_name(given) == stored


def test_removing_from_the_contact_keeps_the_bytes_and_can_be_undone(sales, contact):
    attached = _upload(sales, contact, b"hello", "a.txt")
    services.remove_file(sales, attached)
    assert not queries.files_of(sales, contact.pk).exists()
    assert list(queries.files_of(sales, contact.pk, removed=True)) == [attached]
    assert default_storage.exists(attached.file.name)
    services.restore_file(sales, attached)
    assert list(queries.files_of(sales, contact.pk)) == [attached]


def test_deleting_from_storage_erases_the_bytes(sales, contact, django_capture_on_commit_callbacks):
    attached = _upload(sales, contact, b"hello", "a.txt")
    stored = attached.file.name
    with django_capture_on_commit_callbacks(execute=True):
        services.delete_file(sales, attached)
    assert not default_storage.exists(stored)
    assert queries.timeline(sales, contact.pk, kinds=["file_deleted"]).exists()


def test_only_the_uploader_or_an_admin_may_delete_from_storage(sales, admin, contact):
    attached = _upload(admin, contact, b"hello", "a.txt")
    with pytest.raises(Forbidden):
        services.delete_file(sales, attached)


def test_deleting_a_contact_erases_its_stored_files(
    sales, admin, contact, django_capture_on_commit_callbacks
):
    attached = _upload(sales, contact, b"hello", "a.txt")
    with django_capture_on_commit_callbacks(execute=True):
        contact_services.delete_contact(admin, contact)
    assert not default_storage.exists(attached.file.name)


def test_erasing_a_contacts_folder_keeps_files_a_row_still_refers_to(sales, contact):
    attached = _upload(sales, contact, b"kept", "kept.txt")
    services.erase_stored_files(contact_id=contact.pk)
    assert default_storage.exists(attached.file.name)
