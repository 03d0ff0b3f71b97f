"""The data export names what it stores by code with the words a person reads beside it: a
member group by its name, an actor label, an entry kind and a choice in the reader's language."""

from django.utils import translation

from kartoteka.core.scope import SYSTEM
from kartoteka.members import services as members
from kartoteka.privacy.queries import contact_data
from tests.factories import UserFactory, make_contact, make_deal, sales_pipeline
from tests.members.conftest import make_member


def _document(admin, contact, language="es"):
    with translation.override(language):
        return contact_data(admin, contact.pk).document


def test_member_groups_appear_by_name(admin):
    member = make_member("ana@example.com")
    members.create_group(admin, name="Course A")
    members.set_membership(SYSTEM, member.contact, enabled=True, groups=["Course A"])
    rows = _document(admin, member.contact)["records"]["members.GroupMembership"]
    assert [row["group_name"] for row in rows] == ["Course A"]


def test_a_change_the_member_made_names_the_members_area_in_the_readers_language(admin):
    member = make_member("ana@example.com")
    members.update_own_details(member, data={"first_name": "Anna"})
    entries = _document(admin, member.contact)["records"]["activity.Activity"]
    edited = [e for e in entries if e["kind"] == "updated"]
    assert edited and edited[0]["actor_label"] == "Área de socios"
    assert edited[0]["kind_label"] == "Editado"


def test_a_choice_is_exported_with_its_label(admin):
    member = make_member("ana@example.com")
    with translation.override("pl"):
        contact = contact_data(admin, member.contact.pk).document["contact"]
    assert contact["source"] == "manual"
    assert contact["source_label"] == "Ręcznie"


def test_who_may_see_a_deal_stays_out_of_the_export_and_the_deal_link_is_in(admin):
    sales_pipeline()
    sergio = UserFactory(username="sergio")
    contact = make_contact(owners=[sergio])
    make_deal(contacts=[contact], name="Madrid office")
    records = _document(admin, contact)["records"]
    assert "deals.DealViewer" not in records  # computed from owners and links, not the person's
    assert len(records["deals.DealContact"]) == 1
