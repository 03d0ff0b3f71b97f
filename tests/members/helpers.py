"""Helpers of members' tests."""

from django.test import Client

from tests.members.conftest import PASSWORD


def signed_in(email: str, password: str = PASSWORD, **extra) -> Client:
    client = Client(**extra)
    response = client.post("/members/", {"email": email, "password": password})
    assert response.status_code == 302, response.content[:500]
    return client
