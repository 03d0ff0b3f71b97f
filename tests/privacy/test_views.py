import io
import zipfile

import pytest

from kartoteka.contacts.models import Contact
from kartoteka.privacy.models import ForgetRecord
from tests.duplicates.pages import layout  # noqa: F401
from tests.factories import make_contact

pytestmark = pytest.mark.usefixtures("layout")


@pytest.fixture
def person(admin, sales):
    return make_contact(admin, email="rgpd@example.com", first_name="Rita", owners=[sales])


def test_export_button_downloads_the_zip(client, sales, person):
    client.force_login(sales)
    response = client.get(f"/contacts/{person.pk}/export/")
    assert response.status_code == 200
    assert "data.json" in zipfile.ZipFile(io.BytesIO(response.content)).namelist()


def test_export_of_an_unseen_contact_is_404(client, other_sales, person):
    client.force_login(other_sales)
    assert client.get(f"/contacts/{person.pk}/export/").status_code == 404


def test_monitoring_button_toggles(client, sales, person):
    client.force_login(sales)
    client.post(f"/contacts/{person.pk}/monitoring/")
    assert Contact.objects.get(pk=person.pk).is_monitored is False
    client.post(f"/contacts/{person.pk}/monitoring/")
    assert Contact.objects.get(pk=person.pk).is_monitored is True


def test_forget_asks_for_the_email_then_shows_the_proof(client, admin, person):
    client.force_login(admin)
    response = client.post(f"/contacts/{person.pk}/forget/", {"confirm_email": "wrong"})
    assert response.status_code == 422
    assert Contact.objects.filter(pk=person.pk).exists()
    response = client.post(f"/contacts/{person.pk}/forget/", {"confirm_email": "RGPD@example.com"})
    record = ForgetRecord.objects.get()
    assert response.url == f"/privacy/forgotten/{record.pk}/"
    page = client.get(response.url).content.decode()
    assert f"#{person.pk}" in page and "rgpd@example.com" not in page


def test_sales_owner_cannot_forget_from_the_page(client, sales, person):
    client.force_login(sales)
    response = client.post(f"/contacts/{person.pk}/forget/", {"confirm_email": "rgpd@example.com"})
    assert response.status_code == 403
    assert Contact.objects.filter(pk=person.pk).exists()
