"""Which address a request came from, trusting only the configured number of proxies."""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The client's IP address: REMOTE_ADDR, or, behind KARTOTEKA_PROXY_COUNT proxies, the
    entry of X-Forwarded-For that the outermost trusted proxy appended (entries further left
    are whatever the client chose to send)."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    count = getattr(settings, "KARTOTEKA_PROXY_COUNT", 0)
    if count:
        forwarded = [
            part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        ]
        forwarded = [part for part in forwarded if part]
        if forwarded:
            candidate = forwarded[-count] if len(forwarded) >= count else forwarded[0]
            try:
                return str(ipaddress.ip_address(candidate))
            except ValueError:
                pass
    return remote
