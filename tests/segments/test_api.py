"""The API: contact search, saved filters and segments, each through the caller's scope."""

import pytest

from tests.factories import make_contact

SEARCH = "/api/v1/contacts/search"


@pytest.fixture
def spread(admin, sales, other_sales):
    """Two contacts owned by sergio, one by olga; all tagged vip."""
    mine = [make_contact(sales, tags=["vip"], country="ES") for _ in range(2)]
    theirs = make_contact(other_sales, tags=["vip"], country="ES")
    return {"mine": mine, "theirs": theirs}


def test_search_with_a_document_answers_count_and_items(admin_api, spread):
    response = admin_api.post(
        SEARCH, {"filter": {"field": "tags", "op": "has_any", "value": ["vip"]}}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert len(body["items"]) == 3
    assert body["items"][0]["tags"] == ["vip"]
    assert body["next_cursor"] is None


def test_search_with_the_text_form(admin_api, spread):
    response = admin_api.post(SEARCH, {"q": "tag:vip country:ES"})
    assert response.json()["count"] == 3


def test_search_pages_with_a_cursor(admin_api, spread):
    first = admin_api.post(SEARCH, {"q": "tag:vip", "limit": 2}).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = admin_api.post(SEARCH, {"q": "tag:vip", "limit": 2, "cursor": first["next_cursor"]})
    body = second.json()
    assert body["count"] == 3
    assert [c["id"] for c in body["items"]] == [spread["mine"][0].pk]
    assert body["next_cursor"] is None


def test_sales_user_search_sees_only_own_contacts(sales_api, spread):
    body = sales_api.post(SEARCH, {"q": "tag:vip"}).json()
    assert body["count"] == 2
    assert {c["id"] for c in body["items"]} == {c.pk for c in spread["mine"]}


def test_owner_condition_cannot_widen_a_sales_users_scope(sales_api, spread):
    body = sales_api.post(
        SEARCH,
        {"filter": {"any": [{"field": "owner", "op": "has_any", "value": ["olga"]}, {"all": []}]}},
    ).json()
    assert spread["theirs"].pk not in {c["id"] for c in body["items"]}
    assert body["count"] == 2


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"filter": {"field": "nope", "op": "eq", "value": 1}}, "filter.field"),
        ({"filter": {"field": "score", "op": "contains", "value": "1"}}, "filter.op"),
        ({"q": "score>lots"}, "q"),
        ({"q": "tag:vip", "limit": 0}, "limit"),
        ({"q": "tag:vip", "cursor": "garbage"}, "cursor"),
        ({"q": "tag:vip", "surprise": 1}, "surprise"),
    ],
)
def test_invalid_search_answers_422_with_the_reason(admin_api, payload, field):
    response = admin_api.post(SEARCH, payload)
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert field in {e["field"] for e in response.json()["errors"]}


def test_filter_fields_list_types_and_operators(admin_api):
    fields = {f["key"]: f for f in admin_api.get("/api/v1/filter-fields").json()}
    assert fields["tags"]["operators"][:3] == ["has_any", "has_all", "has_none"]
    assert ["won", "Client"] in fields["status"]["choices"]


def test_saved_filter_crud(sales_api):
    created = sales_api.post(
        "/api/v1/saved-filters", {"name": "Hot leads", "q": "tag:hot score>50"}
    )
    assert created.status_code == 201
    saved = created.json()
    assert saved["filter"]["all"][0] == {"field": "tags", "op": "has_any", "value": ["hot"]}
    assert saved["shared"] is False and saved["can_change"] is True
    changed = sales_api.patch(f"/api/v1/saved-filters/{saved['id']}", {"shared": True})
    assert changed.json()["shared"] is True
    assert [s["name"] for s in sales_api.get("/api/v1/saved-filters").json()] == ["Hot leads"]
    assert sales_api.delete(f"/api/v1/saved-filters/{saved['id']}").status_code == 204
    assert sales_api.get(f"/api/v1/saved-filters/{saved['id']}").status_code == 404


def test_private_saved_filter_is_invisible_to_others(sales_api, other_sales_api):
    saved = sales_api.post("/api/v1/saved-filters", {"name": "Mine", "q": "tag:a"}).json()
    assert other_sales_api.get(f"/api/v1/saved-filters/{saved['id']}").status_code == 404
    assert other_sales_api.get("/api/v1/saved-filters").json() == []
    assert other_sales_api.delete(f"/api/v1/saved-filters/{saved['id']}").status_code == 404


def test_shared_saved_filter_is_readable_but_not_changeable_by_others(sales_api, other_sales_api):
    saved = sales_api.post(
        "/api/v1/saved-filters", {"name": "Team", "q": "tag:a", "shared": True}
    ).json()
    seen = other_sales_api.get(f"/api/v1/saved-filters/{saved['id']}").json()
    assert seen["can_change"] is False and seen["owner"] == "sergio"
    response = other_sales_api.patch(f"/api/v1/saved-filters/{saved['id']}", {"name": "Mine"})
    assert response.status_code == 403
    assert other_sales_api.delete(f"/api/v1/saved-filters/{saved['id']}").status_code == 403


def test_duplicate_saved_filter_name_is_a_conflict(sales_api):
    sales_api.post("/api/v1/saved-filters", {"name": "Same", "q": "tag:a"})
    response = sales_api.post("/api/v1/saved-filters", {"name": "same", "q": "tag:b"})
    assert response.status_code == 409


def test_saved_filter_with_a_bad_document_is_refused(sales_api):
    response = sales_api.post(
        "/api/v1/saved-filters", {"name": "Bad", "filter": {"field": "x", "op": "eq"}}
    )
    assert response.status_code == 422


def test_segment_is_counted_and_lists_its_contacts_in_the_callers_scope(
    admin_api, sales_api, spread
):
    created = admin_api.post(
        "/api/v1/segments", {"name": "VIPs", "q": "tag:vip", "shared": True}
    ).json()
    assert created["count"] == 3 and created["counted_at"]
    as_admin = admin_api.get(f"/api/v1/segments/{created['id']}/contacts").json()
    assert as_admin["count"] == 3
    as_sales = sales_api.get(f"/api/v1/segments/{created['id']}/contacts").json()
    assert as_sales["count"] == 2
    assert spread["theirs"].pk not in {c["id"] for c in as_sales["items"]}


def test_a_shared_segments_count_is_in_the_callers_scope_in_list_and_detail(
    admin_api, sales_api, spread
):
    created = admin_api.post(
        "/api/v1/segments", {"name": "VIPs", "q": "tag:vip", "shared": True}
    ).json()
    detail = sales_api.get(f"/api/v1/segments/{created['id']}").json()
    assert detail["count"] == 2 and detail["counted_at"] is None
    (listed,) = sales_api.get("/api/v1/segments").json()
    assert listed["count"] == 2
    assert admin_api.get(f"/api/v1/segments/{created['id']}").json()["count"] == 3


def test_segment_crud_and_permissions(sales_api, other_sales_api, admin_api):
    segment = sales_api.post("/api/v1/segments", {"name": "Spain", "q": "country:ES"}).json()
    path = f"/api/v1/segments/{segment['id']}"
    assert other_sales_api.get(path).status_code == 404
    assert other_sales_api.get(f"{path}/contacts").status_code == 404
    assert admin_api.get(path).status_code == 404  # private means private, admins too
    changed = sales_api.patch(path, {"q": "country:PL", "shared": True}).json()
    assert changed["filter"] == {"all": [{"field": "country", "op": "eq", "value": "PL"}]}
    assert other_sales_api.patch(path, {"name": "x"}).status_code == 403
    assert admin_api.patch(path, {"name": "Poland"}).json()["name"] == "Poland"
    assert sales_api.delete(path).status_code == 204
    assert sales_api.get("/api/v1/segments").json() == []


def test_unauthenticated_search_is_refused(client):
    assert client.post(SEARCH, {}, content_type="application/json").status_code == 401
