"""How a filter's conditions read on the list's chips and the Segments page: values by their
names, numbers and dates as the reader's language writes them."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from kartoteka.segments.listing import Describer
from tests.factories import make_contact

pytestmark = pytest.mark.django_db

NBSP = "\xa0"


def described(condition: dict, language: str) -> str:
    with translation.override(language):
        return Describer().text(condition)


def described_html(condition: dict) -> str:
    with translation.override("en"):
        return Describer().html(condition)


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "Country is Spain"), ("es", "País es España"), ("pl", "Kraj jest Hiszpania")],
)
def test_a_country_reads_as_its_name(language, expected):
    assert described({"field": "country", "op": "eq", "value": "ES"}, language) == expected


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Status is one of Client, Lost"),
        ("es", "Estado es uno de Cliente, Perdido"),
        ("pl", "Status jest jednym z Klient, Utracony"),
    ],
)
def test_a_status_reads_as_its_label(language, expected):
    condition = {"field": "status", "op": "in", "value": ["won", "lost"]}
    assert described(condition, language) == expected


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "Source is Landing page"), ("es", "Origen es Página de aterrizaje")],
)
def test_a_source_reads_as_its_label(language, expected):
    condition = {"field": "source", "op": "eq", "value": "landing_page"}
    assert described(condition, language) == expected


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Score > 50,000"),
        ("es", "Puntuación > 50.000"),
        ("pl", f"Punktacja > 50{NBSP}000"),
    ],
)
def test_a_number_is_written_in_the_readers_language(language, expected):
    assert described({"field": "score", "op": "gt", "value": 50000}, language) == expected


def test_a_decimal_amount_keeps_its_decimals():
    condition = {"field": "deals.amount", "op": "gte", "value": 1234.5}
    assert described(condition, "es") == "Importe del trato ≥ 1.234,5"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Created between 31/01/2024 – 05/03/2024"),
        ("es", "Creado entre 31/01/2024 – 05/03/2024"),
        ("pl", "Utworzono pomiędzy 31.01.2024 – 05.03.2024"),
    ],
)
def test_dates_are_written_in_the_readers_short_format(language, expected):
    condition = {"field": "created_at", "op": "between", "value": ["2024-01-31", "2024-03-05"]}
    assert described(condition, language) == expected


def test_a_number_of_days_is_written_in_the_readers_language():
    condition = {"field": "created_at", "op": "in_last_days", "value": 1000}
    assert described(condition, "pl") == f"Utworzono w ostatnich 1{NBSP}000 dniach"


def test_an_owner_reads_as_their_name(sales):
    condition = {"field": "owner", "op": "has_any", "value": [sales.username]}
    assert described(condition, "en") == f"Owner has any of {sales.display_name}"


def test_a_value_without_a_name_reads_as_given():
    condition = {"field": "tags", "op": "has_any", "value": ["vip"]}
    assert described(condition, "en") == "Tags has any of vip"


def test_a_field_s_names_are_read_once_per_description(sales):
    describer = Describer()
    owner = {"field": "owner", "op": "has_any", "value": [sales.username]}
    describer.text(owner)
    with CaptureQueriesContext(connection) as queries:
        describer.text({"any": [owner, owner, {"not": owner}]})
    assert len(queries) == 0


def test_as_html_a_tag_is_its_coloured_chip(sales):
    make_contact(sales, tags=["VIP"])
    condition = {"field": "tags", "op": "has_any", "value": ["vip", "<gone>"]}
    html = described_html(condition)
    assert html.startswith('Tags has any of <span class="chip tag-chip"')
    assert ">VIP</span>" in html
    assert html.endswith(", &lt;gone&gt;")


def test_as_html_the_tags_of_a_description_are_read_in_one_query(sales):
    make_contact(sales, tags=["vip", "press"])
    condition = {
        "any": [
            {"field": "tags", "op": "has_any", "value": ["vip"]},
            {"not": {"field": "tags", "op": "has_all", "value": ["press", "vip"]}},
        ]
    }
    with CaptureQueriesContext(connection) as queries:
        Describer().html(condition)
    assert len(queries) == 1
