"""The demo's contacts: drawn cheaply from pools, the same from the seed in any process and
any batch order, and as varied as Faker's."""

import random

import phonenumbers
import pytest
from django.utils import timezone

from kartoteka.accounts.models import User
from kartoteka.contacts import demo
from kartoteka.contacts.models import Contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def drawing():
    admin = User.objects.create(username="demo-admin", role="admin")
    return demo._drawing(demo._definitions(admin), timezone.now())


def _emails(rows):
    return [row.new.cleaned["email"] for row in rows]


def test_a_batch_is_drawn_the_same_every_time_and_alone(drawing):
    again = demo._drawing(demo._definitions(User.objects.get(username="demo-admin")), drawing.now)
    whole = demo.draw_batch(drawing, 0, 1000)
    assert _emails(demo.draw_batch(again, 0, 1000)) == _emails(whole)
    assert [r.new.cleaned for r in demo.draw_batch(again, 0, 1000)] == [
        r.new.cleaned for r in whole
    ]
    # A batch depends on its position alone, so helper processes draw batches in any order.
    batches = demo.draw_batch(drawing, 500, 1000) + demo.draw_batch(drawing, 0, 500)
    assert sorted(_emails(batches)) == sorted(
        _emails(demo.draw_batch(drawing, 0, 500) + demo.draw_batch(drawing, 500, 1000))
    )
    assert len(set(_emails(whole))) == 1000


def test_drawn_contacts_keep_the_demo_proportions_and_variety(drawing):
    rows = demo.draw_batch(drawing, 0, 3000)
    cleaned = [row.new.cleaned for row in rows]
    countries = [c["country"] for c in cleaned]
    assert 0.35 < countries.count("ES") / 3000 < 0.45
    assert 0.2 < countries.count("US") / 3000 < 0.3
    assert len({c["last_name"] for c in cleaned}) > 500
    assert len({c["street"] for c in cleaned}) > 1000
    won = [row for row in rows if row.new.cleaned["status"] == "won"]
    assert 0.1 < len(won) / 3000 < 0.2
    assert all(row.won_at > row.created_at for row in won)
    assert sum(bool(c["properties"]) for c in cleaned) / 3000 > 0.6
    assert {row.owner for row in rows} == {0, 1, 2, 3}


def test_phone_numbers_are_valid_without_checking_each():
    rng = random.Random(1)
    for country in ("ES", "PL", "US"):
        for _ in range(2000):
            number = demo._phone(rng, country)
            assert phonenumbers.is_valid_number(phonenumbers.parse(number)), number


def test_a_second_load_draws_the_same_contacts_and_adds_none():
    first = demo.load_demo(700, progress=lambda line: None)
    emails = set(Contact.objects.values_list("email", flat=True))
    more = demo.load_demo(1000, progress=lambda line: None)
    assert (first.created, more.created, more.existing) == (700, 300, 700)
    assert emails < set(Contact.objects.values_list("email", flat=True))
