"""visible_contacts decides who sees which contact."""

import pytest
from django.contrib.auth.models import AnonymousUser

from kartoteka.core.scope import can_see_contact, visible_contacts
from tests.factories import make_contact

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
    assert not visible_contacts(None).exists()
    assert not can_see_contact(sales, contact.pk)
