import pytest

from kartoteka.activity.models import Activity
from kartoteka.contacts import services
from kartoteka.core.errors import Conflict
from tests.factories import make_contact


@pytest.mark.django_db
def test_create_contact_records_one_created_entry_naming_its_tags(admin):
    contact = make_contact(admin, email="Ana.Garcia@Example.COM", tags=["vip"])
    assert contact.email == "Ana.Garcia@example.com"
    entries = list(Activity.objects.filter(contact=contact).values_list("kind", "payload"))
    assert [kind for kind, _payload in entries] == ["created"]
    assert entries[0][1]["tags"] == ["vip"]


@pytest.mark.django_db
def test_email_taken_case_insensitively_is_a_conflict(admin):
    make_contact(admin, email="ana@example.com")
    with pytest.raises(Conflict):
        make_contact(admin, email="ANA@example.com")


@pytest.mark.django_db
def test_update_records_old_and_new(admin):
    contact = make_contact(admin, first_name="Ana")
    services.update_contact(admin, contact, data={"first_name": "Anna", "status": "won"})
    updated = Activity.objects.get(contact=contact, kind="updated")
    assert updated.payload["changes"] == [{"field": "first_name", "old": "Ana", "new": "Anna"}]
    assert Activity.objects.filter(contact=contact, kind="status_changed").exists()
