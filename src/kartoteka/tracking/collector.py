"""The collector's own way in, ahead of Django's request handling.

Every page view of a tracked site posts a hit, which makes /t/collect the busiest door of the
app by far. Through the whole stack a hit paid for the middleware, resolving the URL against
every pattern of the app, and, on SQLite, a new database connection opened and closed for the
request: several times the cost of the collector itself. Here a POST to /t/collect goes
straight to the collector view, which keeps every rule it has (the rate per address, the size
limit, the site's origin, Do Not Track, CORS, refusals in the visitor's language, nothing of
what was sent echoed back), on a database connection its thread keeps. Any other request to
that path (another method, a query string, a host not allowed) takes the usual way and gets
the usual answer.
"""

from collections.abc import Callable, Iterable
from functools import cache

from django.core.exceptions import DisallowedHost
from django.core.handlers.exception import response_for_exception
from django.core.handlers.wsgi import WSGIRequest
from django.core.signals import setting_changed
from django.db import DatabaseError, connection
from django.dispatch import receiver
from django.http import HttpResponse
from django.middleware.security import SecurityMiddleware
from django.utils import translation

from kartoteka.tracking import views

PATH = "/t/collect"

# In place of the app's policy for pages: an answer with no content, or a short JSON refusal,
# that nothing is meant to render or frame.
POLICY = "default-src 'none'; frame-ancestors 'none'"

WSGIApplication = Callable[[dict, Callable], Iterable[bytes]]


def collector_first(application: WSGIApplication) -> WSGIApplication:
    """`application`, with the collector's hits answered before it is reached."""

    def serve(environ: dict, start_response: Callable) -> Iterable[bytes]:
        if (
            environ.get("PATH_INFO") != PATH
            or environ.get("REQUEST_METHOD") != "POST"
            or environ.get("QUERY_STRING")
        ):
            return application(environ, start_response)
        request = WSGIRequest(environ)
        try:
            request.get_host()
        except DisallowedHost:
            return application(environ, start_response)
        # Django's own rules for HTTPS (to HTTPS first, then HSTS) and its security headers.
        security = _security()
        response = security.process_request(request) or collect(request)
        response = security.process_response(request, response)
        response["Content-Security-Policy"] = POLICY
        headers = list(response.items())
        if response.status_code != 204:
            headers.append(("Content-Length", str(len(response.content))))
        start_response(f"{response.status_code} {response.reason_phrase}", headers)
        # The content, not the response: closing a response tells Django the request is over,
        # which closes an SQLite connection the next hit would have to open again.
        return [response.content]

    return serve


def _unused(request: WSGIRequest) -> HttpResponse:
    raise AssertionError("the middleware is only asked for its rules")


@cache
def _security() -> SecurityMiddleware:
    """The middleware reads its settings when it is built: built once, and again after a
    setting changes (tests), not for every hit."""
    return SecurityMiddleware(_unused)


@receiver(setting_changed)
def _rebuild_security(**kwargs: object) -> None:
    _security.cache_clear()


def collect(request: WSGIRequest) -> HttpResponse:
    """The collector view's answer, in the language the browser asks for."""
    language = translation.get_language_from_request(request)
    if language == translation.get_language():
        response = _answer(request)
    else:
        with translation.override(language):
            response = _answer(request)
    response["Content-Language"] = language
    return response


def _answer(request: WSGIRequest) -> HttpResponse:
    try:
        return views.collect(request)
    except Exception as exc:  # answered and logged as Django answers an uncaught one
        if isinstance(exc, DatabaseError):
            connection.close()  # the next hit opens a sound one
        return response_for_exception(request, exc)
