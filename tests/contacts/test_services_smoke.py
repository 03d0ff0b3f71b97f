import pytest

from kartoteka.activity.models import Activity
from kartoteka.contacts import services
from kartoteka.core.errors import Conflict
from tests.factories import make_contact


@pytest.mark.django_db
def test_create_contact_records_created_entry(admin):
    contact = make_contact(admin, email="Ana.Garcia@Example.COM", tags=["vip"])
    assert contact.email == "Ana.Garcia@example.com"
    kinds = list(Activity.objects.filter(contact=contact).values_list("kind", flat=True))
    assert set(kinds) == {"created", "tag_added"}


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
