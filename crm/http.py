"""Small helpers for reading requests."""

from django.conf import settings
from django.utils.http import url_has_allowed_host_and_scheme


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


def safe_next(request, fallback: str) -> str:
    """The `next` a form or link carries, when it is a path on this site; otherwise `fallback`.

    A crafted form or link must never send someone from the CRM to another site.
    """
    return local_path(request.POST.get("next") or request.GET.get("next") or "", fallback)


def local_path(target: str, fallback: str) -> str:
    """`target` when it is a path on this site («/tasks/5/»), otherwise `fallback`.

    Stored links (a notification's) are followed without asking: only a local path
    may pass, never another host, a scheme or a protocol-relative «//host».
    """
    if (
        target
        and target.startswith("/")
        and not target.startswith(("//", "/\\"))
        and url_has_allowed_host_and_scheme(target, allowed_hosts=set())
    ):
        return target
    return fallback
