"""The whole way of a subscriber through a real SMTP server: the public form, the confirmation
e-mail and its link, a list e-mail, and the one-click unsubscribe from its header."""

import datetime as dt

from django.test import Client
from django.utils import timezone

from kartoteka.consents import queries as consent_queries
from kartoteka.core.scope import SYSTEM
from kartoteka.mailing import services
from kartoteka.mailing.models import OutgoingEmail, Subscription
from tests.mailing.helpers import link_in, path_of


def _subscribe(client: Client, commit, address: str = "ana@example.com"):
    with commit(execute=True):
        return client.post(
            "/subscribe/newsletter",
            {"email": address, "first_name": "Ana", "consent": "on"},
            HTTP_REFERER="https://shop.example.com/blog",
        )


def test_confirm_link_then_one_click_unsubscribe_from_the_list_email(smtp, newsletter, commit):
    client = Client()
    answer = _subscribe(client, commit)
    assert answer.status_code == 200
    (confirmation,) = smtp.to("ana@example.com")
    assert "Newsletter" in confirmation["Subject"]
    assert confirmation.get_body(preferencelist=("html",)) is not None

    confirmed = client.get(link_in(smtp.text(confirmation), "confirm"))
    assert confirmed.status_code == 200
    subscription = Subscription.objects.get()
    assert subscription.status == "subscribed"
    contact = subscription.contact
    assert consent_queries.consent_status(contact, channel="email", purpose="marketing") == (
        "granted"
    )

    with commit(execute=True):
        services.start_mailing(SYSTEM, newsletter, subject="News of May", body="**Hello** there")
    mailing = smtp.to("ana@example.com")[-1]
    assert mailing["Subject"] == "News of May"
    assert mailing["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe_url = "".join(str(mailing["List-Unsubscribe"]).split()).strip("<>")

    one_click = Client().post(
        path_of(unsubscribe_url),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert one_click.status_code == 200, (unsubscribe_url, one_click.content[:500])
    subscription.refresh_from_db()
    assert subscription.status == "unsubscribed"
    assert consent_queries.consent_status(contact, channel="email", purpose="marketing") == (
        "withdrawn"
    )
    assert consent_queries.is_suppressed("ana@example.com")


def test_confirmation_records_the_proof_with_the_message_id(smtp, newsletter, commit):
    client = Client()
    _subscribe(client, commit)
    (confirmation,) = smtp.to("ana@example.com")
    client.get(link_in(smtp.text(confirmation), "confirm"), HTTP_USER_AGENT="Firefox 130")
    contact = Subscription.objects.get().contact
    history = consent_queries.contact_consents(SYSTEM, contact.pk).history
    proof = history[0].proof
    assert proof["message_id"] == confirmation["Message-ID"]
    assert proof["user_agent"] == "Firefox 130"
    assert proof["page_url"] == "https://shop.example.com/blog"
    assert "newsletter" in proof["where"]


def test_every_sent_email_is_recorded_and_on_the_timeline(smtp, newsletter, commit):
    _subscribe(Client(), commit)
    sent = OutgoingEmail.objects.get()
    assert sent.status == "sent" and sent.message_id and sent.subject
    from kartoteka.activity.models import Activity

    assert Activity.objects.filter(contact_id=sent.contact_id, kind="email_sent").exists()


def test_a_confirmation_link_older_than_seven_days_has_expired(
    smtp, newsletter, commit, monkeypatch
):
    client = Client()
    _subscribe(client, commit)
    link = link_in(smtp.text(smtp.to("ana@example.com")[0]), "confirm")
    later = timezone.now() + dt.timedelta(days=7, minutes=1)
    monkeypatch.setattr("django.core.signing.time.time", lambda: later.timestamp())
    answer = client.get(link)
    assert answer.status_code == 404
    assert Subscription.objects.get().status == "pending"


def test_pending_subscriptions_expire_after_seven_days(smtp, newsletter, commit):
    _subscribe(Client(), commit)
    assert services.expire_pending(timezone.now() + dt.timedelta(days=6)) == 0
    assert services.expire_pending(timezone.now() + dt.timedelta(days=8)) == 1
    assert not Subscription.objects.exists()
