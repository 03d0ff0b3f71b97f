"""Sending hits to the collector as a browser on a tracked site would, through the WSGI
application Kartoteka serves (the collector answers there, ahead of Django's stack)."""

import json

from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from django.test import RequestFactory
from django.utils.datastructures import CaseInsensitiveMapping

from kartoteka.core.scope import SYSTEM
from kartoteka.tracking import services

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0 Safari/537.36"
)
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)
ORIGIN = "https://shop.example.com"


def make_site(**options):
    options.setdefault("name", "Shop")
    options.setdefault("domains", ["shop.example.com"])
    return services.create_site(SYSTEM, **options)


def send(
    site, kind="view", *, visitor="visitor-0001", origin=ORIGIN, ua=CHROME, headers=None, **fields
):
    hit = {"s": site.key, "v": visitor, "k": kind, "u": f"{ORIGIN}/", **fields}
    return served(
        "POST",
        "/t/collect",
        json.dumps(hit),
        content_type="text/plain",
        HTTP_ORIGIN=origin,
        HTTP_USER_AGENT=ua,
        **(headers or {}),
    )


class Answer:
    """What a WSGI application answered, read as the test client's responses are."""

    def __init__(self, status: str, headers: list[tuple[str, str]], content: bytes) -> None:
        self.status_code = int(status.split()[0])
        self.headers = CaseInsensitiveMapping(dict(headers))
        self.content = content

    def __getitem__(self, name: str) -> str:
        return self.headers[name]

    def json(self):
        return json.loads(self.content)


def served(method: str, path: str, data: str = "", **extra) -> Answer:
    """A request to `kartoteka.wsgi.application`, as a WSGI server would make it. Inside a
    test's transaction, Django's stack keeps the connection open as the test client does."""
    from kartoteka.wsgi import application

    environ = RequestFactory().generic(method, path, data, **extra).environ
    started = []
    in_test_transaction = connection.in_atomic_block
    if in_test_transaction:
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
    try:
        body = application(environ, lambda status, headers: started.append((status, headers)))
        try:
            content = b"".join(body)
        finally:
            if hasattr(body, "close"):
                body.close()
    finally:
        if in_test_transaction:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)
    return Answer(*started[0], content)
