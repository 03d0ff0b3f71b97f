"""The contact filters deals add: open deal in a pipeline, deal in a stage or of a status, deal
amount, deal won in the last N days, and their text form (deal:open deal-stage:"...")."""

import datetime as dt

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kartoteka.deals import services
from kartoteka.deals.models import Deal
from kartoteka.segments.listing import Describer
from kartoteka.segments.queries import filter_contacts
from kartoteka.segments.text import parse
from tests.factories import make_contact, make_deal, sales_pipeline

pytestmark = pytest.mark.django_db


def _stage(key):
    return sales_pipeline().stages.get(key=key)


def _matching(actor, document) -> set[int]:
    return set(filter_contacts(actor, document).values_list("pk", flat=True))


@pytest.fixture
def people(admin):
    proposing, winning, nobody = make_contact(), make_contact(), make_contact()
    make_deal(contacts=[proposing], amount="5000", stage=_stage("proposal").pk)
    won = make_deal(contacts=[winning], amount="200")
    services.move_deal(admin, won, stage=_stage("won").pk)
    return {"proposing": proposing, "winning": winning, "nobody": nobody}


def test_text_form_of_open_deal_in_a_stage_compiles_to_the_fields(admin, people):
    document = parse('deal:open deal-stage:"Send proposal"')
    assert document == {
        "all": [
            {"field": "deals.status", "op": "has_any", "value": ["open"]},
            {"field": "deals.stage", "op": "has_any", "value": [str(_stage("proposal").pk)]},
        ]
    }
    assert _matching(admin, document) == {people["proposing"].pk}


def test_open_deal_in_pipeline_matches_only_contacts_with_an_open_one(admin, people):
    document = {
        "field": "deals.open_in_pipeline",
        "op": "has_any",
        "value": [str(sales_pipeline().pk)],
    }
    assert _matching(admin, document) == {people["proposing"].pk}


def test_no_open_deal_is_the_exact_complement(admin, people):
    document = {"not": {"field": "deals.open_in_pipeline", "op": "is_not_empty"}}
    assert _matching(admin, document) == {people["winning"].pk, people["nobody"].pk}


def test_deal_amount_compares_any_deal_of_the_contact(admin, people):
    document = {"field": "deals.amount", "op": "gte", "value": 1000}
    assert _matching(admin, document) == {people["proposing"].pk}


def test_won_in_the_last_days_leaves_out_older_wins(admin, people):
    assert _matching(admin, parse("deal-won:30")) == {people["winning"].pk}
    Deal.objects.filter(status="won").update(closed_at=timezone.now() - dt.timedelta(days=40))
    assert _matching(admin, parse("deal-won:30")) == set()


def test_deal_owner_matches_contacts_in_a_deal_that_user_owns(admin, sales, people):
    theirs = make_contact()
    make_deal(contacts=[theirs], owner=sales)
    assert _matching(admin, parse("deal-owner:" + sales.username)) == {theirs.pk}
    document = {"field": "deals.owner", "op": "has_any", "value": [sales.username]}
    assert _matching(admin, document) == {theirs.pk}
    # Nobody by that name: no contact, no error.
    assert _matching(admin, parse("deal-owner:nobody-here")) == set()
    # The complement: every other contact, those in no deal too.
    negated = {"not": document}
    assert theirs.pk not in _matching(admin, negated)
    assert people["nobody"].pk in _matching(admin, negated)


def test_deal_owner_combines_with_an_open_deal_in_the_text_form(admin, sales, people):
    open_one, closed_one = make_contact(), make_contact()
    make_deal(contacts=[open_one], owner=sales)
    won = make_deal(contacts=[closed_one], owner=sales)
    services.move_deal(admin, won, stage=_stage("won").pk)
    assert _matching(admin, parse(f"deal:open deal-owner:{sales.username}")) == {open_one.pk}


@pytest.mark.parametrize("language", ["en", "es", "pl"])
def test_a_deal_owner_reads_as_their_name_on_the_chips(sales, language):
    sales.first_name, sales.last_name = "Sergio", "Ruiz"
    sales.save()
    condition = {"field": "deals.owner", "op": "has_any", "value": [sales.username]}
    with translation.override(language):
        text = Describer().text(condition)
        assert text.startswith(str(_("Deal owner")))
    assert text.endswith("Sergio Ruiz") and sales.username not in text
