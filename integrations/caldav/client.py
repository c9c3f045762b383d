"""The one place that talks CalDAV: a `caldav.DAVClient` with the settings' timeout, and its errors sorted.

Every request is counted (`REQUESTS`), so the bench and the tests can say what a
booking or a read-back costs. Discovery over DNS (RFC 6764) is off and TLS is
required except on loopback: the URL a person types decides the only host we call.
"""

import ipaddress
from urllib.parse import urlsplit

import caldav
from caldav.lib import error as dav_error
from django.conf import settings

# How many CalDAV requests this process made: read by the bench and the request-count tests.
REQUESTS = {"count": 0}

# The library raises these for a server that is down, slow or not speaking HTTP; requests and
# niquests each have their own family, hence the broad base classes.
TRANSPORT_ERRORS = (OSError, TimeoutError, ConnectionError)


class CountingDAVClient(caldav.DAVClient):
    def request(self, url, method="GET", body="", headers=None, rate_limit_time_slept=0):
        REQUESTS["count"] += 1
        return super().request(url, method, body, headers, rate_limit_time_slept)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_problem(url: str) -> str:
    """Why this server URL is refused, in Russian, or "" — checked before any request is made.

    Only the hosts in CALDAV_ALLOWED_HOSTS (Yandex by default), over https; loopback only where
    CALDAV_ALLOW_LOOPBACK is on (Radicale in development and tests). Keeps the CRM from being
    pointed at its own network and the API fuzzer from reaching the internet.
    """
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 — raises ValueError on a port out of range
    except ValueError:
        return "Адрес сервера не похож на ссылку."
    if parts.scheme not in ("http", "https") or not host:
        return "Адрес сервера должен начинаться с https://."
    if is_loopback(host):
        if not settings.CALDAV_ALLOW_LOOPBACK:
            return "Этот адрес сервера не разрешён."
        return ""
    if parts.scheme != "https":
        return "Адрес сервера должен начинаться с https://."
    if host not in settings.CALDAV_ALLOWED_HOSTS:
        return f"Разрешены только серверы: {', '.join(settings.CALDAV_ALLOWED_HOSTS)}."
    return ""


def make_client(*, url: str, username: str, password: str) -> caldav.DAVClient:
    problem = url_problem(url)
    if problem:
        raise ValueError(problem)
    host = (urlsplit(url).hostname or "").lower()
    return CountingDAVClient(
        url=url,
        username=username,
        password=password,
        timeout=settings.CALDAV_TIMEOUT,
        enable_rfc6764=False,
        require_tls=not is_loopback(host),
        # A 429 must come back to the outbox (its backoff), not sleep inside a worker.
        rate_limit_handle=False,
    )


AuthorizationError = dav_error.AuthorizationError
RateLimitError = dav_error.RateLimitError
DAVError = dav_error.DAVError
