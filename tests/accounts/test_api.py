"""/me and the caller's API tokens."""

import pytest

from kartoteka.accounts.models import ApiToken
from kartoteka.accounts.services import hash_token

pytestmark = pytest.mark.django_db


def test_me_tells_who_and_which_role(sales_api):
    body = sales_api.get("/api/v1/me").json()
    assert (body["username"], body["role"]) == ("sergio", "sales")


def test_new_token_is_shown_once_and_stored_hashed(sales_api):
    created = sales_api.post("/api/v1/me/tokens", {"name": "zapier"})
    assert created.status_code == 201
    token = created.json()["token"]
    row = ApiToken.objects.get(pk=created.json()["id"])
    assert row.key_hash == hash_token(token)
    assert token not in (row.key_hash, row.prefix)
    listed = sales_api.get("/api/v1/me/tokens").json()
    assert all("token" not in t for t in listed)


def test_new_token_authenticates(sales_api, client):
    token = sales_api.post("/api/v1/me/tokens", {"name": "x"}).json()["token"]
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.json()["username"] == "sergio"


def test_revoked_token_stops_working(sales_api, client):
    created = sales_api.post("/api/v1/me/tokens", {"name": "x"}).json()
    assert sales_api.delete(f"/api/v1/me/tokens/{created['id']}").status_code == 204
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {created['token']}")
    assert response.status_code == 401


def test_cannot_revoke_someone_elses_token(sales_api, other_sales_api):
    theirs = other_sales_api.post("/api/v1/me/tokens", {"name": "x"}).json()
    assert sales_api.delete(f"/api/v1/me/tokens/{theirs['id']}").status_code == 404
