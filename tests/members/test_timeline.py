"""The contact's timeline names what a member did in the members' area, and their groups, in
the reader's language."""

import pytest
from django.test import Client

from kartoteka.core.scope import SYSTEM
from kartoteka.members import services as members
from tests.members.conftest import make_member

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "Members&#x27; area"), ("es", "Área de socios"), ("pl", "Strefa członków")],
)
def test_a_members_own_change_shows_the_members_area_in_the_readers_language(
    admin, language, words
):
    member = make_member("ana@example.com")
    members.create_group(admin, name="Course A")
    members.set_membership(SYSTEM, member.contact, enabled=True, groups=["Course A"])
    members.update_own_details(member, data={"first_name": "Anna"})
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(admin)
    page = client.get(f"/contacts/{member.contact.pk}/timeline/").content.decode()
    assert words in page
    assert ">member<" not in page
    assert "Course A" in page
