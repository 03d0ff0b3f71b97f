"""Fixtures of the accounts tests: signed-in clients of both roles."""

import pytest
from django.test import Client


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
