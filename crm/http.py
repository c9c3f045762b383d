"""Small helpers for reading requests."""

from django.conf import settings


def client_ip(request) -> str | None:
    if request is None:
        return None
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        # Behind the firm's own load balancer the first forwarded address is
        # the client; without a proxy the header could be forged, so ignore it.
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip() or None
    return request.META.get("REMOTE_ADDR") or None
