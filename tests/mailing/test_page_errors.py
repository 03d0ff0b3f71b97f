"""Every field of the mailing pages: a wrong value gets its own translated message at the field,
the status says why (422, 409 for a taken key, 403 for a sales user), and nothing is written."""

import pytest
from django.test import Client

from kartoteka.contacts.models import Contact
from kartoteka.core.scope import SYSTEM
from kartoteka.mailing import services
from kartoteka.mailing.models import (
    Mailing,
    MailingList,
    OutgoingEmail,
    SubscribeRun,
    Subscription,
)
from tests.factories import make_contact
from tests.page_errors import all_errors, field_errors

pytestmark = pytest.mark.django_db

LIST = {
    "key": "offers",
    "name": "Offers",
    "language": "en",
    "description": "",
    "consent_text": "",
    "double_opt_in": "on",
}
LIST_ERRORS = [
    ("key", "Not A Key", 422, "Use 1-60 lower-case letters, digits and dashes"),
    ("key", "newsletter", 409, "Another list has the key newsletter."),
    ("name", "   ", 422, "Give it a name."),
    ("name", "n" * 121, 422, "A name may be at most"),
    ("language", "xx", 422, "Choose one of:"),
    ("description", "d" * 5001, 422, "5000"),
    ("consent_text", "c" * 5001, 422, "5000"),
]


def _client(user, language="en", **headers):
    client = Client(headers={"Accept-Language": language, **headers})
    client.force_login(user)
    return client


@pytest.mark.parametrize(("field", "value", "status", "message"), LIST_ERRORS)
def test_new_list_puts_each_wrong_value_on_its_field(
    admin, newsletter, field, value, status, message
):
    response = _client(admin).post("/lists/", {**LIST, field: value})
    assert response.status_code == status
    assert any(message in m for m in field_errors(response.text, field)), all_errors(response.text)
    assert list(MailingList.objects.values_list("key", flat=True)) == ["newsletter"]


@pytest.mark.parametrize(("field", "value", "status", "message"), LIST_ERRORS[:1] + LIST_ERRORS[2:])
def test_list_edit_puts_each_wrong_value_on_its_field(
    admin, newsletter, field, value, status, message
):
    services.create_list(SYSTEM, data={**LIST, "key": "other", "double_opt_in": True})
    edit = {**LIST, "key": "newsletter", "name": "Renamed", field: value}
    response = _client(admin).post(f"/lists/{newsletter.pk}/edit/", edit)
    assert response.status_code == status
    assert any(message in m for m in field_errors(response.text, field)), all_errors(response.text)
    assert 'value="Renamed"' in response.text or field == "name"  # what was typed stays
    newsletter.refresh_from_db()
    assert (newsletter.key, newsletter.name) == ("newsletter", "Newsletter")


def test_list_edit_to_a_taken_key_is_a_conflict(admin, newsletter):
    services.create_list(SYSTEM, data={**LIST, "key": "other", "double_opt_in": True})
    response = _client(admin).post(f"/lists/{newsletter.pk}/edit/", {**LIST, "key": "other"})
    assert response.status_code == 409
    assert field_errors(response.text, "key") == ["Another list has the key other."]
    newsletter.refresh_from_db()
    assert newsletter.key == "newsletter"


def test_list_errors_are_translated(admin, newsletter):
    page = _client(admin, "es").post("/lists/", {**LIST, "name": ""}).text
    assert field_errors(page, "name") == ["Ponle un nombre."]
    page = _client(admin, "pl").post("/lists/", {**LIST, "name": ""}).text
    assert field_errors(page, "name") == ["Nadaj nazwę."]


def test_sales_users_may_not_create_change_or_delete_lists(sales, newsletter):
    client = _client(sales)
    response = client.post("/lists/", LIST)
    assert response.status_code == 403
    assert "Only admins may change mailing lists." in all_errors(response.text)
    response = client.post(f"/lists/{newsletter.pk}/edit/", {**LIST, "key": "newsletter"})
    assert response.status_code == 403
    assert "Only admins may change mailing lists." in all_errors(response.text)
    response = client.post(f"/lists/{newsletter.pk}/delete/", follow=True)
    assert "Only admins may change mailing lists." in response.text
    assert list(MailingList.objects.values_list("key", "name")) == [("newsletter", "Newsletter")]


@pytest.mark.parametrize(
    ("post", "field", "message"),
    [
        ({"segment": "vip"}, "segment", "Choose a segment."),
        ({"segment": "999999"}, "segment", "No such segment."),
        ({"q": 'name:"open'}, "q", "A quote is not closed."),
    ],
)
def test_subscribing_matching_contacts_puts_each_wrong_value_on_its_field(
    admin, newsletter, post, field, message
):
    response = _client(admin).post(f"/lists/{newsletter.pk}/subscribe/", post)
    assert response.status_code == 422
    assert message in field_errors(response.text, field), all_errors(response.text)
    assert not SubscribeRun.objects.exists()


@pytest.mark.parametrize(
    ("post", "field", "message"),
    [
        ({"subject": "", "body": "Hi"}, "subject", "Give the e-mail a subject."),
        ({"subject": "One\nTwo", "body": "Hi"}, "subject", "A subject is one line"),
        ({"subject": "Hi", "body": "  "}, "body", "Write the e-mail."),
    ],
)
@pytest.mark.parametrize("action", ["preview", "test", "send"])
def test_the_composer_puts_each_wrong_value_on_its_field(
    admin, newsletter, post, field, message, action
):
    response = _client(admin).post(f"/lists/{newsletter.pk}/mail/", {**post, "action": action})
    assert response.status_code == 422
    assert any(message in m for m in field_errors(response.text, field)), all_errors(response.text)
    assert not Mailing.objects.exists() and not OutgoingEmail.objects.exists()


def test_the_composer_refuses_an_unknown_action_and_a_test_to_nobody(admin, newsletter):
    response = _client(admin).post(
        f"/lists/{newsletter.pk}/mail/", {"subject": "Hi", "body": "Hi", "action": "blast"}
    )
    assert response.status_code == 422
    assert "Unknown action." in all_errors(response.text)
    admin.email = ""
    admin.save()
    response = _client(admin).post(
        f"/lists/{newsletter.pk}/mail/", {"subject": "Hi", "body": "Hi", "action": "test"}
    )
    assert response.status_code == 422
    assert "Your account has no e-mail address to send the test to." in all_errors(response.text)
    assert not Mailing.objects.exists() and not OutgoingEmail.objects.exists()


@pytest.mark.parametrize(
    ("post", "message"),
    [
        ({"list": "news"}, "Choose a list."),
        ({"list": ""}, "Choose a list."),
        ({"list": "999999"}, "No such list."),
        ({"list": "LIST", "remove": "1"}, "This contact is not on the list."),
    ],
)
def test_the_card_section_names_a_wrong_list(admin, newsletter, post, message):
    contact = make_contact(email="ana@example.com")
    if post["list"] == "LIST":
        post = {**post, "list": newsletter.pk}
    response = _client(admin, HX_Request="true").post(f"/contacts/{contact.pk}/lists/", post)
    assert response.status_code == 422
    assert response["Kartoteka-Form-Errors"] == "1"
    assert message in response.text
    assert not Subscription.objects.exists()


def test_the_card_section_without_htmx_goes_back_with_the_error(admin, newsletter):
    contact = make_contact(email="ana@example.com")
    response = _client(admin).post(f"/contacts/{contact.pk}/lists/", {"list": "x"}, follow=True)
    assert response.redirect_chain[-1][0].endswith(f"/contacts/{contact.pk}/")
    assert "Choose a list." in response.text
    assert not Subscription.objects.exists()


@pytest.mark.parametrize(
    ("value", "message"), [("x", "Choose a list."), ("999999", "No such list.")]
)
def test_the_selection_names_a_wrong_list(admin, newsletter, value, message):
    contact = make_contact(email="ana@example.com")
    response = _client(admin).post(
        "/lists/selection/", {"ids": [contact.pk], "next": "/contacts/", "list": value}
    )
    assert response.status_code == 422
    assert field_errors(response.text, "list") == [message]
    assert not Subscription.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "not an address", "Not a valid e-mail address"),
        ("first_name", "f" * 256, "255"),
        ("consent", "", "Tick the box to agree to receive the e-mails."),
        ("consent", "no", "Tick the box to agree to receive the e-mails."),
    ],
)
def test_the_public_form_puts_each_wrong_value_on_its_field(
    client, newsletter, field, value, message
):
    before = Contact.objects.count()
    post = {"email": "ana@example.com", "first_name": "Ana", "consent": "on", field: value}
    response = client.post("/subscribe/newsletter", post)
    assert response.status_code == 422
    assert any(message in m for m in field_errors(response.text, field)), all_errors(response.text)
    answer = client.post("/subscribe/newsletter", post, HTTP_ACCEPT="application/json")
    assert answer.status_code == 422
    assert any(message in m for m in answer.json()["errors"][field])
    assert Contact.objects.count() == before
    assert not Subscription.objects.exists() and not OutgoingEmail.objects.exists()


def test_an_export_of_an_unknown_status_is_not_found(admin, newsletter):
    assert (
        _client(admin).get(f"/lists/{newsletter.pk}/export.csv", {"status": "x"}).status_code == 404
    )
