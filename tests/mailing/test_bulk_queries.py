"""Subscribing many contacts, sending their confirmations and mailing a list read and write per
batch, not per contact: the number of queries stays the same however many contacts there are
(up to a batch)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kartoteka.core.scope import SYSTEM
from kartoteka.mailing import services
from kartoteka.mailing.models import EmailStatus, Mailing, OutgoingEmail, Subscription
from tests.factories import make_contact
from tests.mailing.helpers import grant

pytestmark = pytest.mark.django_db


def _count(call) -> int:
    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured.captured_queries)


def _new_list(key: str, *, double_opt_in: bool):
    return services.create_list(
        SYSTEM, data={"key": key, "name": key, "language": "en", "double_opt_in": double_opt_in}
    )


def _subscribe_and_confirm(key: str, count: int) -> tuple[int, int]:
    """Queries to subscribe `count` contacts without consent (double opt-in), and to send
    their confirmations."""
    mailing_list = _new_list(key, double_opt_in=True)
    ids = [make_contact().pk for _ in range(count)]
    subscribing = _count(lambda: services.subscribe_contacts(SYSTEM, mailing_list, contact_ids=ids))
    assert Subscription.objects.filter(mailing_list=mailing_list, status="pending").count() == count
    queued = list(
        OutgoingEmail.objects.filter(mailing_list=mailing_list).values_list("pk", flat=True)
    )
    sending = _count(lambda: services.deliver(queued))
    sent = OutgoingEmail.objects.filter(pk__in=queued, status=EmailStatus.SENT)
    assert sent.count() == count
    assert all("/confirm/" in body for body in sent.values_list("body_text", flat=True))
    return subscribing, sending


# Above five, so that each batch's sending times are too many to move the contacts' last
# activity one time at a time (contacts.services.move_last_activity).
FEW, MANY = 6, 40


def test_subscribing_and_confirming_forty_take_as_many_queries_as_six(db):
    _subscribe_and_confirm("warm-up", 2)
    assert _subscribe_and_confirm("few", FEW) == _subscribe_and_confirm("many", MANY)


def test_a_confirmation_no_longer_awaited_is_not_sent(db):
    mailing_list = _new_list("news", double_opt_in=True)
    contact = make_contact()
    services.subscribe_contacts(SYSTEM, mailing_list, contact_ids=[contact.pk])
    Subscription.objects.update(status="unsubscribed")
    services.deliver(list(OutgoingEmail.objects.values_list("pk", flat=True)))
    email = OutgoingEmail.objects.get()
    assert email.status == EmailStatus.FAILED
    assert email.error == "The subscription no longer awaits confirmation."


def _mail(key: str, count: int) -> int:
    mailing_list = _new_list(key, double_opt_in=False)
    people = [make_contact() for _ in range(count)]
    for person in people:
        grant(person)
    services.subscribe_contacts(SYSTEM, mailing_list, contact_ids=[p.pk for p in people])
    mailing = Mailing.objects.create(mailing_list=mailing_list, subject="Hi", body="Hi **you**")
    queries = _count(lambda: services.run_mailing(mailing.pk))
    mailing.refresh_from_db()
    assert (mailing.total, mailing.sent) == (count, count)
    return queries


def test_mailing_forty_takes_as_many_queries_as_mailing_six(db):
    _mail("warm-up", 2)
    assert _mail("few", FEW) == _mail("many", MANY)
