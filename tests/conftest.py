"""Shared fixtures: users of both roles, API clients with their tokens, network off."""

import socket

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from kartoteka.accounts.services import create_token
from kartoteka.core.scope import SYSTEM
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _language_of_the_test_alone():
    """A request in one test (the test client runs in this thread) leaves its language active;
    messages are translated, so start and end every test in the default language."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _no_network(request, monkeypatch):
    """Unit tests never reach the network; e2e tests talk only to their own local server."""
    if request.node.get_closest_marker("e2e"):
        return
    real_connect = socket.socket.connect

    def guarded(sock, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and (
            host.startswith("127.") or host in ("localhost", "::1") or host.startswith("/")
        ):
            return real_connect(sock, address)
        raise RuntimeError(f"network access in a unit test: {address!r}")

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture(autouse=True)
def _custom_event_types_stay_in_their_test(monkeypatch):
    """A custom event type (commerce) registers a timeline kind for the whole process, and the
    API fuzzing registers some with random names; a test's own types must not reach the tests
    after it (one checks that every registered kind has a translated label)."""
    from kartoteka.activity import timeline
    from kartoteka.commerce.kinds import CustomLabel

    monkeypatch.setattr(timeline, "_kinds", dict(timeline._kinds))
    monkeypatch.setattr(CustomLabel, "labels", dict(CustomLabel.labels))


@pytest.fixture(autouse=True)
def _lead_statuses_read_afresh():
    """Lead statuses are kept in the process for a few seconds; a test's database rolls back
    the statuses it changed, so every test reads them afresh."""
    from kartoteka.contacts import statuses

    statuses.forget()
    yield
    statuses.forget()


@pytest.fixture(autouse=True)
def _no_throttle_left_over():
    """Every test starts with no address locked for wrong API tokens and no request counted
    against a rate limit."""
    from django.core.cache import caches

    from kartoteka.core import ratelimit

    caches["throttle"].clear()
    ratelimit.forget_counts_here()
    yield
    caches["throttle"].clear()
    ratelimit.forget_counts_here()


@pytest.fixture
def admin(db):
    return UserFactory(username="alba", role="admin")


@pytest.fixture
def sales(db):
    return UserFactory(username="sergio", role="sales")


@pytest.fixture
def other_sales(db):
    return UserFactory(username="olga", role="sales")


class ApiClient:
    """A Django test client that sends a bearer token and JSON bodies."""

    def __init__(self, user):
        self.user = user
        _row, self.token = create_token(SYSTEM, user, name="test")
        self.client = Client(HTTP_AUTHORIZATION=f"Bearer {self.token}")

    def get(self, path, **params):
        return self.client.get(path, params)

    def post(self, path, data=None, **kwargs):
        return self.client.post(path, data, content_type="application/json", **kwargs)

    def put(self, path, data=None):
        return self.client.put(path, data, content_type="application/json")

    def patch(self, path, data=None, **kwargs):
        return self.client.patch(path, data, content_type="application/json", **kwargs)

    def delete(self, path):
        return self.client.delete(path)


@pytest.fixture
def admin_api(admin):
    return ApiClient(admin)


@pytest.fixture
def sales_api(sales):
    return ApiClient(sales)


@pytest.fixture
def other_sales_api(other_sales):
    return ApiClient(other_sales)
