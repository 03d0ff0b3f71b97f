"""The REST API: one NinjaAPI under /api/v1, bearer-token auth, errors as problem+json.

Each domain app contributes `router` from its own api.py; they are mounted here in app order.
"""

import functools
import importlib

from django.conf import settings
from django.http import HttpRequest
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.docs import Swagger
from ninja.security import HttpBearer

from kartoteka.accounts import throttle
from kartoteka.accounts.services import authenticate_token
from kartoteka.core.addresses import client_address
from kartoteka.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from kartoteka.core.inputs import check_input

PROBLEM = "application/problem+json"


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        address = client_address(request)
        # A locked address is refused even with a valid token, or guessing could go on.
        wait = throttle.seconds_locked(address)
        if wait:
            raise throttle.AddressLocked(wait)
        user = authenticate_token(token)
        if user is None:
            throttle.record_failure(address)
            return None
        request.user = user
        return user


# The problems any operation can answer, with what each means; declared on every operation by
# `KartotekaAPI.get_openapi_schema` rather than repeated in each router.
_PROBLEMS = {
    "400": "The body is not valid JSON (or not the declared form).",
    "401": "No token, or not a valid one.",
    "403": "The token's user may not do this (admins only).",
    "404": "No such object, or one outside the caller's scope.",
    "409": "Conflicts with the stored data (an e-mail already taken, a newer version).",
    "422": "A field is not valid; `errors` names each one.",
    "429": "Too many failed attempts from this address; wait and try again.",
}
_READ_PROBLEMS = ("401", "403", "404", "422", "429")
_WRITE_PROBLEMS = ("400", "401", "403", "404", "409", "422", "429")

PROBLEM_SCHEMA = {
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
        "existing_id": {"type": "integer"},
    },
}


def _deep_merge(into: dict, extra: dict) -> dict:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _deep_merge(into[key], value)
        else:
            into[key] = value
    return into


def _by_code(responses: dict) -> dict:
    """Ninja keys its own responses by int and an operation's `openapi_extra` by str: merge them
    (a file body declared in `openapi_extra` joins the JSON one)."""
    merged: dict[str, dict] = {}
    for code, response in sorted(responses.items(), key=lambda item: isinstance(item[0], str)):
        _deep_merge(merged.setdefault(str(code), {}), response)
    return merged


class KartotekaAPI(NinjaAPI):
    def get_openapi_schema(self, *args, **kwargs):
        """The document with every problem each operation can answer, as problem+json."""
        document = super().get_openapi_schema(*args, **kwargs)
        document["components"].setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
        for operations in document["paths"].values():
            for method, operation in operations.items():
                codes = _READ_PROBLEMS if method == "get" else _WRITE_PROBLEMS
                responses = _by_code(operation.setdefault("responses", {}))
                operation["responses"] = responses
                for code in codes:
                    responses.setdefault(
                        code,
                        {
                            "description": _PROBLEMS[code],
                            "content": {
                                PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}
                            },
                        },
                    )
        return document


class ApiDocs(Swagger):
    """Swagger UI in a page of our own: it names its language and brings the colours that
    reach 4.5:1 contrast. Deep links stay off, as Swagger UI puts them as links inside the
    operations' buttons, which assistive technology cannot reach."""

    template = "web/api_docs.html"


api = KartotekaAPI(
    docs=ApiDocs(settings={"deepLinking": False}),
    title="Kartoteka API",
    version="1",
    urls_namespace="api",
    auth=BearerToken(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def _storable_input(view):
    """Every operation's parsed parameters (path, query, body) are checked once, here, for text
    and numbers no database can store, so they answer 422 naming the field instead of 500."""

    @functools.wraps(view)
    def checked(request: HttpRequest, *args, **values):
        check_input(values)
        return view(request, *args, **values)

    return checked


api.add_decorator(_storable_input)


def problem(request: HttpRequest, status: int, title: str, detail: str = "", **extra):
    body = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    response = api.create_response(request, body, status=status)
    response["Content-Type"] = PROBLEM
    return response


def _field_errors(errors: dict[str, list[str]]) -> list[dict]:
    return [
        {"field": field, "message": message}
        for field, messages in errors.items()
        for message in messages
    ]


@api.exception_handler(InvalidInput)
def _invalid_input(request, exc: InvalidInput):
    return problem(request, 422, "Invalid input", exc.message, errors=_field_errors(exc.errors))


@api.exception_handler(ValidationError)
def _schema_error(request, exc: ValidationError):
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        location = [
            str(part)
            for part in error.get("loc", [])
            if part not in ("body", "payload", "query", "path")
        ]
        errors.setdefault(".".join(location) or "__all__", []).append(error.get("msg", "Invalid."))
    return problem(
        request, 422, "Invalid input", "Some fields are not valid.", errors=_field_errors(errors)
    )


@api.exception_handler(Conflict)
def _conflict(request, exc: Conflict):
    extra = {"errors": [{"field": exc.field, "message": exc.message}]} if exc.field else {}
    if exc.existing_id is not None:
        extra["existing_id"] = exc.existing_id
    return problem(request, 409, "Conflict", exc.message, **extra)


@api.exception_handler(NotFound)
def _not_found(request, exc: NotFound):
    return problem(request, 404, "Not found", exc.message)


@api.exception_handler(Forbidden)
def _forbidden(request, exc: Forbidden):
    return problem(request, 403, "Forbidden", exc.message)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    response = problem(
        request, 401, "Unauthorized", "Send a valid token: Authorization: Bearer <token>."
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(throttle.AddressLocked)
def _address_locked(request, exc: throttle.AddressLocked):
    response = problem(
        request,
        429,
        "Too many failed attempts",
        f"Too many wrong tokens came from this address. Try again in {exc.retry_after} seconds,"
        " or ask an admin to unlock the address.",
    )
    response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    return problem(request, exc.status_code, str(exc), str(exc))


@csrf_exempt
def not_found(request: HttpRequest, rest: str = ""):
    """Any other URL under /api/ (a path no operation matches) is a problem+json 404 as well."""
    return problem(request, 404, "Not found", "No API operation at this URL.")


def _mount_app_routers() -> None:
    for app in settings.INSTALLED_APPS:
        if not app.startswith("kartoteka."):
            continue
        try:
            module = importlib.import_module(f"{app}.api")
        except ModuleNotFoundError as exc:
            if exc.name != f"{app}.api":
                raise
            continue
        api.add_router("/v1", module.router)


_mount_app_routers()
