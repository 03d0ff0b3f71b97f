"""The eCommerce totals as list columns (shown, sorted, contacts without totals last) and as
export columns."""

import pytest
from django.test import Client

from kartoteka.commerce import services
from kartoteka.contacts.models import Contact
from kartoteka.core.scope import SYSTEM
from kartoteka.transfer import queries as transfer
from tests.commerce.conftest import purchase
from tests.factories import make_contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def three():
    rich = make_contact(last_name="Rich")
    modest = make_contact(last_name="Modest")
    none = make_contact(last_name="Nobuy")
    services.record_events(
        SYSTEM, [purchase(rich, value="900.00"), purchase(modest, value="15.50")]
    )
    return rich, modest, none


def test_list_shows_and_sorts_by_total_value_with_empty_ones_last(admin, three):
    rich, modest, none = three
    admin.preferences = {"list_columns": ["name", "ecommerce.total_value"]}
    admin.save()
    client = Client()
    client.force_login(admin)
    page = client.get("/contacts/", {"sort": "-ecommerce.total_value"}).content.decode()
    assert "900.00" in page or "900,00" in page
    assert page.index("Rich") < page.index("Modest") < page.index("Nobuy")


def test_export_has_the_totals_columns(three):
    rich, modest, none = three
    assert "ecommerce.total_value" in transfer.export_columns()
    rows = list(
        transfer.export_rows(
            Contact.objects.filter(pk__in=[rich.pk, none.pk]),
            ["email", "ecommerce.total_value", "ecommerce.transactions"],
        )
    )
    assert [str(rows[0][1]), rows[0][2]] == ["900.00", 1]
    assert rows[1][1:] == [None, None]
