"""Schemathesis against the API's own OpenAPI document, through the WSGI app, as an admin and as
a sales user: no answer may be a 5xx, and every answer (status, content type, headers, body) must
be one the document declares. Runs on whichever database the suite runs on."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from kartoteka.wsgi import application
from tests.conftest import ApiClient
from tests.factories import make_contact

# Examples per operation and role: the whole module stays within a few minutes on two cores.
EXAMPLES = 6

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)
schema.config.generation.update(max_examples=EXAMPLES, deterministic=True)


@pytest.fixture
def _keep_test_connection():
    """The WSGI handler closes the database connection after each request, which would close
    the test's transaction; Django's own test client turns that off the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(params=["admin", "sales"])
def token(request, admin, sales, _keep_test_connection):
    user = admin if request.param == "admin" else sales
    # Something to find: a contact each of them sees, so ids and lists are not all empty.
    make_contact(user, email=f"{request.param}@fuzz.example")
    return ApiClient(user).token


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_api_answers_as_documented(case, token):
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)


def test_every_operation_declares_the_problems_it_can_answer():
    document = schema.raw_schema
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            declared = set(operation["responses"])
            expected = {"401", "403", "404", "422", "429"}
            if method != "get":
                expected |= {"400", "409"}
            assert expected <= declared, (method, path, expected - declared)
            problem = operation["responses"]["401"]["content"]
            assert list(problem) == ["application/problem+json"]
