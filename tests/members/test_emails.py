"""The invitation and the password reset arrive through a real SMTP server; their links set a
password once, in the member's language; the reset page says the same for any address."""

import re

import pytest
from django.test import Client

from kartoteka.activity.models import Activity
from kartoteka.consents import services as consent_services
from kartoteka.core.errors import InvalidInput
from kartoteka.core.scope import SYSTEM
from kartoteka.mailing.models import EmailKind, OutgoingEmail
from kartoteka.members import services
from tests.factories import make_contact
from tests.members.conftest import PASSWORD
from tests.members.helpers import signed_in

NEW = "a much newer secret"


def _link(inbox, address: str) -> str:
    messages = inbox.to(address)
    assert messages, f"no e-mail to {address}"
    found = re.search(r"https?://\S+(/members/password/\S+)", inbox.text(messages[-1]))
    assert found
    return found.group(1)


def test_an_invited_contact_sets_a_password_and_signs_in(admin_api, smtp, commit):
    contact = make_contact(email="nuria@example.com", first_name="Nuria")
    with commit(execute=True):
        response = admin_api.post(
            f"/api/v1/contacts/{contact.pk}/membership",
            {"enabled": True, "invite": True, "language": "es"},
        )
    assert response.status_code == 200, response.content
    assert response.json()["enabled"] is True
    message = smtp.to("nuria@example.com")[-1]
    assert "área de socios" in str(message["Subject"])
    assert "Hola, Nuria" in smtp.text(message)
    link = _link(smtp, "nuria@example.com")
    # Recorded like every e-mail, and on the timeline.
    sent = OutgoingEmail.objects.get(contact=contact, kind=EmailKind.MEMBER)
    assert sent.status == "sent"
    assert Activity.objects.filter(contact=contact, kind="email_sent").exists()
    assert Activity.objects.filter(contact=contact, kind="member_enabled").exists()

    client = Client()
    assert client.get(link).status_code == 200
    differ = client.post(link, {"password": NEW, "password_confirm": "other"})
    assert differ.status_code == 422
    short = client.post(link, {"password": "abc", "password_confirm": "abc"})
    assert short.status_code == 422
    done = client.post(link, {"password": NEW, "password_confirm": NEW})
    assert done.status_code == 302
    assert b"Hello" in client.get("/members/").content or b"Hola" in client.get("/members/").content
    # The link works once.
    assert Client().get(link).status_code == 404
    assert signed_in("nuria@example.com", NEW)


def test_a_password_reset_by_email(member, smtp, commit):
    answers = []
    for address in (member.contact.email, "nobody@example.com"):
        with commit(execute=True):
            response = Client().post("/members/reset/", {"email": address})
        answers.append((response.status_code, response.content.count(b"flash-success")))
    assert answers[0] == answers[1] == (200, 1)
    assert not smtp.to("nobody@example.com")
    link = _link(smtp, member.contact.email)
    client = Client()
    assert client.post(link, {"password": NEW, "password_confirm": NEW}).status_code == 302
    refused = Client().post("/members/", {"email": member.contact.email, "password": PASSWORD})
    assert refused.status_code == 422
    assert signed_in(member.contact.email, NEW)
    assert Client().get(link).status_code == 404


def test_a_blocked_member_gets_no_reset_email(member, smtp, commit):
    consent_services.block_contact(SYSTEM, member.contact, blocked=True, reason="abuse")
    with commit(execute=True):
        response = Client().post("/members/reset/", {"email": member.contact.email})
    assert response.status_code == 200
    assert not smtp.to(member.contact.email)


def test_a_changed_or_foreign_link_is_refused(member):
    assert Client().get("/members/password/nonsense").status_code == 404
    token = "x" * 600
    assert Client().get(f"/members/password/{token}").status_code == 404


def test_a_blocked_contact_is_not_invited(admin, db):
    contact = make_contact(email="b@example.com")
    consent_services.block_contact(SYSTEM, contact, blocked=True, reason="abuse")
    with pytest.raises(InvalidInput) as refused:
        services.set_membership(admin, contact, enabled=True, invite=True)
    assert "invite" in refused.value.errors
    assert not OutgoingEmail.objects.filter(contact=contact).exists()
