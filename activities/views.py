"""«Мои дела», calendars, booking, abandoned clients and the pool: thin views over the services."""

import contextlib
from datetime import datetime, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from activities import ics
from activities import selectors as activity_selectors
from activities import services as activity_services
from activities.forms import (
    BookForm,
    BookingDayForm,
    CalendarForm,
    CancelForm,
    DoneForm,
    LostForm,
    PlanForm,
    PoolRuleForm,
    ReanimateForm,
    RescheduleForm,
)
from activities.models import PoolRule
from clients.models import Client
from clients.selectors import client_get_for_user, contact_lookup
from crm import access
from crm import selectors as crm_selectors
from crm.errors import DomainError
from crm.forms_util import add_domain_error
from crm.http import safe_next
from crm.phones import normalize_phone
from deals.selectors import managers_for_assignment
from leads.selectors import lead_get_for_user, leads_by_contact


@login_required
def my_day_view(request):
    day = activity_selectors.my_day(request.user)
    return render(
        request,
        "activities/my_day.html",
        {
            "day": day,
            "rule": activity_selectors.rule_summary(request.user),
            "done_form": DoneForm(),
            "now": timezone.localtime(),
            "decides_abandoned": access.may_decide_abandoned(request.user),
        },
    )


@login_required
@require_POST
def activity_done_view(request, pk: int):
    activity = activity_selectors.activity_get_for_user(request.user, pk)
    form = DoneForm(request.POST)
    if form.is_valid():
        try:
            activity_services.activity_complete(
                activity=activity, by=request.user, result=form.cleaned_data["result"], next_plan=form.next_plan()
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Дело закрыто." + (" Следующее запланировано." if form.next_plan() else ""))
    else:
        errors = "; ".join(e for errs in form.errors.values() for e in errs)
        messages.error(request, f"Дело не закрыто: {errors}")
    return redirect(safe_next(request, "activities:my_day"))


@login_required
def activity_plan_view(request, client_pk: int):
    client = client_get_for_user(request.user, client_pk)
    if not access.can_plan_activity_for(request.user, client):
        raise PermissionDenied(activity_services.PLAN_FORBIDDEN)
    form = PlanForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            activity_services.activity_plan(
                by=request.user,
                kind=d["kind"],
                planned_at=d["planned_at"],
                client=client,
                subject=d["subject"],
                direction=d["direction"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "Дело запланировано.")
            return redirect("clients:client_detail", pk=client.pk)
    return render(
        request,
        "activities/plan.html",
        {"client": client, "form": form},
        status=400 if request.method == "POST" else 200,
    )


def _date_errors(form) -> list[str]:
    """The reasons a day in the address was refused, each followed by what is shown instead."""
    return [f"{e} Показан сегодняшний день." for e in form.errors.get("date", [])]


@login_required
def calendar_view(request, pk: int | None = None):
    """A manager's day or week; everyone on staff may read it."""
    owners = list(activity_selectors.calendar_owners(request.user))
    if pk is None:
        owner_id = request.GET.get("owner", "")
        if owner_id.isdigit():
            query = {k: v for k, v in request.GET.items() if k in ("view", "date")}
            url = reverse("activities:calendar_of", args=[int(owner_id)])
            return redirect(url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""))
        if access.has_calendar(request.user) or access.keeps_court_calendar(request.user):
            return redirect("activities:calendar_of", pk=request.user.pk)
        if not owners:
            raise Http404
        return redirect("activities:calendar_of", pk=owners[0].pk)
    owner = activity_selectors.calendar_get_owner(request.user, pk)
    form = CalendarForm(request.GET)
    refused = not form.is_valid()  # a typo like 9999-12-31: today's page with the reason, not a 500
    view = form.cleaned_data.get("view") or "week"
    day = form.cleaned_data.get("date") or timezone.localdate()
    start = day - timedelta(days=day.weekday()) if view == "week" else day
    days = [start + timedelta(days=i) for i in range(7 if view == "week" else 1)]
    entries = activity_selectors.calendar_entries(request.user, owner, days[0], days[-1] + timedelta(days=1))
    by_day = {d: [] for d in days}
    for e in entries:
        by_day.setdefault(timezone.localtime(e.planned_at).date(), []).append(e)
    hearings = activity_selectors.calendar_hearings(request.user, owner, days[0], days[-1] + timedelta(days=1))
    hearings_by_day = {}
    for h in hearings:
        hearings_by_day.setdefault(timezone.localtime(h.at).date(), []).append(h)
    if owner.pk not in {o.pk for o in owners}:
        owners = [owner, *owners]  # a lawyer's own court calendar is not among the bookable ones
    step = timedelta(days=7 if view == "week" else 1)
    return render(
        request,
        "activities/calendar.html",
        {
            "owner": owner,
            "owners": owners,
            "view": view,
            "day": day,
            "days": [(d, by_day.get(d, [])) for d in days],
            # The same days with the court hearings beside the entries (a lawyer's calendar).
            "calendar_days": [(d, by_day.get(d, []), hearings_by_day.get(d, [])) for d in days],
            "court_calendar": access.keeps_court_calendar(owner),
            "branch_calendars": access.offers_branch_calendars(request.user),
            "prev": (start - step).isoformat(),
            "next": (start + step).isoformat(),
            "today": timezone.localdate(),
            "can_book": access.can_book_for(request.user, owner),
            "date_errors": _date_errors(form),
        },
        status=400 if refused else 200,
    )


@login_required
def calendar_branch_view(request):
    """The branch's calendars side by side for one day (one column per manager): its head, director, admin."""
    if not access.offers_branch_calendars(request.user):
        raise PermissionDenied("Календари филиала рядом видят РОП филиала, директор и администратор.")
    branches = [
        b
        for b in crm_selectors.branches_visible_to(request.user).filter(is_active=True)
        if access.may_see_branch_calendars(request.user, b.pk)
    ]
    if not branches:
        raise PermissionDenied("Календари филиала рядом видят РОП филиала, директор и администратор.")
    branch_id = request.GET.get("branch", "")
    branch = next((b for b in branches if str(b.pk) == branch_id), None) or next(
        (b for b in branches if b.pk == request.user.branch_id), branches[0]
    )
    day_form = BookingDayForm(request.GET)
    refused = not day_form.is_valid()
    day = day_form.cleaned_data.get("date") or timezone.localdate()
    columns = activity_selectors.branch_calendars_day(request.user, branch=branch, day=day)
    return render(
        request,
        "activities/calendar_branch.html",
        {
            "branches": branches,
            "branch": branch,
            "day": day,
            "columns": columns,
            "today": timezone.localdate(),
            "prev": (day - timedelta(days=1)).isoformat(),
            "next": (day + timedelta(days=1)).isoformat(),
            "date_errors": _date_errors(day_form),
        },
        status=400 if refused else 200,
    )


@login_required
def calendar_ics_view(request, pk: int):
    owner = activity_selectors.calendar_get_owner(request.user, pk)
    today = timezone.localdate()
    entries = activity_selectors.calendar_entries(
        request.user, owner, today - timedelta(days=30), today + timedelta(days=90)
    )
    response = HttpResponse(ics.calendar(owner, entries), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="calendar-{owner.username}.ics"'
    return response


@login_required
def booking_view(request):
    """The call-centre's grid: every manager of a branch side by side, free slots clickable."""
    if not access.may_book_meetings(request.user):
        raise PermissionDenied("Записывают на встречи менеджеры, РОП, директор, колл-центр и офис-менеджер.")
    branches = list(crm_selectors.branches_visible_to(request.user).filter(is_active=True))
    if not branches:
        raise PermissionDenied
    lead_id = request.GET.get("lead", "")
    # Booking for a lead (from the intake or the lead's card): whom for, and their branch by default.
    for_lead = lead_get_for_user(request.user, lead_id) if lead_id else None
    branch_id = request.GET.get("branch", "") or str(for_lead.branch_id if for_lead else "")
    branch = next((b for b in branches if str(b.pk) == branch_id), None) or next(
        (b for b in branches if b.pk == request.user.branch_id), branches[0]
    )
    day_form = BookingDayForm(request.GET)
    refused = not day_form.is_valid()
    day = day_form.cleaned_data.get("date") or timezone.localdate()
    grid = activity_selectors.free_slots(request.user, branch=branch, day=day)
    bookable = {m.manager.pk for m in grid if access.can_book_for(request.user, m.manager)}
    return render(
        request,
        "activities/booking.html",
        {
            "branches": branches,
            "branch": branch,
            "day": day,
            "grid": grid,
            "bookable": bookable,
            "prev": (day - timedelta(days=1)).isoformat(),
            "next": (day + timedelta(days=1)).isoformat(),
            "lead": request.GET.get("lead", ""),
            "client": request.GET.get("client", ""),
            "for_lead": for_lead,
            "date_errors": _date_errors(day_form),
        },
        status=400 if refused else 200,
    )


def _booking_subject(request, form):
    """The client or lead the meeting is for: by lead, by client card, or by phone."""

    d = form.cleaned_data
    if d.get("lead"):
        lead = lead_get_for_user(request.user, d["lead"])
        return {"lead": lead, "client": lead.client}
    if d.get("client"):
        client = activity_selectors.client_for_booking(request.user, d["client"])
        if client is None:
            raise Http404
        return {"client": client}
    phone = d.get("phone", "")
    found = contact_lookup(request.user, phone=phone)
    if found:
        return {"client": found[0]}
    # A caller saved a minute ago is an open lead, not a client yet: the meeting is booked for the lead.
    earlier = leads_by_contact(request.user, phone_norm=normalize_phone(phone))
    if earlier:
        return {"lead": earlier[0], "client": earlier[0].client}
    raise DomainError(
        "Ни клиента, ни открытого обращения с таким телефоном не найдено: сначала заведите обращение.", field="phone"
    )


@login_required
def booking_new_view(request):
    initial = {
        "manager": request.GET.get("manager"),
        "lead": request.GET.get("lead") or None,
        "client": request.GET.get("client") or None,
    }
    start = request.GET.get("start")
    if start:
        with contextlib.suppress(ValueError, OverflowError):  # a bad link opens an empty form
            initial["starts_at"] = timezone.localtime(datetime.fromisoformat(start))
    form = BookForm(request.POST or None, initial=initial)
    manager = None
    manager_id = (request.POST or request.GET).get("manager", "")
    if manager_id.isdigit():
        manager = activity_selectors.calendar_owners(request.user).filter(pk=int(manager_id)).first()
    if manager is None:
        raise Http404
    if not access.can_book_for(request.user, manager):
        raise PermissionDenied("Вы не можете записывать к этому менеджеру.")
    if request.method == "POST" and form.is_valid():
        try:
            subject = _booking_subject(request, form)
            activity = activity_services.meeting_book(
                by=request.user,
                manager=manager,
                starts_at=form.cleaned_data["starts_at"],
                ends_at=form.ends_at(),
                kind=form.cleaned_data["kind"],
                location=form.cleaned_data["location"],
                subject=form.cleaned_data["subject"],
                **subject,
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            local = timezone.localtime(activity.planned_at)
            messages.success(request, f"Записано: {manager.short_name}, {local:%d.%m.%Y %H:%M}, {activity.who}.")
            query = f"?branch={manager.branch_id}&date={local.date().isoformat()}"
            return redirect(reverse("activities:booking") + query)
    return render(
        request,
        "activities/book.html",
        {"form": form, "manager": manager},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def activity_detail_view(request, pk: int):
    activity = activity_selectors.activity_get_for_user(request.user, pk)
    return _activity_page(request, activity)


def _activity_page(request, activity, status=200, **forms):
    return render(
        request,
        "activities/detail.html",
        {
            "a": activity,
            # The result and the close-out form: only for those who may open the client's case file.
            "details": access.may_see_activity_details(request.user, activity),
            "can_change": access.can_book_for(request.user, activity.responsible)
            or request.user.pk == activity.responsible_id,
            "reschedule_form": forms.get("reschedule")
            or RescheduleForm(
                initial={
                    "starts_at": timezone.localtime(activity.planned_at),
                    "duration": int((activity.ends_at - activity.planned_at).total_seconds() // 60)
                    if activity.ends_at
                    else 60,
                }
            ),
            "cancel_form": forms.get("cancel") or CancelForm(),
            "done_form": DoneForm(),
        },
        status=status,
    )


@login_required
@require_POST
def activity_reschedule_view(request, pk: int):
    activity = activity_selectors.activity_get_for_user(request.user, pk)
    form = RescheduleForm(request.POST)
    if form.is_valid():
        starts = form.cleaned_data["starts_at"]
        try:
            activity_services.meeting_reschedule(
                activity=activity,
                by=request.user,
                starts_at=starts,
                ends_at=starts + timedelta(minutes=form.cleaned_data["duration"]),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "Встреча перенесена.")
            return redirect("activities:activity_detail", pk=pk)
    return _activity_page(request, activity, status=400, reschedule=form)


@login_required
@require_POST
def activity_cancel_view(request, pk: int):
    activity = activity_selectors.activity_get_for_user(request.user, pk)
    form = CancelForm(request.POST)
    form.is_valid()
    try:
        activity_services.meeting_cancel(activity=activity, by=request.user, reason=form.cleaned_data.get("reason", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
        return _activity_page(request, activity, status=400)
    messages.success(request, "Отменено.")
    return redirect("activities:activity_detail", pk=pk)


# --- abandoned, pool, lost ----------------------------------------------------------------


def _managers_for(user):
    return managers_for_assignment(user)


STATES = {
    "abandoned": ("Заброшенные клиенты", Client.Status.ABANDONED),
    "pool": ("Отстойник", Client.Status.POOL),
    "lost": ("Потеряны окончательно", Client.Status.LOST),
}
STATE_TABS = {"abandoned": "Заброшенные", "pool": "Отстойник", "lost": "Потеряны"}


@login_required
def clients_state_view(request, state: str):
    if state not in STATES or state not in access.client_states_for(request.user):
        raise Http404
    title, status = STATES[state]
    rows = list(activity_selectors.clients_in_state(request.user, status)[:200])
    can_decide = access.may_decide_abandoned(request.user)
    sets_rule = state == "pool" and access.may_set_pool_rule(request.user, request.user.branch_id)
    rule = PoolRule.objects.filter(branch_id=request.user.branch_id).first() if sets_rule else None
    # Lost clients never come back: their page offers no reanimation.
    reanimate_form = ReanimateForm(managers=_managers_for(request.user)) if can_decide and state != "lost" else None
    return render(
        request,
        "activities/clients_state.html",
        {
            "title": title,
            "state": state,
            "rows": rows,
            "can_decide": can_decide,
            "reanimate_form": reanimate_form,
            # The managers, read once for every row's form (the choices would query again per row).
            "reanimate_choices": list(reanimate_form.fields["manager"].choices) if reanimate_form else [],
            "lost_form": LostForm(),
            "can_mark_lost": access.may_decide_lost(request.user),
            "rule": rule,
            "rule_form": PoolRuleForm(
                initial={"per_manager": rule.per_manager, "every_days": rule.every_days, "is_active": rule.is_active}
                if rule
                else None
            ),
            "show_rule_form": sets_rule,
            "tabs": [(s, label) for s, label in STATE_TABS.items() if s in access.client_states_for(request.user)],
            # Without case files (the office manager) a row opens the contact card.
            "contact_only": not access.may_see_deals(request.user),
        },
    )


def _client_for_decision(request, pk: int) -> Client:
    client = Client.objects.filter(pk=pk).select_related("branch").first()
    if client is None or not access.can_manage_branch(request.user, client.branch_id):
        raise Http404
    return client


@login_required
@require_POST
def client_reanimate_view(request, pk: int):
    client = _client_for_decision(request, pk)
    form = ReanimateForm(request.POST, managers=_managers_for(request.user))
    if form.is_valid():
        try:
            activity_services.client_reanimate(
                client=client,
                by=request.user,
                manager=form.cleaned_data["manager"],
                planned_at=form.cleaned_data["planned_at"],
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request, f"{client.display_name}: на реанимации у {form.cleaned_data['manager'].short_name}."
            )
    else:
        messages.error(request, "Выберите менеджера и время звонка.")
    return redirect(safe_next(request, reverse("activities:clients_state", args=["abandoned"])))


@login_required
@require_POST
def client_to_pool_view(request, pk: int):
    client = _client_for_decision(request, pk)
    try:
        activity_services.client_to_pool(client=client, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{client.display_name} перенесён в отстойник.")
    return redirect(safe_next(request, reverse("activities:clients_state", args=["abandoned"])))


@login_required
@require_POST
def client_lost_view(request, pk: int):
    client = _client_for_decision(request, pk)
    if not access.may_mark_lost(request.user, client.branch_id):
        raise PermissionDenied("«Потерян окончательно» решает РОП или директор.")
    form = LostForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Укажите причину.")
    else:
        try:
            activity_services.client_mark_lost(client=client, by=request.user, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"{client.display_name}: потерян окончательно.")
    return redirect(safe_next(request, reverse("activities:clients_state", args=["abandoned"])))


@login_required
@require_POST
def pool_rule_view(request):
    if request.user.branch_id is None:
        raise Http404
    form = PoolRuleForm(request.POST)
    if form.is_valid():
        try:
            activity_services.pool_rule_set(by=request.user, branch=request.user.branch, **form.cleaned_data)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Правило раздачи сохранено.")
    else:
        messages.error(request, "Проверьте числа правила раздачи.")
    return redirect("activities:clients_state", state="pool")
