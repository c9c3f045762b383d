from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from clients import selectors as client_selectors
from clients.models import Client
from clients.selectors import contact_lookup
from crm import access, cards
from crm import selectors as crm_selectors
from crm.errors import DomainError
from crm.forms_util import add_domain_error
from crm.http import safe_next
from crm.models import User
from crm.phones import normalize_email, normalize_phone
from leads import selectors, services
from leads.forms import AssignForm, CloseForm, ConvertForm, LeadIntakeForm, MergeForm, NonTargetForm
from leads.models import Lead

OPEN = (Lead.Status.NEW, Lead.Status.IN_WORK)


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
        initial={
            "assigned_to": request.user.pk if [m.pk for m in managers] == [request.user.pk] else None,
            # From a search hit: a known contact's new request.
            "phone": request.GET.get("phone", "")[:32],
            "email": request.GET.get("email", "")[:254],
        },
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        manager = next((m for m in managers if m.pk == d["assigned_to"]), None)
        branch = next((b for b in branches if b.pk == d["branch"]), None)
        try:
            lead, created = services.lead_create(
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
            elif not created:
                messages.success(request, f"Повторное обращение добавлено к открытому лиду №{lead.pk}.")
            else:
                messages.success(request, "Обращение сохранено.")
            books = access.may_book_meetings(request.user) and not lead.routed_to_office
            if books and request.POST.get("then") == "book":
                # «Сохранить и записать»: straight to the free slots, each booking for this lead.
                return redirect(_booking_url(lead))
            if selectors.leads_visible_to(request.user).filter(pk=lead.pk).exists():
                return redirect("leads:detail", pk=lead.pk)
            return redirect("leads:new")
    return render(request, "leads/new.html", {"form": form}, status=400 if form.errors else 200)


def _booking_url(lead: Lead) -> str:
    """The free-slot grid of the lead's branch, each slot booking for this lead."""
    query = {"lead": lead.pk}
    if lead.branch_id:
        query["branch"] = lead.branch_id
    return reverse("activities:booking") + "?" + urlencode(query)


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


def _convert_initial(request, lead) -> dict:
    """The conversion form as the lead left it: the caller's name split into the card's fields.

    A name said as one word is the first name (callers introduce themselves so);
    «Фамилия Имя [Отчество]» fills all three. The manager is the lead's own
    when the user may open a case for them, else the user.
    """
    parts = lead.name.split()
    names: dict = {}
    if len(parts) == 1:
        names = {"first_name": parts[0]}
    elif parts:
        names = {"last_name": parts[0], "first_name": parts[1], "patronymic": " ".join(parts[2:])}
    assignee = lead.assigned_to if lead.assigned_to_id else None
    manager = assignee if assignee and access.may_open_case_for(request.user, assignee) else request.user
    return {
        "service_line": lead.service_line or "db",
        "manager": manager.pk,
        "existing_client": bool(lead.client_id),
        **names,
    }


def _detail(request, lead, **forms):
    managers = _managers(request.user)
    return render(
        request,
        "leads/detail.html",
        {
            "lead": lead,
            "history": selectors.lead_history(lead),
            "booking_url": _booking_url(lead)
            if access.may_book_meetings(request.user) and lead.status in OPEN and not lead.routed_to_office
            else "",
            "may_merge": access.may_merge_lead(request.user, lead) and not lead.merged_into_id,
            "assign_form": forms.get("assign_form")
            or (AssignForm(managers=managers) if managers and access.may_assign_leads(request.user) else None),
            "non_target_form": forms.get("non_target_form") or NonTargetForm(),
            "close_form": (forms.get("close_form") or CloseForm())
            if access.may_close_lead(request.user, lead) and lead.status in (*OPEN, Lead.Status.NON_TARGET)
            else None,
            "convert_form": forms.get("convert_form")
            or ConvertForm(managers=managers, initial=_convert_initial(request, lead)),
            "can_convert": bool(managers) and access.can_work_records(request.user),
            "contacts": selectors.non_target_contacts(request.user).filter(
                value__in=[v for v in (lead.phone_norm, lead.email_norm) if v]
            ),
            **cards.sections("lead", user=request.user, obj=lead),
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


@login_required
@require_POST
def lead_close_view(request, pk: int):
    """Close a request without a deal, with the reason: from the office queue or the lead's card."""
    lead = selectors.lead_get_for_user(request.user, pk)
    if not access.may_close_lead(request.user, lead):
        raise PermissionDenied("Закрыть это обращение вы не можете.")
    form = CloseForm(request.POST)
    if form.is_valid():
        try:
            services.lead_close(lead=lead, by=request.user, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"Обращение №{lead.pk} закрыто без сделки.")
            return redirect(safe_next(request, reverse("leads:detail", args=[pk])))
    return _detail(request, lead, close_form=form)


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


# --- merging duplicates ----------------------------------------------------------------------


def _require_merge(user) -> None:
    if not access.may_merge_duplicates(user):
        raise PermissionDenied(services.MERGE_FORBIDDEN)


def _merge_page(request, *, record, candidates, kind: str, merge):
    """GET: the record, its likely duplicates and the form; POST: merge and open the survivor."""
    form = MergeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            survivor = merge(other_pk=d["other"], keep_this=d["keep"] == "this")
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "Дубликаты объединены.")
            return survivor
    return render(
        request,
        "leads/merge.html",
        {"record": record, "candidates": candidates, "form": form, "kind": kind},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def lead_merge_view(request, pk: int):
    _require_merge(request.user)
    lead = selectors.mergeable_lead(request.user, pk)

    def merge(*, other_pk: int, keep_this: bool):
        other = selectors.mergeable_lead(request.user, other_pk)
        survivor, gone = (lead, other) if keep_this else (other, lead)
        return services.lead_merge(survivor=survivor, other=gone, by=request.user)

    result = _merge_page(
        request, record=lead, candidates=selectors.merge_candidates(request.user, lead), kind="lead", merge=merge
    )
    return redirect("leads:detail", pk=result.pk) if isinstance(result, Lead) else result


@login_required
def client_merge_view(request, pk: int):
    _require_merge(request.user)
    client = client_selectors.client_for_merge(request.user, pk)

    def merge(*, other_pk: int, keep_this: bool):
        other = client_selectors.client_for_merge(request.user, other_pk)
        survivor, gone = (client, other) if keep_this else (other, client)
        return services.client_merge(survivor=survivor, other=gone, by=request.user)

    result = _merge_page(
        request,
        record=client,
        candidates=client_selectors.client_merge_candidates(request.user, client),
        kind="client",
        merge=merge,
    )
    if isinstance(result, Client):
        # The office manager may merge a card it may not open: back to the merge page of the survivor then.
        if access.may_open_client(request.user, result):
            return redirect("clients:client_detail", pk=result.pk)
        return redirect("leads:client_merge", pk=result.pk)
    return result
