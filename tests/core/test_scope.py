"""visible_contacts decides who sees which contact."""

import pytest
from django.contrib.auth.models import AnonymousUser

from kartoteka.contacts.models import Contact
from kartoteka.core.scope import (
    SYSTEM,
    can_see_contact,
    is_admin,
    system_label,
    user_or_none,
    visible_contact_condition,
    visible_contact_ids,
    visible_contacts,
)
from tests.factories import UserFactory, make_contact

pytestmark = pytest.mark.django_db


def test_admin_sees_every_contact(admin, sales):
    make_contact(admin, owners=[sales])
    make_contact(admin)
    assert visible_contacts(admin).count() == 2


def test_sales_user_sees_only_owned_contacts(admin, sales, other_sales):
    mine = make_contact(admin, owners=[sales, other_sales])
    make_contact(admin, owners=[other_sales])
    assert list(visible_contacts(sales)) == [mine]


def test_anonymous_and_inactive_users_see_nothing(admin, sales):
    contact = make_contact(admin, owners=[sales])
    sales.is_active = False
    assert not visible_contacts(sales).exists()
    assert not visible_contacts(AnonymousUser()).exists()
    assert not can_see_contact(sales, contact.pk)


def test_the_system_actor_sees_every_contact(admin, sales):
    make_contact(admin, owners=[sales])
    make_contact(admin)
    assert visible_contacts(SYSTEM).count() == 2
    assert is_admin(SYSTEM)


def test_none_is_refused_as_an_actor(admin):
    contact = make_contact(admin)
    for check in (visible_contacts, is_admin, user_or_none, system_label):
        with pytest.raises(TypeError):
            check(None)
    with pytest.raises(TypeError):
        can_see_contact(None, contact.pk)


def test_the_system_actor_is_stored_as_no_user(admin):
    assert user_or_none(SYSTEM) is None
    assert user_or_none(admin) == admin
    assert system_label(SYSTEM) == "system"
    assert system_label(admin) == ""


def test_the_contact_condition_admits_the_contacts_visible_contacts_holds(admin, sales):
    make_contact(admin, owners=[sales])
    make_contact(admin)
    inactive = UserFactory(username="gone", role="sales", is_active=False)
    for actor in (SYSTEM, admin, sales, inactive, AnonymousUser()):
        by_condition = Contact.objects.filter(visible_contact_condition(actor, outer_ref="pk"))
        assert set(by_condition) == set(visible_contacts(actor)), actor


def test_the_contact_ids_are_those_visible_contacts_holds(admin, sales, other_sales):
    make_contact(admin, owners=[sales, other_sales])
    make_contact(admin, owners=[other_sales])
    make_contact(admin)
    inactive = UserFactory(username="gone", role="sales", is_active=False)
    for actor in (SYSTEM, admin, sales, inactive, AnonymousUser()):
        ids = set(visible_contact_ids(actor))
        assert ids == set(visible_contacts(actor).values_list("pk", flat=True)), actor
