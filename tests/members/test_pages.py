"""The member's own page (details, preferences, forget), the card's section and Settings →
Members, and the list form that registers members."""

import re

from django.test import Client

from kartoteka.activity.models import Activity, Task
from kartoteka.consents import queries as consent_queries
from kartoteka.contacts.models import Contact
from kartoteka.core.scope import SYSTEM
from kartoteka.mailing import services as mailing_services
from kartoteka.mailing.models import Subscription
from kartoteka.members import services
from kartoteka.members.models import Member, MemberGroup
from tests.mailing.helpers import grant
from tests.members.helpers import signed_in


def test_a_member_edits_their_details(member):
    client = signed_in(member.contact.email)
    response = client.post(
        "/members/details/",
        {
            "first_name": "Ana María",
            "last_name": "García",
            "phone": "+34 600 100 200",
            "street": "Calle Mayor 1",
            "city": "Madrid",
            "postal_code": "28001",
            "country": "es",
        },
    )
    assert response.status_code == 302
    contact = Contact.objects.get(pk=member.contact.pk)
    assert (contact.first_name, contact.city, contact.country) == ("Ana María", "Madrid", "ES")
    assert Activity.objects.filter(contact=contact, kind="updated", actor_label="member").exists()
    bad = client.post("/members/details/", {"first_name": "A", "country": "Narnia"})
    assert bad.status_code == 422
    assert b'aria-invalid="true"' in bad.content


def test_a_member_manages_lists_and_channels(member, newsletter):
    grant(member.contact)
    mailing_services.subscribe_contacts(SYSTEM, newsletter, contact_ids=[member.contact.pk])
    client = signed_in(member.contact.email)
    assert b"Newsletter" in client.get("/members/").content
    client.post("/members/preferences/", {"channel_email": "on"})
    assert Subscription.objects.get(contact=member.contact).status == "unsubscribed"
    client.post("/members/preferences/", {})
    state = consent_queries.consent_status(member.contact, channel="email", purpose="marketing")
    assert state == "withdrawn"


def test_forget_request_makes_a_task_for_admins(member, admin):
    client = signed_in(member.contact.email)
    assert client.post("/members/forget/", {}).status_code == 302
    assert not Task.objects.exists()
    client.post("/members/forget/", {"confirm": "on"})
    task = Task.objects.get()
    assert list(task.assignees.all()) == [admin]
    assert Activity.objects.filter(contact=member.contact, kind="member_forget_requested").exists()


def test_forget_at_once_after_confirming_by_email(member, admin, smtp, commit):
    services.save_settings(admin, self_forget=True, registering_list_ids=[])
    client = signed_in(member.contact.email)
    with commit(execute=True):
        client.post("/members/forget/", {"confirm": "on"})
    text = smtp.text(smtp.to(member.contact.email)[-1])
    link = re.search(r"https?://\S+(/members/forget/\S+)", text).group(1)
    assert Client().get(link).status_code == 200
    assert Contact.objects.filter(pk=member.contact.pk).exists()
    done = Client().post(link)
    assert done.status_code == 200
    assert not Contact.objects.filter(pk=member.contact.pk).exists()
    assert not Member.objects.exists()
    assert Client().post(link).status_code == 404


def test_a_list_form_registers_members(admin, newsletter, smtp, commit):
    newsletter.double_opt_in = False
    newsletter.save()
    services.save_settings(admin, self_forget=False, registering_list_ids=[newsletter.pk])
    with commit(execute=True):
        Client().post(
            "/subscribe/newsletter",
            {"email": "new@example.com", "first_name": "Neo", "consent": "on"},
        )
    member = Member.objects.get(contact__emails__email="new@example.com")
    assert member.enabled
    assert any("/members/password/" in smtp.text(m) for m in smtp.to("new@example.com"))


def test_the_card_section_and_its_form(admin, member):
    services.create_group(admin, name="Course A")
    client = Client()
    client.force_login(admin)
    card = client.get(f"/contacts/{member.contact.pk}/")
    assert card.status_code == 200
    response = client.post(
        f"/contacts/{member.contact.pk}/membership/",
        {"enabled": "on", "groups": ["Course A"]},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert b"Course A" in response.content and b"Member since" in response.content
    unknown = client.post(
        f"/contacts/{member.contact.pk}/membership/",
        {"enabled": "on", "groups": ["Nope"]},
        HTTP_HX_REQUEST="true",
    )
    assert unknown.status_code == 422
    assert b"Nope" in unknown.content


def test_the_settings_page(admin, sales, member):
    client = Client()
    client.force_login(admin)
    assert client.get("/settings/members/").status_code == 200
    assert (
        client.post("/settings/members/", {"action": "create", "name": "Course A"}).status_code
        == 302
    )
    dup = client.post("/settings/members/", {"action": "create", "name": "course a"})
    assert dup.status_code == 422
    group = MemberGroup.objects.get()
    client.post("/settings/members/", {"action": "rename", "group": group.pk, "name": "Course B"})
    client.post(
        "/settings/members/",
        {"action": "assign", "group": group.pk, "members": [member.contact.pk]},
    )
    assert services.group_names(member.contact) == ["Course B"]
    assert (
        client.post("/settings/members/", {"action": "delete", "group": group.pk}).status_code
        == 302
    )
    assert not MemberGroup.objects.exists()
    assert client.post("/settings/members/", {"action": "rename", "group": "x"}).status_code == 404
    seller = Client()
    seller.force_login(sales)
    assert seller.get("/settings/members/").status_code == 404


def test_the_area_speaks_the_visitors_language(member):
    for language, words in (("es", "Área de socios"), ("pl", "Strefa członków")):
        page = Client(HTTP_ACCEPT_LANGUAGE=language).get("/members/")
        assert words.encode() in page.content


def test_changing_the_password_keeps_this_session_and_ends_others(member):
    here = signed_in(member.contact.email)
    elsewhere = signed_in(member.contact.email)
    wrong = here.post(
        "/members/change-password/",
        {"current_password": "nope", "password": "x" * 12, "password_confirm": "x" * 12},
    )
    assert wrong.status_code == 422
    done = here.post(
        "/members/change-password/",
        {
            "current_password": "correct horse battery",
            "password": "another long secret",
            "password_confirm": "another long secret",
        },
    )
    assert done.status_code == 302
    assert b"Sign in with your e-mail" not in here.get("/members/").content
    assert b"Sign in with your e-mail" in elsewhere.get("/members/").content
