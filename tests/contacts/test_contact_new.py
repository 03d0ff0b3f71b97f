"""The add-contact form: validation next to the fields, nothing saved until all is valid."""

from django.urls import reverse

from kartoteka.accounts import services as account_services
from kartoteka.contacts import services as contact_services
from kartoteka.contacts.models import Contact

NEW = "/contacts/new/"


def test_valid_form_creates_the_contact_and_opens_its_card(sales_client, sales):
    response = sales_client.post(
        NEW,
        {
            "first_name": "Ana",
            "last_name": "Lis",
            "email_0": "ana@example.com",
            "email_1": "ana.work@example.com",
            "email_primary": "1",
            "phone_0": "+48 601 200 300",
            "messenger_network_0": "telegram",
            "messenger_handle_0": "@ana",
            "tags": "fair, vip",
            "status": "lead",
        },
    )
    contact = Contact.objects.get()
    assert response["Location"] == reverse("web:contact-card", kwargs={"contact_id": contact.pk})
    assert contact.email == "ana.work@example.com"
    assert contact.phone == "+48601200300"
    assert sorted(contact.tags.values_list("name", flat=True)) == ["fair", "vip"]
    assert list(contact.owners.all()) == [sales]


def test_errors_appear_next_to_their_fields_and_nothing_is_saved(sales_client, admin):
    contact_services.define_property(admin, key="size", label="Size", type="number")
    response = sales_client.post(
        NEW,
        {"first_name": "Ana", "email_0": "not-an-address", "phone_0": "12", "detail_size": "big"},
    )
    assert response.status_code == 422
    errors = response.context["errors"]
    assert set(errors) >= {"email_0", "phone_0", "detail_size"}
    assert 'id="email_0-error"' in response.content.decode()
    assert not Contact.objects.exists()


def test_missing_email_is_named(sales_client):
    response = sales_client.post(NEW, {"first_name": "Ana"})
    assert "email_0" in response.context["errors"]


def test_taken_email_is_reported_on_the_email_field(sales_client, contact):
    response = sales_client.post(NEW, {"email_0": contact.email})
    assert "belongs to" in " ".join(response.context["errors"]["email_0"])


def test_owner_defaults_to_the_workspace_setting_for_admins(admin_client, admin, other_sales):
    account_services.set_default_owner(admin, owner=other_sales)
    response = admin_client.get(NEW)
    assert response.context["chosen_owners"] == {"olga"}


def test_admin_adds_a_field_inline(admin_client):
    response = admin_client.post(
        reverse("web:define-field"),
        {"newfield_label": "Shoe size", "newfield_key": "shoe_size", "newfield_type": "number"},
    )
    assert 'name="detail_shoe_size"' in response.content.decode()


def test_sales_user_cannot_add_a_field(sales_client):
    response = sales_client.post(
        reverse("web:define-field"),
        {"newfield_label": "Shoe size", "newfield_key": "shoe_size", "newfield_type": "number"},
    )
    assert response.status_code == 403
