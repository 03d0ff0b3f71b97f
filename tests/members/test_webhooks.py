"""A mail provider's bounce and complaint webhooks (django-anymail; Postmark's payload here)
mark the address's subscriptions on every list and put it on the timeline."""

import base64

from django.test import Client, override_settings

from kartoteka.activity.models import Activity
from kartoteka.consents import queries as consent_queries
from kartoteka.core.scope import SYSTEM
from kartoteka.mailing import services
from kartoteka.mailing.models import Subscription
from tests.factories import make_contact
from tests.mailing.helpers import grant

URL = "/anymail/postmark/tracking/"
SECRET = "hook:s3cret"


def _post(payload, secret=SECRET):
    auth = base64.b64encode(secret.encode()).decode()
    return Client().post(
        URL, payload, content_type="application/json", HTTP_AUTHORIZATION=f"Basic {auth}"
    )


def _bounce(address: str, record_type: str = "Bounce", type_: str = "HardBounce") -> dict:
    # Postmark's bounce webhook, as its documentation shows it.
    return {
        "RecordType": record_type,
        "ID": 4323372036854775807,
        "Type": type_,
        "TypeCode": 1,
        "Name": "Hard bounce",
        "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
        "Description": "The server was unable to deliver your message.",
        "Details": "Test bounce details",
        "Email": address,
        "From": "sender@example.com",
        "BouncedAt": "2026-12-06T16:33:54.9070259Z",
        "Inactive": True,
        "CanActivate": True,
        "Subject": "Test subject",
        "Metadata": {},
    }


@override_settings(ANYMAIL={"WEBHOOK_SECRET": SECRET})
def test_a_bounce_marks_every_list(newsletter):
    other = services.create_list(SYSTEM, data={"key": "offers", "name": "Offers"})
    contact = make_contact(email="gone@example.com")
    grant(contact)
    services.subscribe_contacts(SYSTEM, newsletter, contact_ids=[contact.pk])
    services.subscribe_contacts(SYSTEM, other, contact_ids=[contact.pk])
    response = _post(_bounce("Gone@Example.com"))
    assert response.status_code == 200
    statuses = set(Subscription.objects.filter(contact=contact).values_list("status", flat=True))
    assert statuses == {"bounced"}
    assert Activity.objects.filter(contact=contact, kind="list_bounced").count() == 2
    assert consent_queries.is_suppressed("gone@example.com")


@override_settings(ANYMAIL={"WEBHOOK_SECRET": SECRET})
def test_a_complaint_marks_complained(newsletter):
    contact = make_contact(email="angry@example.com")
    grant(contact)
    services.subscribe_contacts(SYSTEM, newsletter, contact_ids=[contact.pk])
    payload = _bounce("angry@example.com", record_type="SpamComplaint", type_="SpamComplaint")
    assert _post(payload).status_code == 200
    assert Subscription.objects.get(contact=contact).status == "complained"


@override_settings(ANYMAIL={"WEBHOOK_SECRET": SECRET})
def test_a_wrong_secret_or_an_unknown_address_changes_nothing(newsletter):
    contact = make_contact(email="here@example.com")
    grant(contact)
    services.subscribe_contacts(SYSTEM, newsletter, contact_ids=[contact.pk])
    assert _post(_bounce("here@example.com"), secret="hook:wrong").status_code in (400, 401, 403)
    assert _post(_bounce("nobody@example.com")).status_code == 200
    assert Subscription.objects.get(contact=contact).status == "subscribed"


@override_settings(ANYMAIL={"WEBHOOK_SECRET": ""})
def test_without_a_secret_the_webhook_is_not_there(db):
    assert _post(_bounce("x@example.com")).status_code == 404
