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


@pytest.mark.parametrize("typed", ["", "someone@example.com"])
def test_a_wrong_confirmation_is_explained_next_to_the_input(client, admin, person, typed):
    client.force_login(admin)
    response = client.post(f"/contacts/{person.pk}/forget/", {"confirm_email": typed})
    assert response.status_code == 422
    page = response.content.decode()
    field = page.index('id="confirm_email"')
    assert page.index("exactly to confirm", field) < page.index("</form>", field)


def test_sales_owner_cannot_forget_from_the_page(client, sales, person):
    client.force_login(sales)
    response = client.post(f"/contacts/{person.pk}/forget/", {"confirm_email": "rgpd@example.com"})
    assert response.status_code == 403
    assert Contact.objects.filter(pk=person.pk).exists()


def test_card_shows_the_monitoring_state_and_one_button_named_for_what_it_does(
    client, sales, person
):
    client.force_login(sales)
    page = client.get(f"/contacts/{person.pk}/").content.decode()
    assert 'class="state-badge state-on">Monitored<' in page
    assert ">Stop monitoring</button>" in page and "Start monitoring" not in page
    client.post(f"/contacts/{person.pk}/monitoring/", {"enabled": "false"})
    page = client.get(f"/contacts/{person.pk}/").content.decode()
    assert 'class="state-badge state-off">Not monitored<' in page
    assert ">Start monitoring</button>" in page and "Stop monitoring" not in page


def test_stop_monitoring_twice_leaves_it_stopped(client, sales, person):
    """The button sends the state it asks for, so a double click does not switch it back."""
    client.force_login(sales)
    client.post(f"/contacts/{person.pk}/monitoring/", {"enabled": "false"})
    client.post(f"/contacts/{person.pk}/monitoring/", {"enabled": "false"})
    assert Contact.objects.get(pk=person.pk).is_monitored is False
