"""create_deals and create_resolved_deals: many deals written at once, each as create_deal
writes it."""

from decimal import Decimal

import pytest

from kartoteka.activity.models import Activity
from kartoteka.core.errors import InvalidInput
from kartoteka.deals.models import Deal, DealContact, StageMove
from kartoteka.deals.services import NewDeal, create_deals, create_resolved_deals
from tests.factories import make_contact, sales_pipeline

pytestmark = pytest.mark.django_db


def test_create_deals_writes_each_deal_with_its_contacts_first_move_and_timeline(admin):
    stages = dict(sales_pipeline().stages.values_list("key", "pk"))
    first, second, third = make_contact(), make_contact(), make_contact()
    deals = create_deals(
        admin,
        rows=[
            {"name": "Rollout", "amount": "900", "contacts": [first.pk, second.pk]},
            {
                "name": "Renewal",
                "amount": "300",
                "contacts": [third.pk],
                "primary_contact": third.pk,
                "stage": stages["won"],
            },
        ],
    )
    assert [(d.name, d.stage.key, d.status) for d in deals] == [
        ("Rollout", "new", "open"),
        ("Renewal", "won", "won"),
    ]
    assert set(DealContact.objects.values_list("deal__name", "contact_id", "is_primary")) == {
        ("Rollout", first.pk, True),
        ("Rollout", second.pk, False),
        ("Renewal", third.pk, True),
    }
    assert StageMove.objects.filter(deal__in=deals, from_stage__isnull=True).count() == 2
    assert Activity.objects.filter(kind="deal_created").count() == 3


def test_create_deals_with_one_bad_row_writes_none(admin):
    contact = make_contact()
    with pytest.raises(InvalidInput):
        create_deals(
            admin,
            rows=[{"name": "Good", "contacts": [contact.pk]}, {"name": "", "contacts": []}],
        )
    assert not Deal.objects.exists()


def test_create_resolved_deals_writes_them_as_create_deals_does(admin, sales):
    stages = {stage.key: stage for stage in sales_pipeline().stages.all()}
    client, lead = make_contact(status="won"), make_contact()
    deals = create_resolved_deals(
        admin,
        deals=[
            NewDeal("Won", Decimal("900.00"), sales, None, stages["won"], client.pk),
            NewDeal("Open", Decimal("50.00"), None, None, stages["proposal"], lead.pk),
        ],
    )
    assert [(d.name, d.stage.key, d.status, d.owner) for d in deals] == [
        ("Won", "won", "won", sales),
        ("Open", "proposal", "open", None),
    ]
    assert set(DealContact.objects.values_list("deal__name", "contact_id", "is_primary")) == {
        ("Won", client.pk, True),
        ("Open", lead.pk, True),
    }
    assert StageMove.objects.filter(deal__in=deals, from_stage__isnull=True).count() == 2
    assert Activity.objects.filter(kind="deal_created").count() == 2
