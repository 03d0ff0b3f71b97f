"""The builder's pickers: the values of a field that exist, with how many of the reader's
contacts have each, through the page endpoint and the API, in the reader's scope."""

import json

import pytest
from django.urls import reverse

from tests.factories import make_contact


@pytest.fixture
def spread(sales, other_sales):
    make_contact(sales, country="ES", tags=["vip"], owners=[sales])
    make_contact(sales, country="ES", tags=["vip", "cold"], owners=[sales])
    make_contact(other_sales, country="ES", tags=["vip"], owners=[other_sales])
    make_contact(other_sales, country="PL", tags=["vip", "virtual"], owners=[other_sales])


def options(client, language="en", **params):
    response = client.get(reverse("segments:options"), params, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200, response.content
    return [(o["value"], o["label"], o["count"]) for o in response.json()["options"]]


def test_countries_are_named_in_the_readers_language_with_their_counts(client, admin, spread):
    client.force_login(admin)
    found = options(client, field="country", q="hisz", language="pl")
    assert found == [("ES", "Hiszpania", 3)]


def test_a_country_nobody_has_yet_is_found_by_name_with_no_contacts(client, admin, spread):
    client.force_login(admin)
    assert options(client, field="country", q="alem", language="es") == [("DE", "Alemania", 0)]


def test_tags_are_listed_most_common_first_and_searched_by_prefix(client, admin, spread):
    client.force_login(admin)
    assert options(client, field="tags")[:2] == [("vip", "vip", 4), ("cold", "cold", 1)]
    assert options(client, field="tags", q="vi") == [("vip", "vip", 4), ("virtual", "virtual", 1)]


def test_a_sales_users_counts_are_of_their_own_contacts(client, sales, spread):
    client.force_login(sales)
    assert options(client, field="tags") == [("vip", "vip", 2), ("cold", "cold", 1)]
    assert options(client, field="country", limit=1) == [("ES", "Spain", 2)]
    assert [o[0] for o in options(client, field="owner")] == [sales.username]


def test_values_of_a_filter_opened_are_named(client, admin, spread):
    client.force_login(admin)
    response = client.get(reverse("segments:options"), {"field": "country", "value": ["PL", "ES"]})
    assert {o["value"]: o["label"] for o in response.json()["options"]} == {
        "ES": "Spain",
        "PL": "Poland",
    }


def test_fixed_choices_are_counted_in_one_query(client, admin, spread, django_assert_num_queries):
    client.force_login(admin)
    make_contact(admin, messengers=[{"network": "telegram", "handle": "@ana"}])
    with django_assert_num_queries(3):  # the session, the user, the one count
        found = options(client, field="messenger")
    assert found[0] == ("telegram", "Telegram", 1)


def test_an_unknown_field_is_a_translated_422(client, admin):
    client.force_login(admin)
    response = client.get(
        reverse("segments:options"), {"field": "shoe_size"}, HTTP_ACCEPT_LANGUAGE="es"
    )
    assert response.status_code == 422
    assert response.json()["error"] == "Campo desconocido 'shoe_size'."


def test_a_field_without_values_to_pick_says_to_type_one(client, admin):
    client.force_login(admin)
    response = client.get(reverse("segments:options"), {"field": "city"})
    assert response.status_code == 422
    assert "type a value instead" in response.json()["error"]


@pytest.mark.parametrize("limit", ["0", "201", "many", "-3"])
def test_a_bad_limit_is_a_422(client, admin, limit):
    client.force_login(admin)
    response = client.get(reverse("segments:options"), {"field": "tags", "limit": limit})
    assert response.status_code == 422
    assert "limit" in response.json()["error"]


def test_the_api_lists_options_in_the_callers_scope(sales_api, spread):
    response = sales_api.get("/api/v1/filter-fields/tags/options", q="c")
    assert response.status_code == 200
    assert response.json() == [{"value": "cold", "label": "cold", "count": 1}]


def test_the_api_answers_an_unknown_field_with_problem_json(sales_api):
    response = sales_api.get("/api/v1/filter-fields/shoe_size/options")
    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/problem+json")


def test_filter_fields_say_which_have_a_picker(admin_api):
    described = {f["key"]: f["pickable"] for f in admin_api.get("/api/v1/filter-fields").json()}
    assert described["tags"] and described["country"] and described["status"]
    assert not described["city"]


def test_the_login_is_required(client):
    response = client.get(reverse("segments:options"), {"field": "tags"})
    assert response.status_code == 302


@pytest.mark.parametrize(
    "condition",
    [
        {"field": "score", "op": "gte", "value": ""},
        {"field": "score", "op": "between", "value": [5]},
        {"field": "created_at", "op": "after", "value": "2024-13-"},
        {"field": "created_at", "op": "in_last_days", "value": None},
        {"field": "tags", "op": "has_any", "value": []},
        {"field": "country", "op": "eq"},
        {"field": "forms.submitted", "op": "eq", "value": "half"},
        {"field": "files.downloaded", "op": "in", "value": ["x"]},
        {"activity": "visit", "min_count": 0, "within_days": 7},
        {"activity": "", "min_count": 3, "within_days": 7},
    ],
)
def test_the_live_count_of_a_half_written_condition_says_what_is_missing(client, sales, condition):
    client.force_login(sales)
    response = client.get(
        reverse("segments:count"),
        {"f": json.dumps({"all": [condition]})},
        HTTP_ACCEPT_LANGUAGE="pl",
    )
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
