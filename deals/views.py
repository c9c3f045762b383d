from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from clients.selectors import client_timeline
from crm import access, cards
from crm import selectors as crm_selectors
from crm.errors import DomainError
from crm.forms_util import add_domain_error
from crm.http import client_ip
from crm.money import rub
from crm.pipelines import COLUMNS, REQUIRED_FIELDS, ServiceLine, Stage, allowed_targets
from deals import selectors, services
from deals.forms import (
    CaseForm,
    CreditorForm,
    DealListFilterForm,
    HearingForm,
    IncomingFilterForm,
    IncomingForm,
    NewDealForm,
    PaymentForm,
    ReassignForm,
    RegisterFilterForm,
    ScheduleForm,
    StageFieldsForm,
)
from deals.incoming_excel import incoming_export
from deals.payments_excel import ImportRefused, payments_export, payments_import, register_export
from tasks.models import Task
from tasks.selectors import tasks_visible_to


def _require_case_files(user) -> None:
    if not access.may_see_deals(user):
        raise PermissionDenied("Сделки открывают менеджеры, РОП, юристы и директор.")


def _scope_params(request):
    """Board/list narrowing a head or director may pick; others are scoped by the rules anyway."""

    def as_int(name):
        value = request.GET.get(name, "")
        return int(value) if value.isdigit() else None

    return {"manager_id": as_int("manager"), "branch_id": as_int("branch")}


def _scope_choices(user):
    branches = crm_selectors.branches_visible_to(user) if access.sees_everything(user) else []
    # (id, name) pairs, not model rows: a director's filter lists hundreds of managers on every page.
    managers = list(selectors.managers_for_assignment(user).values_list("pk", "full_name"))
    return branches, managers


@login_required
def board_view(request, line: str):
    _require_case_files(request.user)
    scope = _scope_params(request)
    columns = selectors.board(request.user, service_line=line, **scope)
    branches, managers = _scope_choices(request.user)
    return render(
        request,
        "deals/board.html",
        {
            "line": line,
            "line_label": ServiceLine(line).label,
            "columns": columns,
            "lines": ServiceLine,
            "branches": branches,
            "managers": managers,
            "scope": scope,
            "scope_query": request.GET.urlencode(),
            "can_open_deals": access.can_work_records(request.user),
        },
    )


@login_required
def board_column_view(request, line: str, stage: str):
    _require_case_files(request.user)
    if stage not in COLUMNS.get(line, ()):
        return HttpResponse(status=404)
    deals, next_cursor = selectors.board_column(
        request.user, stage=stage, cursor=request.GET.get("cursor"), **_scope_params(request)
    )
    query = request.GET.copy()
    query.pop("cursor", None)
    return render(
        request,
        "deals/_board_cards.html",
        {
            "deals": deals,
            "next_cursor": next_cursor,
            "line": line,
            "stage": stage,
            "scope_query": query.urlencode(),
        },
    )


@login_required
def deal_list_view(request):
    _require_case_files(request.user)
    branches, managers = _scope_choices(request.user)
    form = DealListFilterForm(request.GET or None, branches=branches, managers=managers)
    f = form.cleaned_data if form.is_valid() else {}
    rows, next_cursor = selectors.deals_filtered(
        request.user,
        branch_id=f.get("branch"),
        manager_id=f.get("manager"),
        stage=f.get("stage"),
        service_line=f.get("service_line"),
        source=f.get("source"),
        created_from=f.get("created_from"),
        created_to=f.get("created_to"),
        q=f.get("q", ""),
        sort=f.get("sort") or "new",
        cursor=f.get("cursor"),
    )
    next_query = ""
    if next_cursor:
        query = request.GET.copy()
        query["cursor"] = next_cursor
        next_query = query.urlencode()
    template = "deals/_list_rows.html" if request.htmx and request.GET.get("cursor") else "deals/list.html"
    return render(request, template, {"form": form, "rows": rows, "next_query": next_query})


def _stage_bar(deal) -> list[tuple[str, str, str]]:
    """The card's stage bar: stages passed («done»), the current one, the ones ahead."""
    stages = COLUMNS[deal.service_line]
    main = [s for s in stages if not s.endswith("terminated")]
    position = main.index(deal.stage) if deal.stage in main else None
    bar = []
    for s in stages:
        if s == deal.stage:
            state = "current"
        elif position is not None and s in main and main.index(s) < position:
            state = "done"
        else:
            state = ""
        bar.append((s, Stage(s).label, state))
    return bar


def _card_context(request, deal, **extra):
    managers = selectors.managers_for_assignment(request.user)
    return {
        "deal": deal,
        "deal_tasks": list(
            tasks_visible_to(request.user)
            .filter(deal=deal, status__in=Task.OPEN)
            .select_related("responsible")
            .order_by("deadline", "pk")[:10]
        ),
        # The deal's planned «дела» come from activities, an app above deals.
        **cards.sections("deal", user=request.user, obj=deal),
        "money": selectors.deal_money(deal),
        "debts": selectors.deal_debts(deal),
        "timeline": client_timeline(deal.client, deal=deal),
        "columns": _stage_bar(deal),
        "targets": [(t, Stage(t).label) for t in allowed_targets(deal.stage)],
        "payment_form": extra.pop("payment_form", None) or PaymentForm(),
        "schedule_form": extra.pop("schedule_form", None) or ScheduleForm(),
        "case_form": extra.pop("case_form", None) or CaseForm(instance=deal),
        "creditor_form": extra.pop("creditor_form", None) or CreditorForm(),
        "hearing_form": extra.pop("hearing_form", None) or HearingForm(),
        "reassign_form": ReassignForm(managers=managers) if managers else None,
        "incoming": selectors.incoming_of_deal(deal),
        "incoming_form": extra.pop("incoming_form", None) or _incoming_form(request, deal),
        "can_work": access.may_do_court_work(request.user),
        **extra,
    }


def _incoming_form(request, deal, data=None, files=None) -> IncomingForm:
    responsibles = list(selectors.incoming_responsibles(request.user, deal).values_list("pk", "full_name"))
    initial = {"received_on": timezone.localdate(), "responsible": deal.manager_id}
    return IncomingForm(data, files, initial=initial, responsibles=responsibles)


@login_required
def deal_detail_view(request, pk: int):
    deal = selectors.deal_get_for_user(request.user, pk)
    return render(request, "deals/detail.html", _card_context(request, deal))


@login_required
@require_POST
def debts_reveal_view(request, pk: int):
    """The debt block with the figures in clear (htmx partial); every opening is written to the audit log."""
    deal = selectors.deal_get_for_user(request.user, pk)
    services.deal_debts_reveal(deal=deal, by=request.user, ip=client_ip(request))
    return render(request, "deals/_debts.html", {"deal": deal, "debts": selectors.deal_debts(deal, revealed=True)})


@login_required
def deal_move_view(request, pk: int):
    """GET: the form a move to ?stage= needs. POST: the move itself.

    Answers 200 (moved; the card partial), 422 (the stage's fields are
    missing or wrong: the form with errors) or 409 (the move is not allowed).
    """
    deal = selectors.deal_get_for_user(request.user, pk)
    if request.method == "GET":
        stage = request.GET.get("stage", "")
        # Apps above deals may know the fields already (a contract drafted from its template).
        form = StageFieldsForm(initial={"stage": stage, **cards.sections("deal_move", user=request.user, obj=deal)})
        return render(
            request,
            "deals/_move_form.html",
            {
                "deal": deal,
                "form": form,
                "stage": stage,
                "stage_label": dict(Stage.choices).get(stage, ""),
                # The card's buttons load this form into a modal: it must post back
                # through htmx so that missing fields come back into the modal.
                "from_card": request.GET.get("from") == "card",
            },
        )
    form = StageFieldsForm(request.POST)
    stage = request.POST.get("stage", "")
    context = {
        "deal": deal,
        "form": form,
        "stage": stage,
        "stage_label": dict(Stage.choices).get(stage, ""),
        "from_card": request.POST.get("from") == "card",
    }
    if form.is_valid():
        try:
            deal = services.deal_move_to_stage(deal=deal, stage=stage, by=request.user, data=form.stage_data())
        except DomainError as exc:
            if exc.field in REQUIRED_FIELDS.get(stage, ()):
                add_domain_error(form, exc)
                return render(request, "deals/_move_form.html", context, status=422)
            if exc.code == "documents" and context["from_card"]:
                # A missing document on the card: said in the modal, with the fields typed so far kept.
                form.add_error(None, exc.message)
                return render(request, "deals/_move_form.html", context, status=422)
            if not request.htmx:
                messages.error(request, exc.message)
                return redirect("deals:detail", pk=pk)
            return HttpResponse(exc.message, status=409, content_type="text/plain; charset=utf-8")
    else:
        return render(request, "deals/_move_form.html", context, status=422)
    if not request.htmx:
        messages.success(request, f"Сделка перемещена: «{Stage(stage).label}».")
        return redirect("deals:detail", pk=pk)
    if request.POST.get("from") == "card":
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    deal = selectors.mark_overdue([selectors.deal_get_for_user(request.user, pk)])[0]
    return render(request, "deals/_board_card.html", {"deal": deal})


def _card_form_post(request, pk, form_class, action, form_key, success_message, **form_kwargs):
    """Shared flow of the card's small forms: validate, call the service, show errors on the card."""
    deal = selectors.deal_get_for_user(request.user, pk)
    form = form_class(request.POST, **form_kwargs)
    if form.is_valid():
        try:
            action(deal, form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, success_message)
            return redirect(reverse("deals:detail", args=[pk]) + f"#{form_key.removesuffix('_form')}")
    return render(request, "deals/detail.html", _card_context(request, deal, **{form_key: form}), status=400)


@login_required
@require_POST
def payment_add_view(request, pk: int):
    return _card_form_post(
        request,
        pk,
        PaymentForm,
        lambda deal, d: services.payment_record(deal=deal, by=request.user, **d),
        "payment_form",
        "Платёж записан.",
    )


@login_required
@require_POST
def schedule_view(request, pk: int):
    return _card_form_post(
        request,
        pk,
        ScheduleForm,
        lambda deal, d: services.schedule_set(deal=deal, by=request.user, items=d["lines"]),
        "schedule_form",
        "График платежей сохранён.",
    )


@login_required
@require_POST
def case_update_view(request, pk: int):
    deal = selectors.deal_get_for_user(request.user, pk)
    return _card_form_post(
        request,
        pk,
        CaseForm,
        lambda deal, d: services.deal_update_case(deal=deal, by=request.user, data=CaseForm.case_data(d)),
        "case_form",
        "Данные дела сохранены.",
        instance=deal,
    )


@login_required
@require_POST
def creditor_add_view(request, pk: int):
    return _card_form_post(
        request,
        pk,
        CreditorForm,
        lambda deal, d: services.creditor_add(deal=deal, by=request.user, **d),
        "creditor_form",
        "Кредитор добавлен.",
    )


@login_required
@require_POST
def hearing_add_view(request, pk: int):
    return _card_form_post(
        request,
        pk,
        HearingForm,
        lambda deal, d: services.hearing_add(deal=deal, by=request.user, **d),
        "hearing_form",
        "Заседание добавлено.",
    )


@login_required
@require_POST
def incoming_add_view(request, pk: int):
    """«Зарегистрировать входящий»: the paper's scan goes to the client's documents, a deadline makes a task."""
    deal = selectors.deal_get_for_user(request.user, pk)
    form = _incoming_form(request, deal, request.POST, request.FILES)
    if form.is_valid():
        d = form.cleaned_data
        responsible = None
        if d["responsible"]:
            responsible = selectors.incoming_responsibles(request.user, deal).filter(pk=d["responsible"]).first()
        try:
            incoming = services.incoming_register(
                deal=deal,
                by=request.user,
                received_on=d["received_on"],
                sender=d["sender"],
                kind=d["kind"],
                upload=d["file"],
                summary=d["summary"],
                reply_deadline=d["reply_deadline"],
                responsible=responsible,
            )
        except DomainError as exc:
            if exc.code == "forbidden":
                raise PermissionDenied(exc.message) from None
            add_domain_error(form, exc)
        else:
            messages.success(request, f"Входящий зарегистрирован: № {incoming.number}.")
            return redirect(reverse("deals:detail", args=[pk]) + "#incoming")
    return render(request, "deals/detail.html", _card_context(request, deal, incoming_form=form), status=400)


@login_required
@require_POST
def reassign_view(request, pk: int):
    deal = selectors.deal_get_for_user(request.user, pk)
    managers = selectors.managers_for_assignment(request.user)
    form = ReassignForm(request.POST, managers=managers)
    if form.is_valid():
        manager = next(m for m in managers if m.pk == form.cleaned_data["manager"])
        try:
            services.deal_reassign(deal=deal, manager=manager, by=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"Сделка передана: {manager.full_name}.")
    else:
        messages.error(request, "Выберите менеджера из списка.")
    return redirect("deals:detail", pk=pk)


@login_required
def payments_table_view(request):
    """The payments table: download as Excel, load a filled-in file back."""
    if not access.may_view_payments_register(request.user):
        raise PermissionDenied("Таблицу платежей ведут менеджеры, РОП и директор.")

    managers = list(selectors.managers_for_assignment(request.user))
    manager_id = request.GET.get("manager", "")
    manager_id = int(manager_id) if manager_id.isdigit() else None
    if request.GET.get("download"):
        content = payments_export(user=request.user, manager_id=manager_id)
        response = HttpResponse(
            content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        response["Content-Disposition"] = 'attachment; filename="payments.xlsx"'
        return response
    errors, result = [], None
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None or upload.size > 10 * 1024 * 1024:
            errors = ["Выберите файл .xlsx размером до 10 МБ."]
        else:
            try:
                result = payments_import(user=request.user, content=upload.read())
            except ImportRefused as exc:
                errors = [exc.message, *map(str, exc.errors[:200])]
            except DomainError as exc:
                errors = [exc.message]
        if result:
            messages.success(
                request, f"Загружено новых платежей: {result['created']}, без изменений: {result['unchanged']}."
            )
            return redirect("deals:payments_table")
    return render(
        request,
        "deals/payments_table.html",
        {"managers": managers, "manager_id": manager_id, "errors": errors},
        status=400 if errors else 200,
    )


# --- the payments register -----------------------------------------------------------------


def _require_payments_register(user) -> None:
    if not access.may_view_payments_register(user):
        raise PermissionDenied("Реестр платежей ведут менеджеры, РОП и директор.")


def _register_form(request) -> RegisterFilterForm:
    branches, managers = _scope_choices(request.user)
    return RegisterFilterForm(request.GET or None, branches=branches, managers=managers)


@login_required
def payments_register_view(request):
    """Every payment and unpaid instalment the user may see, filtered, with the period's totals."""
    _require_payments_register(request.user)
    form = _register_form(request)
    filters = form.filters(timezone.localdate())
    rows, next_cursor = selectors.register_page(request.user, filters, cursor=request.GET.get("cursor"))
    query = request.GET.copy()
    query.pop("cursor", None)
    next_query = ""
    if next_cursor:
        more = query.copy()
        more["cursor"] = next_cursor
        next_query = more.urlencode()
    context = {"form": form, "rows": rows, "next_query": next_query}
    if request.htmx and request.GET.get("cursor"):
        return render(request, "deals/_register_rows.html", context)
    totals = selectors.register_totals(request.user, filters)
    return render(
        request,
        "deals/payments_register.html",
        {
            **context,
            "filters": filters,
            "totals": {
                "received": rub(totals.received),
                "due": rub(totals.due),
                "overdue": rub(totals.overdue),
                "rows": totals.rows,
            },
            "filter_query": query.urlencode(),
            "show_branch": len(form.fields["branch"].choices) > 1,
            "show_manager": len(form.fields["manager"].choices) > 1,
        },
    )


@login_required
def payments_register_export_view(request):
    """«Выгрузить в Excel»: the register's rows under the same filters, every page of them."""
    _require_payments_register(request.user)
    form = _register_form(request)
    filters = form.filters(timezone.localdate())
    try:
        content = register_export(user=request.user, filters=filters)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(reverse("payments:register") + (f"?{request.GET.urlencode()}" if request.GET else ""))
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    name = f"payments-{filters.date_from:%Y%m%d}-{filters.date_to:%Y%m%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- the incoming register -------------------------------------------------------------------


def _require_incoming_register(user) -> None:
    if not access.may_see_deals(user):
        raise PermissionDenied("Реестр входящих ведут менеджеры, РОП, юристы и директор.")


def _incoming_filter_form(request) -> IncomingFilterForm:
    branches, managers = _scope_choices(request.user)
    return IncomingFilterForm(request.GET or None, branches=branches, managers=managers, today=timezone.localdate())


@login_required
def incoming_register_view(request):
    """Every paper registered on the deals the user may see, newest first, filtered."""
    _require_incoming_register(request.user)
    form = _incoming_filter_form(request)
    filters = form.filters()
    rows, next_cursor = selectors.incoming_page(request.user, filters, cursor=request.GET.get("cursor"))
    query = request.GET.copy()
    query.pop("cursor", None)
    next_query = ""
    if next_cursor:
        more = query.copy()
        more["cursor"] = next_cursor
        next_query = more.urlencode()
    context = {"form": form, "rows": rows, "next_query": next_query, "today": timezone.localdate()}
    if request.htmx and request.GET.get("cursor"):
        return render(request, "deals/_incoming_rows.html", context)
    return render(
        request,
        "deals/incoming_register.html",
        {
            **context,
            "filter_query": query.urlencode(),
            "show_branch": len(form.fields["branch"].choices) > 1,
            "show_manager": len(form.fields["manager"].choices) > 1,
        },
    )


@login_required
def incoming_export_view(request):
    """«Выгрузить в Excel»: the register's rows under the same filters, every page of them."""
    _require_incoming_register(request.user)
    filters = _incoming_filter_form(request).filters()
    try:
        content = incoming_export(user=request.user, filters=filters)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(reverse("incoming:register") + (f"?{request.GET.urlencode()}" if request.GET else ""))
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="incoming-{timezone.localdate():%Y%m%d}.xlsx"'
    return response


# --- «+ сделка» ------------------------------------------------------------------------------


@login_required
def deal_new_view(request):
    """A new deal from the board: pick a visible client by phone or name, or type a new one."""
    if not access.can_work_records(request.user):
        raise PermissionDenied("Сделки открывают менеджеры, РОП и директор.")
    line = request.POST.get("service_line") or request.GET.get("line") or ServiceLine.DB
    if line not in ServiceLine.values:
        line = ServiceLine.DB
    managers = list(selectors.managers_for_assignment(request.user).values_list("pk", "full_name"))
    q = request.GET.get("q", "").strip()[:100]
    picks = selectors.clients_to_pick(request.user, q) if q else []
    status = 200
    if request.method == "POST":
        form = NewDealForm(request.POST, managers=managers)
        if form.is_valid():
            manager_id = form.cleaned_data.get("manager") or request.user.pk
            manager = (
                request.user
                if manager_id == request.user.pk
                else selectors.managers_for_assignment(request.user).filter(pk=manager_id).first()
            )
            client = None
            if form.cleaned_data.get("client"):
                client = selectors.client_to_pick(request.user, form.cleaned_data["client"])
            try:
                if manager is None or (form.cleaned_data.get("client") and client is None):
                    raise DomainError("Клиент или менеджер вам недоступен.", field="client")
                deal = services.deal_open(
                    by=request.user,
                    service_line=form.cleaned_data["service_line"],
                    manager=manager,
                    client=client,
                    new_client=form.new_client(),
                )
            except DomainError as exc:
                if exc.field == "phones":
                    exc.field = "phone"
                add_domain_error(form, exc)
            else:
                messages.success(request, f"Сделка создана: {deal.client.display_name}.")
                return redirect(deal.url)
        status = 400
    else:
        initial = {"service_line": line}
        if managers and any(pk == request.user.pk for pk, _ in managers):
            initial["manager"] = request.user.pk
        form = NewDealForm(initial=initial, managers=managers)
    return render(
        request,
        "deals/new.html",
        {"form": form, "line": line, "line_label": ServiceLine(line).label, "q": q, "picks": picks},
        status=status,
    )
