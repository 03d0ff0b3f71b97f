"""A Google Ads click report fills the Ads fields of contacts whose click id matches, now and
when they arrive later; the report's own lines and bad files are handled."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kartoteka.core.scope import SYSTEM
from kartoteka.tracking import ads
from tests.factories import make_contact

pytestmark = pytest.mark.django_db

REPORT = (
    b"Click performance report\n"
    b'"1 December 2026 - 6 December 2026"\n'
    b"Google Click ID,Campaign,Ad group,Keyword,Network,Device,Ad ID\n"
    b"Cj0-aaa,Winter sale,Shoes,red shoes,Google search,Mobile phones,6543\n"
    b"Cj0-bbb,Winter sale,Boots,winter boots,Search partners,Computers,6544\n"
    b"Cj0-ccc,Brand,Brand,kartoteka,Google search,Tablets,6545\n"
    b"Total: Account,,,,,,\n"
)


def test_matching_contacts_get_the_ads_fields_and_the_counts_are_given():
    ana = make_contact(email="ana@example.com", gclid="Cj0-aaa")
    eva = make_contact(email="eva@example.com", gclid="Cj0-bbb", ads_keyword="typed by hand")
    report = ads.import_clicks(SYSTEM, data=REPORT)
    assert (report.clicks, report.matched, report.unmatched) == (3, 2, 1)
    ana.refresh_from_db()
    eva.refresh_from_db()
    assert (ana.ads_campaign, ana.ads_group, ana.ads_keyword) == (
        "Winter sale",
        "Shoes",
        "red shoes",
    )
    assert (ana.ads_network, ana.ads_device, ana.ads_id) == (
        "Google search",
        "Mobile phones",
        "6543",
    )
    assert eva.ads_keyword == "typed by hand"  # what a contact has is kept
    assert eva.ads_group == "Boots"


def test_a_contact_arriving_later_with_a_reported_click_is_filled(
    django_capture_on_commit_callbacks,
):
    ads.import_clicks(SYSTEM, data=REPORT)
    with django_capture_on_commit_callbacks(execute=True):
        late = make_contact(email="late@example.com", gclid="Cj0-ccc")
    late.refresh_from_db()
    assert (late.ads_campaign, late.ads_keyword) == ("Brand", "kartoteka")


def test_a_utf16_tab_separated_report_reads_the_same():
    ana = make_contact(email="ana@example.com", gclid="Cj0-aaa")
    data = REPORT.decode().replace(",", "\t").encode("utf-16")
    assert ads.import_clicks(SYSTEM, data=data).matched == 1
    ana.refresh_from_db()
    assert ana.ads_keyword == "red shoes"


@pytest.mark.parametrize("data", [b"", b"name,email\nAna,ana@example.com\n"])
def test_a_file_without_click_ids_is_refused(admin_api, data):
    response = admin_api.client.post(
        "/api/v1/ads/clicks", {"file": SimpleUploadedFile("clicks.csv", data)}
    )
    assert response.status_code == 422


def test_the_api_answers_the_counts_for_admins_only(admin_api, sales_api):
    make_contact(email="ana@example.com", gclid="Cj0-aaa")
    upload = {"file": SimpleUploadedFile("clicks.csv", REPORT)}
    assert admin_api.client.post("/api/v1/ads/clicks", upload).json() == {
        "clicks": 3,
        "matched": 1,
        "unmatched": 2,
    }
    upload = {"file": SimpleUploadedFile("clicks.csv", REPORT)}
    assert sales_api.client.post("/api/v1/ads/clicks", upload).status_code == 403


def test_an_admin_uploads_a_report_from_the_websites_page(client, admin):
    make_contact(email="ana@example.com", gclid="Cj0-aaa")
    client.force_login(admin)
    response = client.post(
        "/settings/websites/ads-clicks/",
        {"file": SimpleUploadedFile("clicks.csv", REPORT)},
        follow=True,
    )
    assert "3 clicks read: 1 matched a contact, 2 did not." in response.content.decode()


def test_a_stray_carriage_return_is_read_as_a_line_break_not_a_server_error(admin_api):
    data = b"Google Click ID,Campaign\nCj0-aaa,Winter\rsale\n"
    response = admin_api.client.post(
        "/api/v1/ads/clicks", {"file": SimpleUploadedFile("clicks.csv", data)}
    )
    assert response.status_code == 200
    assert response.json()["clicks"] == 2  # "Cj0-aaa" and a line that starts with "sale"
