"""contacts.services.create_contacts_by_email: bare contacts for many addresses at once."""

import pytest

from kartoteka.activity.models import Activity
from kartoteka.contacts import services
from kartoteka.contacts.models import Contact
from kartoteka.core.errors import InvalidInput
from kartoteka.core.scope import SYSTEM
from tests.factories import make_contact

pytestmark = pytest.mark.django_db


def test_creates_each_new_address_once_and_leaves_held_ones_out():
    held = make_contact(email="held@example.com")
    created = services.create_contacts_by_email(
        SYSTEM,
        emails=["New.One@Example.com", "new.one@example.com", "HELD@example.com", "b@example.com"],
        source="api",
    )
    assert set(created) == {"new.one@example.com", "b@example.com"}
    fresh = Contact.objects.get(pk=created["new.one@example.com"])
    assert (fresh.email, fresh.source) == ("New.One@example.com", "api")
    assert Contact.objects.filter(emails__email_folded="held@example.com").get() == held
    assert Activity.objects.filter(kind="created", contact_id__in=created.values()).count() == 2


def test_a_bad_address_is_named_and_nothing_is_written():
    with pytest.raises(InvalidInput):
        services.create_contacts_by_email(
            SYSTEM, emails=["fine@example.com", "not an address"], source="api"
        )
    assert not Contact.objects.exists()
