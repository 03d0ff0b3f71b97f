"""Fixtures of the activity tests: a private storage folder and a contact owned by `sales`."""

import pytest

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
