"""The addresses Mango posts its events to: `<CRM>/integrations/mango/` + Mango's own path
(`events/call`, `events/summary`, `events/recording`, `result/callback`, `ping` …), as Mango's
API settings page asks for one base address.

No session and no CSRF token: Mango signs each request instead, and a request whose signature
does not check out is refused with 403 and nothing stored. The answer is quick: the event is
stored and the work is left to a worker."""

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseForbidden, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from integrations.mango import services


@csrf_exempt
@require_POST
def event_view(request, path: str):
    if not settings.MANGO_ENABLED:
        raise Http404
    json_text = request.POST.get("json", "")
    try:
        services.check_signature(
            api_key=request.POST.get("vpbx_api_key", ""), signature=request.POST.get("sign", ""), json_text=json_text
        )
    except services.BadEvent:
        return HttpResponseForbidden("bad signature")
    if path == "ping":
        return JsonResponse({})
    try:
        services.event_receive(path=path.strip("/"), json_text=json_text)
    except services.BadEvent as exc:
        return HttpResponse(str(exc), status=400)
    return JsonResponse({})
