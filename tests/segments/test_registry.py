"""Other apps add fields to the registry without touching the compiler."""

import pytest
from django.db.models import Q

from kartoteka.segments import fields
from kartoteka.segments.queries import filter_contacts
from tests.factories import make_contact


@pytest.fixture
def lucky_field():
    """A field as an eCommerce app would add it from its AppConfig.ready()."""
    item = fields.Field(
        key="lucky_score",
        label="Lucky score",
        type="number",
        build=fields.column("score", "number"),
    )
    fields.register(item)
    yield item
    fields._fields.pop("lucky_score")


def test_a_registered_field_filters_and_validates(admin, lucky_field):
    lucky = make_contact(admin, score=7)
    make_contact(admin, score=3)
    assert list(filter_contacts(admin, {"field": "lucky_score", "op": "eq", "value": 7})) == [lucky]
    assert any(f.key == "lucky_score" for f in fields.known_fields())


def test_a_registered_family_resolves_names_on_use(admin):
    fields.register_family(
        "town",
        lambda name: (
            fields.Field(
                key=f"town.{name}",
                label=name,
                type="boolean",
                build=lambda op, value: Q(city__iexact=name) if value else ~Q(city__iexact=name),
            )
            if name == "madrid"
            else None
        ),
    )
    try:
        inside = make_contact(admin, city="Madrid")
        make_contact(admin, city="Gdańsk")
        document = {"field": "town.madrid", "op": "eq", "value": True}
        assert list(filter_contacts(admin, document)) == [inside]
        assert fields.lookup("town.other") is None
    finally:
        fields._families.pop("town")
