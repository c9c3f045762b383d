from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from clients.selectors import contact_lookup
from crm import access
from crm import selectors as crm_selectors
from crm.errors import DomainError
from crm.forms_util import add_domain_error
from crm.models import User
from crm.phones import normalize_email, normalize_phone
from leads import selectors, services
from leads.forms import AssignForm, ConvertForm, LeadIntakeForm, NonTargetForm
from leads.models import Lead


def _managers(user) -> list[User]:
    """Whom a lead may be given to from this user's desk (the same rule the service and API ask)."""
    qs = User.objects.filter(access.lead_assignees_q(user)).select_related("branch")
    return list(qs.order_by("branch__name", "full_name"))


def _require_intake(user) -> None:
    if not access.may_take_leads(user):
        raise PermissionDenied("Принимать обращения может колл-центр, офис-менеджер, менеджер или РОП.")


@login_required
def lead_list_view(request):
    _require_intake(request.user)
    tab = request.GET.get("tab", "")
    status = {"new": Lead.Status.NEW, "work": Lead.Status.IN_WORK, "non_target": Lead.Status.NON_TARGET}.get(tab, "")
    before = request.GET.get("before")
    rows, next_before = selectors.leads_page(
        request.user,
        status=status,
        office_queue=tab == "office",
        before=int(before) if (before or "").isdigit() else None,
    )
    return render(
        request,
        "leads/list.html",
        {
            "rows": rows,
            "tab": tab,
            "next_before": next_before,
            "keeps_office_queue": access.may_keep_non_target_queue(request.user),
        },
    )


@login_required
def lead_new_view(request):
    _require_intake(request.user)
    managers = _managers(request.user)
    branches = crm_selectors.branches_visible_to(request.user)
    form = LeadIntakeForm(
        request.POST or None,
        branches=branches,
        managers=managers,
        # A manager's own intake goes to themselves; the others pick, or leave it to the head.
        initial={"assigned_to": request.user.pk if [m.pk for m in managers] == [request.user.pk] else None},
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        manager = next((m for m in managers if m.pk == d["assigned_to"]), None)
        branch = next((b for b in branches if b.pk == d["branch"]), None)
        try:
            lead, _ = services.lead_create(
                by=request.user,
                source=d["source"],
                phone=d["phone"],
                email=d["email"],
                name=d["name"],
                message=d["message"],
                service_line=d["service_line"],
                branch=branch,
                assigned_to=manager,
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            if lead.routed_to_office:
                messages.warning(request, "Контакт отмечен как нецелевой: обращение передано офис-менеджеру.")
            else:
                messages.success(request, "Обращение сохранено.")
            return (
                redirect("leads:detail", pk=lead.pk)
                if selectors.leads_visible_to(request.user).filter(pk=lead.pk).exists()
                else redirect("leads:new")
            )
    return render(request, "leads/new.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def lead_lookup_view(request):
    """As the operator types a phone or e-mail: existing clients and open leads of that contact."""
    phone, email = request.GET.get("phone", ""), request.GET.get("email", "")
    clients = contact_lookup(request.user, phone=phone, email=email)
    earlier = selectors.leads_by_contact(
        request.user, phone_norm=normalize_phone(phone), email_norm=normalize_email(email)
    )
    marked = services.non_target_match(phone_norm=normalize_phone(phone), email_norm=normalize_email(email))
    return render(
        request,
        "leads/_lookup.html",
        {
            "clients": clients,
            "earlier": earlier,
            "marked": marked,
            # The desk finds any client by phone but never opens the case file.
            "open_cards": not access.may_look_up_any_contact(request.user),
        },
    )


def _detail(request, lead, **forms):
    managers = _managers(request.user)
    return render(
        request,
        "leads/detail.html",
        {
            "lead": lead,
            "assign_form": forms.get("assign_form")
            or (AssignForm(managers=managers) if managers and access.may_assign_leads(request.user) else None),
            "non_target_form": forms.get("non_target_form") or NonTargetForm(),
            "convert_form": forms.get("convert_form")
            or ConvertForm(
                managers=managers,
                initial={
                    "service_line": lead.service_line or "db",
                    "manager": request.user.pk,
                    "existing_client": bool(lead.client_id),
                    "last_name": (lead.name.split() or [""])[0],
                },
            ),
            "can_convert": bool(managers) and access.can_work_records(request.user),
            "contacts": selectors.non_target_contacts(request.user).filter(
                value__in=[v for v in (lead.phone_norm, lead.email_norm) if v]
            ),
        },
        status=400 if forms else 200,
    )


@login_required
def lead_detail_view(request, pk: int):
    return _detail(request, selectors.lead_get_for_user(request.user, pk))


@login_required
@require_POST
def lead_assign_view(request, pk: int):
    lead = selectors.lead_get_for_user(request.user, pk)
    managers = _managers(request.user)
    form = AssignForm(request.POST, managers=managers)
    if form.is_valid():
        manager = next(m for m in managers if m.pk == form.cleaned_data["manager"])
        try:
            services.lead_assign(lead=lead, manager=manager, by=request.user)
        except DomainError as exc:
            add_domain_error(form, exc)
            return _detail(request, lead, assign_form=form)
        messages.success(request, f"Лид передан: {manager.full_name}.")
        return redirect("leads:detail", pk=pk)
    return _detail(request, lead, assign_form=form)


@login_required
@require_POST
def lead_non_target_view(request, pk: int):
    lead = selectors.lead_get_for_user(request.user, pk)
    form = NonTargetForm(request.POST)
    if form.is_valid():
        try:
            services.lead_mark_non_target(lead=lead, by=request.user, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            add_domain_error(form, exc)
            return _detail(request, lead, non_target_form=form)
        messages.success(request, "Отмечено как нецелевое: следующие обращения с этого контакта уйдут офис-менеджеру.")
        return redirect("leads:detail", pk=pk)
    return _detail(request, lead, non_target_form=form)


def _client_data(d: dict) -> dict:
    if d["kind"] == "company":
        return {"kind": "company", "company_name": d["company_name"]}
    return {"last_name": d["last_name"], "first_name": d["first_name"], "patronymic": d["patronymic"]}


@login_required
@require_POST
def lead_convert_view(request, pk: int):
    lead = selectors.lead_get_for_user(request.user, pk)
    managers = _managers(request.user)
    form = ConvertForm(request.POST, managers=managers)
    if form.is_valid():
        d = form.cleaned_data
        manager = next(m for m in managers if m.pk == d["manager"])
        client = lead.client if d["existing_client"] and lead.client_id else None
        try:
            deal = services.lead_convert(
                lead=lead,
                by=request.user,
                service_line=d["service_line"],
                manager=manager,
                client=client,
                title=d["title"],
                client_data=None if client else _client_data(d),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
            return _detail(request, lead, convert_form=form)
        messages.success(request, "Сделка создана.")
        return redirect("deals:detail", pk=deal.pk)
    return _detail(request, lead, convert_form=form)


@login_required
def office_queue_view(request):
    if not access.may_keep_non_target_queue(request.user):
        raise PermissionDenied("Очередь нецелевых обращений ведёт офис-менеджер.")
    rows, _ = selectors.leads_page(request.user, office_queue=True)
    contacts = list(selectors.non_target_contacts(request.user)[:200])
    return render(request, "leads/office.html", {"rows": rows, "contacts": contacts})


@login_required
@require_POST
def non_target_lift_view(request, contact_id: int):
    # The call-centre reads the list (it routes by it) but does not lift marks: refused outright.
    if not access.may_keep_non_target_queue(request.user):
        raise PermissionDenied("Снять отметку может офис-менеджер, РОП или директор.")
    contact = get_object_or_404(selectors.non_target_contacts(request.user), pk=contact_id)
    try:
        services.non_target_lift(contact=contact, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Отметка снята: {contact.value}.")
    return redirect("leads:office")
