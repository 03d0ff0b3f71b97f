"""Fixtures of the activity tests: a private storage folder and a contact owned by `sales`."""

import pytest
from django.test import Client

from kartoteka.activity import timeline
from tests.factories import make_contact


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "files"


@pytest.fixture
def contact(sales):
    return make_contact(owners=[sales], first_name="Marta", last_name="Nowak")


@pytest.fixture
def others_contact(other_sales):
    return make_contact(owners=[other_sales], first_name="Pablo", last_name="Ruiz")


@pytest.fixture
def sales_client(sales):
    client = Client()
    client.force_login(sales)
    return client


@pytest.fixture
def registry(monkeypatch):
    """The timeline registry as the installed apps left it; kinds a test registers go away
    after it."""
    monkeypatch.setattr(timeline, "_kinds", dict(timeline._kinds))
    return timeline
