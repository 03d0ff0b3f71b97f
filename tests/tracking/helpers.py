"""Sending hits to the collector as a browser on a tracked site would."""

import json

from django.test import Client

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
    return Client().post(
        "/t/collect",
        json.dumps(hit),
        content_type="text/plain",
        HTTP_ORIGIN=origin,
        HTTP_USER_AGENT=ua,
        **(headers or {}),
    )
