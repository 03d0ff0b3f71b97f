"""Fixtures of mailing tests: lists, and a real SMTP server in the test process."""

import email
import email.policy
import socket

import pytest
from aiosmtpd.controller import Controller
from django.test import override_settings

from kartoteka.core.scope import SYSTEM
from kartoteka.mailing import services


class Inbox:
    """What the SMTP server received: parsed messages, in order."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.messages if address in str(m["To"])]

    @staticmethod
    def text(message) -> str:
        return message.get_body(preferencelist=("plain",)).get_content()


@pytest.fixture
def smtp(_smtp_server):
    """A running SMTP server on 127.0.0.1 that the e-mail settings point at."""
    inbox, port = _smtp_server
    inbox.messages.clear()
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=port,
        EMAIL_USE_TLS=False,
        EMAIL_USE_SSL=False,
        EMAIL_HOST_USER="",
        EMAIL_HOST_PASSWORD="",
        KARTOTEKA_PUBLIC_URL="http://testserver",
    ):
        yield inbox


@pytest.fixture(scope="session")
def _smtp_server():
    inbox = Inbox()
    with socket.socket() as probe:  # a free port (the controller checks it can connect)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
def newsletter(db):
    return services.create_list(
        SYSTEM,
        data={"key": "newsletter", "name": "Newsletter", "language": "en", "double_opt_in": True},
    )


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """`with commit(execute=True):` runs what the block left for after the commit (the
    tasks it enqueued) as the block ends, as a real commit would."""
    return django_capture_on_commit_callbacks
