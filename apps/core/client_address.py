"""The address a request came from, as the audit trail and the login lockout see it."""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str | None:
    """The client's address, trusting only the proxies we run.

    With DJANGO_TRUSTED_PROXY_COUNT = 0 the address is the connection's own
    (REMOTE_ADDR). Behind N proxies, each appends the address it received the
    request from to X-Forwarded-For, so the Nth entry from the right was written
    by our outermost proxy; anything to its left came from the client and can
    be forged. A request that did not pass through all N proxies (too few
    entries) or carries a value that is not an address keeps REMOTE_ADDR.
    """
    remote = request.META.get("REMOTE_ADDR") or None
    count: int = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if count <= 0:
        return remote
    forwarded = [
        entry.strip()
        for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if entry.strip()
    ]
    if len(forwarded) < count:
        return remote
    candidate = forwarded[-count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
