"""The API: an admin's membership of a contact; a website's member session and /members/me."""

import datetime as dt

from django.test import Client, override_settings
from django.utils import timezone

from kartoteka.consents import services as consent_services
from kartoteka.core.scope import SYSTEM
from kartoteka.members import services
from kartoteka.members.models import MemberToken
from tests.factories import make_contact
from tests.members.conftest import PASSWORD


def _session(email, password=PASSWORD, **extra):
    return Client(**extra).post(
        "/api/v1/members/sessions",
        {"email": email, "password": password},
        content_type="application/json",
    )


def test_membership_with_groups(admin_api, admin):
    services.create_group(admin, name="Course A")
    services.create_group(admin, name="Course B")
    contact = make_contact(email="carla@example.com")
    url = f"/api/v1/contacts/{contact.pk}/membership"
    assert admin_api.get(url).json()["enabled"] is False
    response = admin_api.post(url, {"enabled": True, "groups": ["course a"]})
    assert response.status_code == 200
    assert response.json()["groups"] == ["Course A"]
    assert response.json()["member_since"]
    changed = admin_api.post(url, {"enabled": True, "groups": ["Course B", "Course A"]})
    assert changed.json()["groups"] == ["Course A", "Course B"]
    unknown = admin_api.post(url, {"enabled": True, "groups": ["Course Z"]})
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "groups"
    ended = admin_api.post(url, {"enabled": False})
    assert ended.json()["enabled"] is False


def test_membership_is_for_admins_and_the_contact_must_be_seen(sales_api, admin_api, sales):
    mine = make_contact(email="mine@example.com", owners=[sales.username])
    theirs = make_contact(email="theirs@example.com")
    forbidden = sales_api.post(f"/api/v1/contacts/{mine.pk}/membership", {"enabled": True})
    assert forbidden.status_code == 403
    hidden = sales_api.post(f"/api/v1/contacts/{theirs.pk}/membership", {"enabled": True})
    assert hidden.status_code == 404


def test_a_website_checks_a_member(admin, member):
    group = services.create_group(admin, name="Course A")
    services.set_membership(admin, member.contact, enabled=True, groups=[group.name])
    response = _session(member.contact.email.upper())
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["groups"] == ["Course A"]
    me = Client(HTTP_AUTHORIZATION=f"Bearer {body['token']}").get("/api/v1/members/me")
    assert me.status_code == 200
    assert me.json()["email"] == member.contact.email
    assert me.json()["groups"] == ["Course A"]
    # The member's token opens nothing of the team's.
    staff = Client(HTTP_AUTHORIZATION=f"Bearer {body['token']}").get("/api/v1/contacts")
    assert staff.status_code == 401


def test_a_staff_token_is_not_a_member_token(admin_api):
    assert admin_api.get("/api/v1/members/me").status_code == 401


def test_tokens_expire_and_end_with_the_membership(admin, member):
    token = _session(member.contact.email).json()["token"]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get("/api/v1/members/me").status_code == 200
    MemberToken.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert client.get("/api/v1/members/me").status_code == 401
    token = _session(member.contact.email).json()["token"]
    services.set_membership(admin, member.contact, enabled=False)
    assert Client(HTTP_AUTHORIZATION=f"Bearer {token}").get("/api/v1/members/me").status_code == 401


def test_wrong_or_blocked_sessions_are_refused_alike(member):
    assert _session(member.contact.email, "wrong").status_code == 401
    assert _session("nobody@example.com").status_code == 401
    consent_services.block_contact(SYSTEM, member.contact, blocked=True, reason="abuse")
    assert _session(member.contact.email).status_code == 401


@override_settings(KARTOTEKA_SIGN_IN_FAILURE_LIMIT=3)
def test_api_sessions_are_throttled(member):
    for n in range(3):
        assert _session(member.contact.email, "wrong", REMOTE_ADDR=f"10.2.0.{n}").status_code == 401
    locked = _session(member.contact.email, REMOTE_ADDR="10.2.0.9")
    assert locked.status_code == 429
    assert locked["Retry-After"]


def test_bad_bodies_are_422(db):
    for body in ({}, {"email": 1, "password": 2}, {"email": "a" * 300, "password": "x"}):
        response = Client().post("/api/v1/members/sessions", body, content_type="application/json")
        assert response.status_code == 422
