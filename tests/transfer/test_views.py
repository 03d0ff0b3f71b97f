import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone, translation

from kartoteka.contacts.models import Contact
from kartoteka.transfer.models import Import
from kartoteka.web.templatetags.units import duration
from tests.factories import make_contact

pytestmark = pytest.mark.django_db

CSV = "Correo electrónico;Nombre;Teléfono\nana@example.com;Ana;600123456\nmal;X;1\n".encode(
    "cp1252"
)


@pytest.fixture
def browser(admin):
    client = Client()
    client.force_login(admin)
    return client


def _upload(client, data: bytes = CSV, name: str = "gente.csv"):
    return client.post("/imports/", {"file": SimpleUploadedFile(name, data)})


def _configure(client, imp, action, **extra):
    form = {"action": action, "existing": "update", "tags": "", "owner": ""}
    form.update({f"map-{i}": t for i, t in imp.mapping.items()})
    form.update(extra)
    return client.post(f"/imports/{imp.pk}/configure/", form)


def test_upload_shows_detected_reading_preview_and_suggested_mapping(browser):
    response = _upload(browser)
    imp = Import.objects.get()
    assert response.status_code == 302
    page = browser.get(response["Location"]).content.decode()
    assert imp.encoding == "iso-8859-1" and imp.delimiter == ";"
    assert '<option value="iso-8859-1" selected>' in page
    assert '<th scope="row">Correo electrónico</th>' in page
    assert '<option value="email" selected>' in page


def test_upload_without_a_file_says_what_is_missing(browser):
    response = browser.post("/imports/", {})
    assert response.status_code == 422
    assert "Choose a CSV" in response.content.decode()


def test_upload_past_the_limit_says_so_once(browser, settings):
    settings.KARTOTEKA_MAX_UPLOAD_BYTES = 10
    response = _upload(browser)
    assert response.status_code == 422
    page = response.content.decode()
    # As every page that takes a file says it (deals' import, a contact's files): with the limit.
    assert page.count("larger than the limit of 10\xa0bytes") == 1
    assert "Choose a CSV" not in page
    assert not Import.objects.exists()


def test_changing_the_settings_of_a_started_import_says_it_has_started(browser):
    _upload(browser)
    imp = Import.objects.get()
    _configure(browser, imp, "start")
    response = _configure(browser, imp, "save", tags="late")
    assert response.status_code == 302
    page = browser.get(response["Location"]).content.decode()
    assert "settings can no longer change" in page


def test_dry_run_then_start_shows_the_result_with_counts_and_report(browser):
    _upload(browser)
    imp = Import.objects.get()
    page = _configure(browser, imp, "dry-run").content.decode()
    assert "Dry run" in page and not Contact.objects.exists()
    response = _configure(browser, imp, "start")
    assert response.status_code == 302
    page = browser.get(response["Location"]).content.decode()
    assert "Download error report" in page
    assert "Revert this import" in page
    assert Contact.objects.get().phone == "+34600123456"
    report = b"".join(browser.get(f"/imports/{imp.pk}/errors.csv").streaming_content).decode()
    assert report.splitlines()[1].startswith("3,error,Correo electrónico: ")


def test_a_mapping_without_email_is_refused_next_to_the_form(browser):
    _upload(browser)
    imp = Import.objects.get()
    response = _configure(browser, imp, "start", **{"map-0": ""})
    assert response.status_code == 422
    assert "Map one column to E-mail" in response.content.decode()


def test_progress_fragment_asks_for_a_reload_when_done(browser):
    _upload(browser)
    imp = Import.objects.get()
    _configure(browser, imp, "start")
    response = browser.get(f"/imports/{imp.pk}/progress/", HTTP_HX_REQUEST="true")
    assert response["HX-Refresh"] == "true"


def test_revert_button_reverts(browser):
    _upload(browser)
    imp = Import.objects.get()
    _configure(browser, imp, "start")
    browser.post(f"/imports/{imp.pk}/revert/")
    assert not Contact.objects.exists()


def test_another_sales_users_import_is_not_found(sales, other_sales):
    own = Client()
    own.force_login(sales)
    _upload(own)
    imp = Import.objects.get()
    other = Client()
    other.force_login(other_sales)
    assert other.get(f"/imports/{imp.pk}/").status_code == 404
    assert other.get(f"/imports/{imp.pk}/errors.csv").status_code == 404


def test_small_export_of_the_list_downloads_at_once(browser, admin):
    make_contact(admin, email="vip@example.com", tags=["vip"])
    make_contact(admin, email="other@example.com")
    response = browser.post("/export/", {"tag": "vip", "format": "csv", "columns": ["email"]})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert text.splitlines() == ["E-mail", "vip@example.com"]


def test_export_dialog_counts_the_list(browser, admin):
    make_contact(admin, email="a@example.com", status="won")
    make_contact(admin, email="b@example.com")
    page = browser.get("/export/", {"view": "clients"}).content.decode()
    assert "1 contact will be exported." in page


def test_vcard_of_a_contact_outside_the_scope_is_not_found(sales, other_sales):
    theirs = make_contact(other_sales, email="t@example.com")
    client = Client()
    client.force_login(sales)
    assert client.get(f"/contacts/{theirs.pk}/vcard/").status_code == 404


def test_vcard_of_a_contact(browser, admin):
    contact = make_contact(admin, email="v@example.com", first_name="Vera")
    response = browser.get(f"/contacts/{contact.pk}/vcard/")
    assert response["Content-Type"].startswith("text/vcard")
    assert "EMAIL;TYPE=INTERNET,pref:v@example.com" in response.content.decode()


def test_upload_checks_the_csrf_token_after_installing_the_size_limit(admin):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    response = _upload(client)
    assert response.status_code == 403
    assert not Import.objects.exists()


def test_export_of_a_segment(browser, admin):
    from kartoteka.segments.services import create_segment

    make_contact(admin, email="vip@example.com", tags=["vip"])
    make_contact(admin, email="other@example.com")
    segment = create_segment(
        admin, name="VIPs", document={"field": "tags", "op": "has_any", "value": ["vip"]}
    )
    page = browser.get("/export/").content.decode()
    assert f'<option value="{segment.pk}">VIPs</option>' in page
    response = browser.post(
        "/export/", {"segment": segment.pk, "format": "csv", "columns": ["email"]}
    )
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert text.splitlines() == ["E-mail", "vip@example.com"]


def test_export_of_a_segment_out_of_sight_says_there_is_no_such_segment(browser):
    response = browser.post("/export/", {"segment": "999999", "format": "csv"})
    assert response.status_code == 422
    assert "No such segment." in response.content.decode()


def test_export_in_an_unknown_format_names_the_formats(browser, admin):
    make_contact(admin)
    response = browser.post("/export/", {"format": "pdf", "columns": ["email"]})
    assert response.status_code == 422
    assert "Format must be one of" in response.content.decode()


def test_ticked_rows_open_the_dialog_and_export_only_those(sales, other_sales):
    client = Client()
    client.force_login(sales)
    ticked = make_contact(sales, email="ticked@example.com")
    make_contact(sales, email="not-ticked@example.com")
    theirs = make_contact(other_sales, email="theirs@example.com")
    selection = {"ids": [ticked.pk, theirs.pk], "action": "add_tag", "next": "/contacts/"}

    dialog = client.post("/export/", {**selection, "stage": "choose"})
    page = dialog.content.decode()
    assert dialog.status_code == 200
    assert "1 contact will be exported." in page and "(the contacts you selected)" in page
    assert f'<input type="hidden" name="ids" value="{ticked.pk}">' in page

    response = client.post("/export/", {**selection, "format": "csv", "columns": ["email"]})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert text.splitlines() == ["E-mail", "ticked@example.com"]


def test_the_list_offers_to_export_the_selection(browser, admin):
    make_contact(admin, email="a@example.com")
    page = browser.get("/contacts/").content.decode()
    assert 'formaction="/export/" name="stage" value="choose"' in page


def test_progress_of_a_large_import_groups_digits_and_says_minutes_left(browser):
    _upload(browser)
    imp = Import.objects.get()
    now = timezone.now()
    Import.objects.filter(pk=imp.pk).update(
        status="running",
        total_rows=1_200_000,
        checkpoint=300_000,
        started_at=now - dt.timedelta(seconds=100),
        heartbeat_at=now,
    )
    page = browser.get(f"/imports/{imp.pk}/").content.decode()
    assert "300,000 of 1,200,000 rows · 3,000 rows per second" in page
    assert "about 5 min left" in page


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(0, "0 s"), (89, "89 s"), (90, "2 min"), (3599, "1 h"), (3600, "1 h"), (4800, "1 h 20 min")],
)
def test_time_left_is_written_in_the_unit_people_read(seconds, shown):
    assert duration(seconds) == shown


def test_the_result_lists_rejected_rows_and_warnings_apart(browser):
    data = b"email;phone\nana@example.com;abc\nnot-an-address;600123456\n"
    _upload(browser, data)
    imp = Import.objects.get()
    _configure(browser, imp, "start", phone_region="ES")
    page = browser.get(f"/imports/{imp.pk}/").content.decode()
    errors = page.split('class="table problems problems-errors"')[1].split("</table>")[0]
    warnings = page.split('class="table problems problems-warnings"')[1].split("</table>")[0]
    assert "not-an-address" in errors and "abc" not in errors
    assert "abc" in warnings and "not-an-address" not in warnings
    assert Contact.objects.get().email == "ana@example.com"


def test_the_strict_checkbox_and_phone_region_are_saved(browser):
    _upload(browser)
    imp = Import.objects.get()
    _configure(browser, imp, "save", strict="on", phone_region="PL")
    imp.refresh_from_db()
    assert (imp.strict, imp.phone_region) == (True, "PL")


def test_an_import_started_in_spanish_reports_its_problems_in_spanish(browser, monkeypatch):
    from kartoteka.transfer.tasks import run_import_task

    queued = []
    monkeypatch.setattr(type(run_import_task), "enqueue", lambda self, *args: queued.append(args))
    browser.post("/i18n/setlang/", {"language": "es", "next": "/imports/"})
    _upload(browser)
    _configure(browser, Import.objects.get(), "start")
    # A worker runs it later, in no request and so in the default language.
    with translation.override("en"):
        run_import_task.func(*queued[0])
    messages = [p.message for p in Import.objects.get().problems.all()]
    assert any("No es una dirección de correo válida" in m for m in messages), messages
