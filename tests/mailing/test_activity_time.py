"""Whose act a subscription change is decides whether it moves the contact's last activity:
the person subscribing, confirming or leaving is active; staff putting them on a list or
taking them off it (one at a time or a whole segment) are not, as staff tagging them is not."""

import datetime as dt

from django.test import Client

from kartoteka.activity.models import Activity
from kartoteka.contacts.models import Contact
from kartoteka.core.scope import SYSTEM
from kartoteka.mailing import services, tokens
from kartoteka.mailing.models import Subscription, SubscriptionSource
from tests.factories import make_contact
from tests.mailing.helpers import grant, link_in

DORMANT_SINCE = dt.datetime(2026, 9, 1, 8, 0, tzinfo=dt.UTC)


def _make_dormant(contact_id: int) -> None:
    Contact.objects.filter(pk=contact_id).update(last_activity_at=DORMANT_SINCE)


def _last_activity(contact_id: int) -> dt.datetime:
    return Contact.objects.values_list("last_activity_at", flat=True).get(pk=contact_id)


def test_staff_subscribing_and_removing_leave_last_activity_alone(db, newsletter, admin):
    people = [make_contact() for _ in range(3)]
    for contact in people:
        grant(contact)
        _make_dormant(contact.pk)
    services.subscribe_contacts(
        admin, newsletter, contact_ids=[people[0].pk], source=SubscriptionSource.CARD
    )
    services.subscribe_contacts(
        SYSTEM,
        newsletter,
        contact_ids=[c.pk for c in people[1:]],
        source=SubscriptionSource.SEGMENT,
    )
    services.remove_subscriber(admin, newsletter, people[0], source=SubscriptionSource.CARD)
    assert [_last_activity(c.pk) for c in people] == [DORMANT_SINCE] * 3
    kinds = sorted(Activity.objects.filter(kind__startswith="list_").values_list("kind", flat=True))
    assert kinds == ["list_added", "list_added", "list_added", "list_removed"]


def test_the_person_confirming_and_unsubscribing_is_their_activity(db, smtp, newsletter, commit):
    client = Client()
    with commit(execute=True):
        client.post(
            "/subscribe/newsletter",
            {"email": "ana@example.com", "first_name": "Ana", "consent": "on"},
        )
    subscription = Subscription.objects.get()
    contact_id = subscription.contact_id
    _make_dormant(contact_id)
    (confirmation,) = smtp.to("ana@example.com")
    assert client.get(link_in(smtp.text(confirmation), "confirm")).status_code == 200
    assert _last_activity(contact_id) > DORMANT_SINCE
    assert Activity.objects.filter(contact_id=contact_id, kind="list_subscribed").exists()

    _make_dormant(contact_id)
    services.unsubscribe(
        tokens.unsubscribe_token(contact_id, subscription.mailing_list_id), proof={}
    )
    assert _last_activity(contact_id) > DORMANT_SINCE
    assert Activity.objects.filter(contact_id=contact_id, kind="list_unsubscribed").exists()
