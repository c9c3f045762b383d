"""Request-wide guards: browser security headers and an early refusal of oversized bodies."""

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string

# Every script and style comes from our own static files (no inline code), so
# the browser may refuse everything else: an injected <script> or onclick= does
# not run even if some text slips through escaping.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "object-src 'none'",
    ]
)
# A CRM needs none of the device features: a compromised page must not get them either.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
)


class SecurityHeadersMiddleware:
    """Content-Security-Policy and Permissions-Policy on every response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # setdefault: a view that needs a different policy can set its own.
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


def _declared_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        # Django reads no body at all for a malformed length, so there is nothing to guard.
        return 0


class RequestSizeLimitMiddleware:
    """Refuse a body larger than MAX_REQUEST_BODY_BYTES by its Content-Length, before reading it.

    Django's own limits apply only once the body is being parsed, after the
    server has already received it; a 300 MB upload would be taken in whole
    (into a temporary file) just to be refused by the form.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.MAX_REQUEST_BODY_BYTES
        if _declared_length(request) > limit:
            return _too_large(request, limit)
        return self.get_response(request)


def _too_large(request, limit: int) -> HttpResponse:
    megabytes = limit // (1024 * 1024)
    message = (
        f"Слишком большой запрос: за один раз можно отправить не больше {megabytes} МБ. "
        "Загрузите файлы по одному или уменьшите их размер."
    )
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=413, json_dumps_params={"ensure_ascii": False})
    return HttpResponse(render_to_string("413.html", {"message": message}), status=413)
