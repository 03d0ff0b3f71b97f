"""The public file library: upload (page and API), the tracked download link, downloads on the
card of a known visitor, anonymous downloads joining the contact, merge and forget."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings

from kartoteka.activity.models import Activity
from kartoteka.core.errors import Forbidden, InvalidInput
from kartoteka.core.scope import SYSTEM
from kartoteka.duplicates.services import merge_contacts
from kartoteka.privacy.services import forget_contact, set_monitoring
from kartoteka.tracking import files, services
from kartoteka.tracking.models import FileDownload, PublicFile
from tests.factories import make_contact
from tests.tracking.helpers import make_site, send
from tests.uploads import LANGUAGES, LIMIT, PAST_THE_LIMIT, stored_files

pytestmark = pytest.mark.django_db(transaction=True)

PDF = b"%PDF-1.7 the e-book"


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "files"


def _ebook(actor=SYSTEM, title="The e-book"):
    return files.upload_public_file(actor, upload=ContentFile(PDF, name="ebook.pdf"), title=title)


def _known(site, email: str, visitor: str) -> None:
    send(site, visitor=visitor)
    send(site, "identify", e=email, visitor=visitor)
    services.process_hits()


def test_a_download_by_a_known_visitor_lands_on_the_card_and_timeline():
    site = make_site()
    ana = make_contact(email="ana@example.com")
    _known(site, "ana@example.com", "visitor-ana-1")
    ebook = _ebook()
    response = Client().get(f"/d/{ebook.key}", {"v": "visitor-ana-1"})
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Disposition"].startswith("attachment")
    download = FileDownload.objects.get()
    assert (download.contact_id, download.file_id) == (ana.pk, ebook.pk)
    entry = Activity.objects.get(contact=ana, kind="public_file_downloaded")
    assert entry.payload == {"file": "The e-book"}
    ebook.refresh_from_db()
    assert ebook.downloads == 1


def test_an_anonymous_download_joins_the_contact_when_the_visitor_is_identified():
    site = make_site()
    send(site, visitor="visitor-anon-1")
    services.process_hits()
    ebook = _ebook()
    Client().get(f"/d/{ebook.key}", {"v": "visitor-anon-1"})
    assert FileDownload.objects.get().contact_id is None
    ana = make_contact(email="ana@example.com")
    send(site, "identify", e="ana@example.com", visitor="visitor-anon-1")
    services.process_hits()
    assert FileDownload.objects.get().contact_id == ana.pk
    assert Activity.objects.filter(contact=ana, kind="public_file_downloaded").count() == 1


def test_the_visitor_cookie_is_read_when_there_is_no_parameter():
    site = make_site()
    ana = make_contact(email="ana@example.com")
    _known(site, "ana@example.com", "visitor-ana-1")
    ebook = _ebook()
    client = Client()
    client.cookies["_ktv"] = "visitor-ana-1"
    client.get(f"/d/{ebook.key}")
    assert FileDownload.objects.get().contact_id == ana.pk


@pytest.mark.parametrize(
    ("visitor", "headers"),
    [
        ("never-seen-visitor", {}),  # a browser the tracker has never heard of
        ("bad id!", {}),
        ("visitor-ana-1", {"HTTP_DNT": "1"}),
        ("visitor-ana-1", {"HTTP_SEC_GPC": "1"}),
    ],
)
def test_nothing_is_kept_for_unknown_ids_or_do_not_track(visitor, headers):
    site = make_site()
    make_contact(email="ana@example.com")
    _known(site, "ana@example.com", "visitor-ana-1")
    ebook = _ebook()
    assert Client().get(f"/d/{ebook.key}", {"v": visitor}, **headers).status_code == 200
    assert not FileDownload.objects.exists()
    ebook.refresh_from_db()
    assert ebook.downloads == 1


def test_nothing_is_kept_for_a_contact_whose_monitoring_is_stopped():
    site = make_site()
    ana = make_contact(email="ana@example.com")
    _known(site, "ana@example.com", "visitor-ana-1")
    set_monitoring(SYSTEM, ana, enabled=False)
    Client().get(f"/d/{_ebook().key}", {"v": "visitor-ana-1"})
    assert not FileDownload.objects.exists()
    assert not Activity.objects.filter(kind="public_file_downloaded").exists()


def test_the_link_reveals_nothing_and_is_rate_limited():
    ebook = _ebook()
    missing = Client().get("/d/no-such-key")
    assert missing.status_code == 404
    assert b"ebook" not in missing.content
    client = Client()
    # The missing key counted too: 30 answers a minute per address, whatever was asked.
    answers = [client.get(f"/d/{ebook.key}").status_code for _n in range(30)]
    assert answers[:29] == [200] * 29
    assert answers[29] == 429


def test_merge_moves_downloads_and_forget_erases_them():
    site = make_site()
    ana = make_contact(email="ana@example.com")
    twin = make_contact(email="ana.twin@example.com")
    _known(site, "ana.twin@example.com", "visitor-twin-1")
    ebook = _ebook()
    Client().get(f"/d/{ebook.key}", {"v": "visitor-twin-1"})
    merge_contacts(SYSTEM, survivor_id=ana.pk, merged_ids=[twin.pk])
    assert FileDownload.objects.get().contact_id == ana.pk
    forget_contact(SYSTEM, ana)
    assert not FileDownload.objects.exists()
    assert PublicFile.objects.filter(pk=ebook.pk).exists()


def test_executables_and_long_titles_are_refused():
    with pytest.raises(InvalidInput) as refused:
        files.upload_public_file(
            SYSTEM, upload=ContentFile(b"\x7fELF" + b"\x00" * 60, name="tool"), title=""
        )
    assert "file" in refused.value.errors
    with pytest.raises(InvalidInput) as refused:
        _ebook(title="x" * 201)
    assert "title" in refused.value.errors
    assert not PublicFile.objects.exists()


def test_only_the_uploader_or_an_admin_deletes_a_file(sales, other_sales, admin):
    ebook = _ebook(sales)
    with pytest.raises(Forbidden):
        files.delete_public_file(other_sales, ebook)
    files.delete_public_file(admin, ebook)
    assert not PublicFile.objects.exists()


def test_the_api_lists_and_uploads_files(sales_api):
    upload = SimpleUploadedFile("price list.pdf", PDF, content_type="application/pdf")
    created = sales_api.client.post("/api/v1/files/public", {"file": upload, "title": "Prices"})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["title"] == "Prices"
    assert body["link"].endswith(f"/d/{PublicFile.objects.get().key}")
    listed = sales_api.get("/api/v1/files/public").json()
    assert [f["title"] for f in listed] == ["Prices"]
    missing = sales_api.client.post("/api/v1/files/public", {"title": "No file"})
    assert missing.status_code == 422
    assert Client().get("/api/v1/files/public").status_code == 401


def test_the_api_lists_a_contacts_downloads_within_scope(sales_api, other_sales_api, sales):
    site = make_site()
    ana = make_contact(email="ana@example.com", owners=[sales])
    _known(site, "ana@example.com", "visitor-ana-1")
    Client().get(f"/d/{_ebook().key}", {"v": "visitor-ana-1"})
    mine = sales_api.get(f"/api/v1/contacts/{ana.pk}/downloads")
    assert [d["title"] for d in mine.json()] == ["The e-book"]
    assert other_sales_api.get(f"/api/v1/contacts/{ana.pk}/downloads").status_code == 404


def test_the_settings_page_uploads_lists_and_shows_errors(client, sales):
    client.force_login(sales)
    assert client.get("/settings/files/").status_code == 200
    empty = client.post("/settings/files/", {"title": "Nothing"})
    assert empty.status_code == 422
    assert "Choose a file." in empty.content.decode()
    upload = SimpleUploadedFile("ebook.pdf", PDF, content_type="application/pdf")
    added = client.post("/settings/files/", {"file": upload, "title": "Guide"}, follow=True)
    assert "Guide" in added.content.decode()
    assert f"/d/{PublicFile.objects.get().key}" in added.content.decode()


@pytest.mark.parametrize("language", LANGUAGES)
@override_settings(KARTOTEKA_MAX_UPLOAD_BYTES=LIMIT)
def test_the_settings_page_names_the_limit_once_and_keeps_nothing(sales, settings, language):
    client = Client(headers={"Accept-Language": language})
    client.force_login(sales)
    upload = SimpleUploadedFile("ebook.pdf", PDF, content_type="application/pdf")
    response = client.post("/settings/files/", {"file": upload, "title": "Guide"})
    assert response.status_code == 422
    page = response.content.decode()
    assert page.count(PAST_THE_LIMIT[language]) == 1
    assert "Choose a file." not in page
    assert not PublicFile.objects.exists()
    assert stored_files(settings.MEDIA_ROOT) == []


def test_the_settings_page_checks_the_csrf_token(sales):
    client = Client(enforce_csrf_checks=True)
    client.force_login(sales)
    upload = SimpleUploadedFile("ebook.pdf", PDF, content_type="application/pdf")
    assert client.post("/settings/files/", {"file": upload}).status_code == 403
    assert not PublicFile.objects.exists()


@override_settings(KARTOTEKA_MAX_UPLOAD_BYTES=LIMIT)
def test_the_api_names_the_limit_and_keeps_nothing(sales_api, settings):
    upload = SimpleUploadedFile("ebook.pdf", PDF, content_type="application/pdf")
    response = sales_api.client.post(
        "/api/v1/files/public", {"file": upload}, headers={"Accept-Language": "es"}
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "file", "message": PAST_THE_LIMIT["es"]}]
    assert not PublicFile.objects.exists()
    assert stored_files(settings.MEDIA_ROOT) == []
