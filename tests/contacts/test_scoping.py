"""A sales user can neither list, read, update, delete, tag nor upsert another's contact."""

import pytest

from kartoteka.contacts.models import Contact, ContactTag
from tests.factories import make_contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def others_contact(admin, other_sales):
    return make_contact(admin, email="olgas@example.com", owners=[other_sales], first_name="Olga")


def test_sales_user_lists_only_own_contacts(sales_api, sales, others_contact):
    mine = make_contact(sales)
    items = sales_api.get("/api/v1/contacts").json()["items"]
    assert [c["id"] for c in items] == [mine.pk]


def test_sales_user_cannot_find_others_contact_by_search(sales_api, others_contact):
    assert sales_api.get("/api/v1/contacts", search="olga").json()["items"] == []


def test_sales_user_cannot_read_others_contact(sales_api, others_contact):
    response = sales_api.get(f"/api/v1/contacts/{others_contact.pk}")
    assert response.status_code == 404


def test_sales_user_cannot_update_others_contact(sales_api, others_contact):
    response = sales_api.patch(f"/api/v1/contacts/{others_contact.pk}", {"first_name": "X"})
    assert response.status_code == 404
    assert Contact.objects.get(pk=others_contact.pk).first_name == "Olga"


def test_sales_user_cannot_delete_others_contact(sales_api, others_contact):
    assert sales_api.delete(f"/api/v1/contacts/{others_contact.pk}").status_code == 404
    assert Contact.objects.filter(pk=others_contact.pk).exists()


def test_sales_user_cannot_tag_others_contact(sales_api, others_contact):
    response = sales_api.post(f"/api/v1/contacts/{others_contact.pk}/tags", {"tags": ["x"]})
    assert response.status_code == 404
    assert not ContactTag.objects.filter(contact=others_contact).exists()


def test_sales_user_cannot_untag_others_contact(sales_api, admin, other_sales):
    contact = make_contact(admin, owners=[other_sales], tags=["vip"])
    assert sales_api.delete(f"/api/v1/contacts/{contact.pk}/tags/vip").status_code == 404
    assert ContactTag.objects.filter(contact=contact).exists()


def test_sales_user_cannot_read_others_timeline(sales_api, others_contact):
    response = sales_api.get(f"/api/v1/contacts/{others_contact.pk}/timeline")
    assert response.status_code == 404


def test_sales_user_cannot_upsert_others_contact(sales_api, others_contact):
    response = sales_api.put("/api/v1/contacts/by-email/OLGAS@example.com", {"first_name": "X"})
    assert response.status_code == 409
    assert "existing_id" not in response.json()
    assert Contact.objects.get(pk=others_contact.pk).first_name == "Olga"


def test_sales_user_cannot_filter_by_another_owner_to_see_contacts(sales_api, others_contact):
    assert sales_api.get("/api/v1/contacts", owner="olga").json()["items"] == []


def test_contact_created_by_sales_user_is_owned_by_them(sales_api):
    response = sales_api.post("/api/v1/contacts", {"email": "new@example.com"})
    assert response.json()["owners"] == ["sergio"]


def test_sales_user_reads_own_contact(sales_api, sales):
    contact = make_contact(sales)
    assert sales_api.get(f"/api/v1/contacts/{contact.pk}").status_code == 200


def test_admin_sees_every_contact(admin_api, others_contact):
    assert admin_api.get(f"/api/v1/contacts/{others_contact.pk}").status_code == 200


def test_sales_user_cannot_define_properties(sales_api):
    response = sales_api.post(
        "/api/v1/properties", {"key": "shoe", "label": "Shoe", "type": "number"}
    )
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"


def test_deactivated_users_token_stops_working(sales_api, sales):
    sales.is_active = False
    sales.save()
    assert sales_api.get("/api/v1/me").status_code == 401


def test_sales_user_cannot_drop_themselves_from_owners(sales_api, sales, other_sales):
    contact = make_contact(sales)
    response = sales_api.patch(f"/api/v1/contacts/{contact.pk}", {"owners": ["olga"]})
    assert response.status_code == 422
    assert list(contact.owners.values_list("username", flat=True)) == ["sergio"]


def test_sales_user_can_share_a_contact_with_a_colleague(sales_api, sales, other_sales):
    contact = make_contact(sales)
    response = sales_api.patch(f"/api/v1/contacts/{contact.pk}", {"owners": ["sergio", "olga"]})
    assert response.json()["owners"] == ["olga", "sergio"]
