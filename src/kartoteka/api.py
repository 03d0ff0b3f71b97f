"""The REST API: one NinjaAPI under /api/v1, bearer-token auth, errors as problem+json.

Each domain app contributes `router` from its own api.py; they are mounted here in app order.
"""

import importlib

from django.conf import settings
from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer

from kartoteka.accounts import throttle
from kartoteka.accounts.services import authenticate_token
from kartoteka.core.addresses import client_address
from kartoteka.core.errors import Conflict, Forbidden, InvalidInput, NotFound

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


api = NinjaAPI(
    title="Kartoteka API",
    version="1",
    urls_namespace="api",
    auth=BearerToken(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)


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
