"""«Позвонить» on a card: the command is written at once and sent by a worker; the page never waits on Mango."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from clients.selectors import client_get_for_user
from crm.errors import DomainError
from crm.phones import format_phone, normalize_phone
from integrations.mango import services
from leads.selectors import lead_get_for_user


@login_required
@require_POST
def dial_view(request):
    """POST number + client (or lead): Mango rings the user's own extension, then dials the number."""
    client_id, lead_id = request.POST.get("client", ""), request.POST.get("lead", "")
    client = client_get_for_user(request.user, int(client_id)) if client_id.isdigit() else None
    lead = lead_get_for_user(request.user, int(lead_id)) if lead_id.isdigit() and client is None else None
    if client is None and lead is None:
        raise Http404("Укажите клиента или лид")
    back = reverse("clients:client_detail", args=[client.pk]) if client else reverse("leads:detail", args=[lead.pk])
    number = request.POST.get("number", "")
    try:
        services.click_to_call(by=request.user, number=number, client=client, lead=lead)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"Mango звонит на ваш добавочный {request.user.mango_extension}: возьмите трубку, "
            f"и вас соединят с {format_phone(normalize_phone(number))}.",
        )
    return redirect(f"{back}#calls")
