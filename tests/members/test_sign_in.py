"""Members sign in at /members/ apart from the team: throttled per account and per address,
refused when blocked, never reaching a page of the team or another member's data."""

import io
import json
import zipfile

from django.test import Client, override_settings

from kartoteka.consents import services as consent_services
from kartoteka.core.scope import SYSTEM
from kartoteka.members import views
from kartoteka.members.models import Member
from tests.members.conftest import PASSWORD, make_member
from tests.members.helpers import signed_in


def test_a_member_signs_in_and_sees_their_page(member):
    client = signed_in(member.contact.email)
    page = client.get("/members/")
    assert page.status_code == 200
    assert b"Hello, Ana" in page.content
    assert b"Sign in with your e-mail" not in page.content
    member.refresh_from_db()
    assert member.last_sign_in_at is not None


def test_a_wrong_password_and_an_unknown_address_get_the_same_answer(member):
    wrong = Client().post("/members/", {"email": member.contact.email, "password": "nope"})
    unknown = Client().post("/members/", {"email": "who@example.com", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 422
    assert b"The e-mail or the password is wrong." in wrong.content
    assert wrong.content.count(b"wrong") == unknown.content.count(b"wrong")


@override_settings(KARTOTEKA_SIGN_IN_FAILURE_LIMIT=3)
def test_sign_in_is_throttled_per_account_across_addresses(member):
    for n in range(3):
        response = Client(REMOTE_ADDR=f"10.0.0.{n + 1}").post(
            "/members/", {"email": member.contact.email.upper(), "password": "nope"}
        )
        assert response.status_code == 422
    locked = Client(REMOTE_ADDR="10.0.0.9").post(
        "/members/", {"email": member.contact.email, "password": PASSWORD}
    )
    assert locked.status_code == 429
    assert b"Too many failed sign-ins" in locked.content
    # Another member signs in from anywhere.
    other = make_member("bea@example.com")
    assert signed_in(other.contact.email, REMOTE_ADDR="10.0.0.9")


@override_settings(KARTOTEKA_SIGN_IN_FAILURE_LIMIT=3)
def test_sign_in_is_throttled_per_address_across_accounts(member):
    for n in range(3):
        Client(REMOTE_ADDR="10.1.1.1").post(
            "/members/", {"email": f"guess{n}@example.com", "password": "nope"}
        )
    locked = Client(REMOTE_ADDR="10.1.1.1").post(
        "/members/", {"email": member.contact.email, "password": PASSWORD}
    )
    assert locked.status_code == 429
    assert signed_in(member.contact.email, REMOTE_ADDR="10.1.1.2")


def test_a_blocked_member_cannot_sign_in_and_their_session_ends(member):
    client = signed_in(member.contact.email)
    consent_services.block_contact(SYSTEM, member.contact, blocked=True, reason="abuse")
    assert client.get("/members/").status_code == 200
    assert b"Sign in with your e-mail" in client.get("/members/").content
    refused = Client().post("/members/", {"email": member.contact.email, "password": PASSWORD})
    assert refused.status_code == 422
    assert b"The e-mail or the password is wrong." in refused.content


def test_a_member_never_reaches_the_team_pages(member, admin):
    client = signed_in(member.contact.email)
    for path in ("/contacts/", f"/contacts/{member.contact.pk}/", "/settings/members/"):
        response = client.get(path)
        assert response.status_code in (302, 404), path
        if response.status_code == 302:
            assert "/login" in response["Location"], path
    posted = client.post(
        f"/contacts/{member.contact.pk}/membership/", {"enabled": "on", "invite": "on"}
    )
    assert posted.status_code == 302 and "/login" in posted["Location"]
    assert client.get("/api/v1/contacts").status_code == 401


def test_a_member_downloads_only_their_own_data(member):
    other = make_member("bea@example.com", first_name="Bea")
    client = signed_in(member.contact.email)
    response = client.get("/members/data.zip")
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        document = json.loads(archive.read("data.json"))
    assert document["contact"]["id"] == member.contact.pk
    text = json.dumps(document)
    assert "bea@example.com" not in text
    assert "Member" in " ".join(document["records"]) or "members.Member" in document["records"]
    assert member.credential.password not in text  # never the password hash
    assert other.pk != member.pk


def test_a_session_cannot_be_pointed_at_another_member(member):
    other = make_member("bea@example.com")
    client = signed_in(member.contact.email)
    session = client.session
    session[views.SESSION_KEY] = [other.pk, session[views.SESSION_KEY][1]]
    session.save()
    assert b"Sign in with your e-mail" in client.get("/members/").content
    assert client.get("/members/data.zip").status_code == 302


def test_the_team_session_does_not_open_the_members_area(admin, member):
    client = Client()
    client.force_login(admin)
    assert b"Sign in with your e-mail" in client.get("/members/").content


def test_a_disabled_member_is_signed_out(member):
    client = signed_in(member.contact.email)
    Member.objects.filter(pk=member.pk).update(enabled=False)
    assert b"Sign in with your e-mail" in client.get("/members/").content


def test_bad_input_on_sign_in_is_a_clear_answer_not_an_error(db):
    for data in (
        {},
        {"email": "x" * 5000, "password": "y"},
        {"email": "a@b.c", "password": "\x00"},
    ):
        response = Client().post("/members/", data)
        assert response.status_code == 422
