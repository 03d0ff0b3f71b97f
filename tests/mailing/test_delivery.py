"""Delivery: a refused send is retried, then recorded as failed on the contact's timeline."""

from django.test import override_settings

from kartoteka.activity.models import Activity
from kartoteka.core.scope import SYSTEM
from kartoteka.mailing import services
from kartoteka.mailing.models import OutgoingEmail
from tests.factories import make_contact


def _closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_server_that_refuses_is_retried_then_recorded_as_failed(newsletter, commit):
    contact = make_contact()
    with (
        override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=_closed_port(),
            EMAIL_TIMEOUT=2,
        ),
        commit(execute=True),
    ):
        services.subscribe_contacts(
            SYSTEM, newsletter, contact_ids=[contact.pk], double_opt_in=True
        )
    email = OutgoingEmail.objects.get()
    assert (email.status, email.attempts) == ("failed", services.MAX_ATTEMPTS)
    assert email.error
    assert Activity.objects.filter(contact=contact, kind="email_failed").exists()


def test_a_sent_email_records_what_was_sent(newsletter, commit, mailoutbox):
    contact = make_contact(first_name="Ana")
    with commit(execute=True):
        services.subscribe_contacts(
            SYSTEM, newsletter, contact_ids=[contact.pk], double_opt_in=True
        )
    email = OutgoingEmail.objects.get()
    (sent,) = mailoutbox
    assert email.status == "sent" and email.subject == sent.subject
    assert "Hello Ana" in email.body_text
    assert sent.extra_headers["Message-ID"] == email.message_id
