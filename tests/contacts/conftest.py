"""Fixtures of the contacts tests: signed-in clients and contacts owned by each sales user."""

import pytest
from django.test import Client

from tests.factories import make_contact


@pytest.fixture
def sales_client(sales):
    client = Client()
    client.force_login(sales)
    return client


@pytest.fixture
def admin_client(admin):
    client = Client()
    client.force_login(admin)
    return client


@pytest.fixture
def contact(sales):
    return make_contact(owners=[sales], first_name="Marta", last_name="Nowak", company="Acme")


@pytest.fixture
def others_contact(other_sales):
    return make_contact(owners=[other_sales], first_name="Pablo", last_name="Ruiz")
