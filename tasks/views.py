"""Task pages: thin — parse the input, call tasks.services, show the result."""

import calendar
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from crm import cards
from crm.errors import DomainError
from crm.forms_util import add_domain_error
from crm.models import AuditEntry
from crm.services import audit_record
from tasks import selectors, services
from tasks.forms import (
    AttachmentForm,
    DeadlineForm,
    DecideForm,
    DelegateForm,
    EfficiencyForm,
    ObserverForm,
    PrForm,
    ReportAnswersForm,
    ReportScheduleForm,
    TaskForm,
    TextForm,
)
from tasks.models import ChecklistItem, Task, TaskAttachment


@login_required
def task_list_view(request):
    user = request.user
    tabs = selectors.tabs_for(user)
    tab = request.GET.get("tab", "mine")
    if tab not in dict(tabs):
        tab = "mine"
    status = request.GET.get("status", "open")
    if status not in selectors.STATUS_FILTERS:
        status = "open"
    form = request.GET.get("form", "")
    q = request.GET.get("q", "")
    rows, next_cursor = selectors.tasks_list(
        user, tab=tab, status=status, form=form, q=q, cursor=request.GET.get("cursor")
    )
    query = request.GET.copy()
    query.pop("cursor", None)
    context = {
        "tabs": tabs,
        "tab": tab,
        "status": status,
        "statuses": [(k, v[0]) for k, v in selectors.STATUS_FILTERS.items()],
        "forms": Task.Form.choices,
        "form_filter": form,
        "q": q,
        "rows": rows,
        "next_cursor": next_cursor,
        "query": query.urlencode(),
        "counts": selectors.tab_counts(user),
    }
    if request.htmx and request.GET.get("cursor"):
        return render(request, "tasks/_rows.html", context)
    return render(request, "tasks/list.html", context)


def _linked_deal(request, form):
    deal_id = form.cleaned_data.get("deal")
    if not deal_id:
        return None
    try:
        return selectors.deal_for_task(request.user, deal_id)
    except Http404:
        form.add_error("deal", "Сделки с таким номером у вас нет.")
        return False


@login_required
def task_create_view(request):
    initial = {"deal": request.GET.get("deal")} if request.GET.get("deal", "").isdigit() else None
    form = TaskForm(request.POST or None, request.FILES or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        deal = _linked_deal(request, form)
        if deal is not False:
            d = form.cleaned_data
            kwargs = {
                "author": request.user,
                "responsible": d["responsible"],
                "title": d["title"],
                "body": d["body"],
                "deadline": d["deadline"],
                "deadline_reason": d["deadline_reason"],
                "co_executors": form.co_executors(),
                "observers": list(d["observers"]),
                "checklist": form.checklist_lines(),
                "deal": deal,
            }
            try:
                with transaction.atomic():
                    if d["form"] == Task.Form.RZ:
                        task = services.rz_create(wanted_result=d["wanted_result"], **kwargs)
                    else:
                        task = services.task_create(wanted_result=d["wanted_result"], **kwargs)
                    for upload in d["files"]:
                        services.attachment_add(task=task, by=request.user, upload=upload)
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(
                    request, f"Задача поставлена: {task.responsible.short_name}, срок {task.deadline:%d.%m.%Y}."
                )
                return redirect("tasks:detail", pk=task.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "tasks/form.html", {"form": form}, status=status)


def _deal_choice(user, raw) -> list[tuple[int, str]]:
    """The deal already chosen (a form sent back with errors, a link from the deal card) as the select's option."""
    if not str(raw or "").isdigit():
        return []
    try:
        deal = selectors.deal_for_task(user, int(raw))
    except Http404:
        return []
    return [(deal.pk, deal_option_label(deal))]


def deal_option_label(deal) -> str:
    return f"{deal.client.display_name} — сделка № {deal.pk}, {deal.get_service_line_display().split(' — ')[0]}"


@login_required
def deal_options_view(request):
    """The ПР form's deal search (htmx): the <option>s of the deals the user may open matching `deal_q`."""
    deals = selectors.deals_to_pick(request.user, request.GET.get("deal_q", ""))
    return render(
        request,
        "tasks/_deal_options.html",
        {"options": [(d.pk, deal_option_label(d)) for d in deals], "searched": bool(request.GET.get("deal_q"))},
    )


@login_required
def pr_create_view(request):
    chosen = request.POST.get("deal") if request.method == "POST" else request.GET.get("deal")
    form = PrForm(
        request.POST or None,
        request.FILES or None,
        deal_choices=_deal_choice(request.user, chosen),
        initial={"deal": chosen} if str(chosen or "").isdigit() else None,
    )
    supervisor = request.user.supervisor
    if request.method == "POST" and form.is_valid():
        deal = _linked_deal(request, form)
        if deal is not False:
            d = form.cleaned_data
            try:
                task = services.pr_create(
                    author=request.user,
                    topic=d["topic"],
                    pr_kind=d["pr_kind"],
                    essence=d["essence"],
                    facts=d["facts"],
                    proposal=d["proposal"],
                    deal=deal,
                    attachments=d["files"],
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(
                    request, f"ПР подано: {task.responsible.short_name}, решение до {task.deadline:%d.%m.%Y}."
                )
                return redirect("tasks:detail", pk=task.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "tasks/pr_form.html",
        {"form": form, "supervisor": supervisor, "deadline": services.default_deadline()},
        status=status,
    )


def _card(request, task, status=200, **forms):
    user = request.user
    is_responsible = task.responsible_id == user.pk
    participants = list(task.participants.all())
    card = selectors.task_card(task)
    context = {
        "task": task,
        **card,
        "co_executors": [p for p in participants if p.role == "co_executor"],
        "observers": [p for p in participants if p.role == "observer"],
        "is_responsible": is_responsible,
        "is_author": task.author_id == user.pk,
        "comment_form": forms.get("comment") or TextForm(),
        "delegate_form": forms.get("delegate") or (DelegateForm(user=user) if is_responsible else None),
        "decide_form": forms.get("decide") or DecideForm(),
        "deadline_form": forms.get("deadline") or DeadlineForm(),
        "control_form": forms.get("control") or TextForm(),
        "observer_form": forms.get("observer") or ObserverForm(user=user),
        "attachment_form": forms.get("attachment") or AttachmentForm(),
        "report_form": forms.get("report") or ReportAnswersForm(questions=task.questions),
        "route": [e for e in card["events"] if e.kind in ROUTE_EVENTS],
        "report_pairs": list(zip(task.questions, task.answers, strict=False)),
        "error_panel": forms.get("panel", ""),
        # Apps above tasks add to the card (the invoice button on «Выставить счёт»).
        **cards.sections("task", user=user, obj=task),
    }
    return render(request, "tasks/detail.html", context, status=status)


# The events that show who held the task in turn (the ПР's climb up the chain).
ROUTE_EVENTS = ("created", "delegated", "escalated", "decided")


@login_required
def task_detail_view(request, pk: int):
    return _card(request, selectors.task_get_for_user(request.user, pk))


# Each action: (form class or None, the service call, the success message).
def _actions(user):
    return {
        "comment": (
            TextForm,
            lambda t, d: services.task_comment(task=t, by=user, text=d["text"]),
            "Комментарий добавлен.",
        ),
        "start": (None, lambda t, d: services.task_start(task=t, by=user), "Задача в работе."),
        "complete": (
            TextForm,
            lambda t, d: services.task_complete(task=t, by=user, text=d.get("text", "")),
            "Задача выполнена.",
        ),
        "accept": (None, lambda t, d: services.task_accept(task=t, by=user), "Работа принята."),
        "return": (
            TextForm,
            lambda t, d: services.task_return(task=t, by=user, text=d["text"]),
            "Задача возвращена на доработку.",
        ),
        "defer": (TextForm, lambda t, d: services.task_defer(task=t, by=user, text=d["text"]), "Задача отложена."),
        "decline": (TextForm, lambda t, d: services.task_decline(task=t, by=user, text=d["text"]), "Задача отклонена."),
        "answer": (TextForm, lambda t, d: services.pr_answer(task=t, by=user, text=d["text"]), "ПР дополнено."),
        "delegate": (
            DelegateForm,
            lambda t, d: services.task_delegate(task=t, by=user, to=d["to"], text=d["text"]),
            "Задача передана, вы теперь наблюдатель.",
        ),
        "decide": (
            DecideForm,
            lambda t, d: services.task_decide(task=t, by=user, decision=d["decision"], text=d["text"]),
            "Решение записано.",
        ),
        "deadline": (
            DeadlineForm,
            lambda t, d: services.task_set_deadline(task=t, by=user, deadline=d["deadline"], reason=d["reason"]),
            "Срок изменён.",
        ),
        "observer": (
            ObserverForm,
            lambda t, d: services.task_add_observer(task=t, by=user, user=d["user"]),
            "Наблюдатель добавлен.",
        ),
    }


FORM_SLOT = {
    "comment": "comment",
    "complete": "control",
    "return": "control",
    "defer": "control",
    "decline": "control",
    "answer": "comment",
    "delegate": "delegate",
    "decide": "decide",
    "deadline": "deadline",
    "observer": "observer",
}
NEEDS_USER = (DelegateForm, ObserverForm)
OPTIONAL_TEXT = ("complete",)


@login_required
@require_POST
def task_action_view(request, pk: int, action: str):
    task = selectors.task_get_for_user(request.user, pk)
    actions = _actions(request.user)
    if action not in actions:
        raise Http404
    form_class, call, success = actions[action]
    form = None
    data = {}
    if form_class is not None:
        kwargs = {"user": request.user} if form_class in NEEDS_USER else {}
        form = form_class(request.POST, **kwargs)
        if action in OPTIONAL_TEXT:
            form.fields["text"].required = False
        if not form.is_valid():
            return _card(request, task, status=400, **{FORM_SLOT[action]: form, "panel": action})
        data = form.cleaned_data
    try:
        call(task, data)
    except DomainError as exc:
        if form is None:
            messages.error(request, exc.message)
            return redirect("tasks:detail", pk=pk)
        if exc.code in ("forbidden", "state", "closed"):
            # Not a matter of one field: say it at the top of the card.
            messages.error(request, exc.message)
            return _card(request, task, status=400)
        add_domain_error(form, exc)
        return _card(request, task, status=400, **{FORM_SLOT[action]: form, "panel": action})
    messages.success(request, success)
    if action == "delegate":
        return redirect("tasks:list")
    return redirect("tasks:detail", pk=pk)


@login_required
@require_POST
def checklist_toggle_view(request, pk: int, item_id: int):
    task = selectors.task_get_for_user(request.user, pk)
    item = ChecklistItem.objects.filter(task=task, pk=item_id).first()
    if item is None:
        raise Http404
    try:
        services.checklist_toggle(item=item, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("tasks:detail", pk=pk)


@login_required
@require_POST
def attachment_add_view(request, pk: int):
    task = selectors.task_get_for_user(request.user, pk)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            with transaction.atomic():
                for upload in form.cleaned_data["files"]:
                    services.attachment_add(task=task, by=request.user, upload=upload)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "Файлы прикреплены.")
            return redirect("tasks:detail", pk=pk)
    return _card(request, task, status=400, attachment=form, panel="attachment")


@login_required
def attachment_download_view(request, pk: int, attachment_id: int):
    task = selectors.task_get_for_user(request.user, pk)
    attachment = TaskAttachment.objects.filter(task=task, pk=attachment_id).first()
    if attachment is None:
        raise Http404
    # Task files may hold clients' documents: who opened what is kept.
    audit_record(
        actor=request.user, action=AuditEntry.Action.VIEW_PERSONAL_DATA, target=attachment, target_repr=attachment.name
    )
    return FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.name)


@login_required
@require_POST
def report_submit_view(request, pk: int):
    task = selectors.task_get_for_user(request.user, pk)
    form = ReportAnswersForm(request.POST, questions=task.questions)
    if form.is_valid():
        try:
            services.report_submit(task=task, by=request.user, answers=form.answers())
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "Отчёт сдан.")
            return redirect("tasks:detail", pk=pk)
    return _card(request, task, status=400, report=form, panel="report")


@login_required
def reports_view(request):
    subordinates = selectors.subordinates_of(request.user)
    form = ReportScheduleForm(request.POST or None, subordinates=subordinates)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.report_schedule_create(
                by=request.user,
                responsible=d["responsible"],
                title=d["title"],
                questions=form.question_lines(),
                period=d["period"],
                weekday=d["weekday"],
                month_day=d["month_day"],
                deadline_working_days=d["deadline_working_days"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "Регулярный отчёт назначен.")
            return redirect("tasks:reports")
    schedules = list(
        selectors.report_schedules_for(request.user).order_by("-is_active", "responsible__full_name")[:200]
    )
    return render(
        request,
        "tasks/reports.html",
        {"form": form, "schedules": schedules, "can_assign": subordinates.exists()},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def report_stop_view(request, pk: int):
    schedule = selectors.report_schedule_get_for_user(request.user, pk)
    try:
        services.report_schedule_stop(schedule=schedule, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Отчёт больше не будет создаваться.")
    return redirect("tasks:reports")


@login_required
def efficiency_view(request):
    # The current month by default, its end included: tasks due later this month count too, and
    # the fields show the period instead of blanks (a day's window showed an empty table).
    today = timezone.localdate()
    date_from = today.replace(day=1)
    date_to = today.replace(day=calendar.monthrange(today.year, today.month)[1])
    form = EfficiencyForm(request.GET or None, initial={"date_from": date_from, "date_to": date_to})
    if form.is_valid():
        date_from = form.cleaned_data["date_from"] or date_from
        date_to = form.cleaned_data["date_to"] or date_to
    if date_to < date_from:
        date_from, date_to = date_to, date_from
    date_to = min(date_to, date_from + timedelta(days=366))
    rows = selectors.efficiency(request.user, date_from=date_from, date_to=date_to)
    # A date out of the period's years (a typo, a hand-edited link) keeps the default period
    # and says why, rather than the figures for a period nobody asked for without a word.
    period_errors = sorted({e for name in ("date_from", "date_to") for e in form.errors.get(name, ())})
    return render(
        request,
        "tasks/efficiency.html",
        {"form": form, "rows": rows, "date_from": date_from, "date_to": date_to, "period_errors": period_errors},
        status=400 if period_errors else 200,
    )
