"""Settings → Forms, the submissions page and its CSV, in the user's scope."""

from kartoteka.core.scope import SYSTEM
from kartoteka.webforms import services
from kartoteka.webforms.models import WebForm
from tests.factories import make_contact

PROOF = {"page_url": "https://shop.example.com/", "ip": "203.0.113.5", "user_agent": "UA"}


def test_admin_builds_a_form_from_the_settings_page(client, admin):
    client.force_login(admin)
    answer = client.post(
        "/settings/forms/",
        {
            "name": "Webinar",
            "fields_spec": "Company | text | required | company\nTopic | choice | | | A; B",
            "tags": "webinar, lead",
            "consent_text": "Yes, e-mail me",
        },
    )
    assert answer.status_code == 302
    form = WebForm.objects.get()
    assert [f["maps_to"] for f in form.fields] == ["company", ""]
    assert form.fields[1]["choices"] == ["A", "B"]
    assert form.tags == ["webinar", "lead"]


def test_bad_builder_line_is_shown_not_saved(client, admin):
    client.force_login(admin)
    answer = client.post("/settings/forms/", {"name": "W", "fields_spec": "Age | number"})
    assert answer.status_code == 422
    # The service's refusal of the first field lands on the builder's text, with its line.
    assert "Line 1: The type is one of" in answer.content.decode()
    assert not WebForm.objects.exists()


def test_sales_user_cannot_open_form_settings(client, sales):
    client.force_login(sales)
    assert client.get("/settings/forms/").status_code == 403


def test_form_page_shows_the_snippet(client, admin, webform):
    client.force_login(admin)
    html = client.get(f"/settings/forms/{webform.pk}/").content.decode()
    assert "data-kt-form" in html and "embed.js" in html


def test_submissions_page_and_csv_keep_to_the_scope(client, sales, webform):
    make_contact(email="mine@example.com", owners=[sales])
    for email in ("mine@example.com", "other@example.com"):
        services.submit_form(webform, values={"email": email, "company": "=SUM(A1)"}, proof=PROOF)
    client.force_login(sales)
    page = client.get(f"/forms/{webform.pk}/submissions/").content.decode()
    assert "mine@example.com" in page and "other@example.com" not in page
    csv = client.get(f"/forms/{webform.pk}/submissions.csv").content.decode()
    assert "mine@example.com" in csv and "other@example.com" not in csv
    assert "'=SUM(A1)" in csv


def test_card_tab_lists_what_the_contact_sent(client, admin, webform):
    submission = services.submit_form(
        webform, values={"email": "a@example.com", "company": "Acme", "size": "11+"}, proof=PROOF
    )
    client.force_login(admin)
    html = client.get(f"/contacts/{submission.contact_id}/submissions/").content.decode()
    assert "Demo request" in html and "Team size" in html and "11+" in html


def test_forms_list_counts_submissions_and_links_to_them(client, admin, webform):
    services.submit_form(webform, values={"email": "a@example.com", "company": "A"}, proof=PROOF)
    client.force_login(admin)
    html = client.get("/settings/forms/").content.decode()
    assert f'href="/forms/{webform.pk}/submissions/">1 submission<' in html


def test_other_tab_lists_forms_and_downloads_newest_first(
    client, admin, webform, settings, tmp_path
):
    import datetime as dt

    from django.core.files.base import ContentFile
    from django.utils import timezone

    from kartoteka.tracking import files
    from kartoteka.tracking.models import FileDownload, Visitor

    settings.MEDIA_ROOT = tmp_path
    submission = services.submit_form(
        webform, values={"email": "a@example.com", "company": "Acme"}, proof=PROOF
    )
    ebook = files.upload_public_file(
        SYSTEM, upload=ContentFile(b"%PDF-1.7", name="guide.pdf"), title="Pricing guide"
    )
    FileDownload.objects.create(
        file=ebook,
        visitor=Visitor.objects.create(key="visitor-a-1", contact_id=submission.contact_id),
        contact_id=submission.contact_id,
        downloaded_at=timezone.now() + dt.timedelta(minutes=1),
    )
    client.force_login(admin)
    html = client.get(f"/contacts/{submission.contact_id}/submissions/").content.decode()
    assert html.index("Pricing guide") < html.index("Demo request")


def test_card_tab_outside_the_scope_is_404(client, sales, webform):
    submission = services.submit_form(
        webform, values={"email": "a@example.com", "company": "Acme"}, proof=PROOF
    )
    client.force_login(sales)
    assert client.get(f"/contacts/{submission.contact_id}/submissions/").status_code == 404
