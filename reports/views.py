"""Pages of the end-of-day report: the manager's day, the branch's day for heads, one report with its history."""

from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from crm import access
from crm.errors import DomainError
from crm.forms_util import add_domain_error
from reports import selectors, services
from reports.forms import ReportQuestionForm
from reports.models import DailyReport

FAR_PAST = date(2000, 1, 1)


def _day(request) -> tuple[date, list[str]]:
    """The day from `?date=`; a bad or far-off day falls back to today with a Russian note."""
    today = timezone.localdate()
    raw = request.GET.get("date", "")
    if not raw:
        return today, []
    try:
        day = date.fromisoformat(raw[:10])
    except ValueError:
        return today, ["Дата не распознана. Показан сегодняшний день."]
    if day > today or day < FAR_PAST:
        return today, ["Такого дня для отчётов нет. Показан сегодняшний день."]
    return day, []


@login_required
def index_view(request):
    """«Отчёты» in the menu: a manager's own day, a head's or the director's branch day."""
    if access.files_daily_report(request.user):
        return redirect("reports:today")
    if access.reviews_daily_reports(request.user):
        return redirect("reports:branch")
    raise PermissionDenied("Отчёты за день сдают менеджеры, читают РОП и директор.")


def _form_context(request, manager, day, report, errors, posted):
    questions = selectors.questions_for(manager.branch_id)
    links = selectors.figure_links(request.user, manager, day)
    if report is not None and not posted.get("editing"):
        figures, comments = report.figures, report.comments
    else:
        figures = selectors.day_figures(manager, day)
        comments = posted.get("comments", report.comments if report else {})
    answers = posted.get("answers") or ({a["question"]: a["answer"] for a in report.answers} if report else {})
    return {
        "day": day,
        "report": report,
        "rows": selectors.figure_rows(figures, comments, links),
        "questions": [{"q": q, "answer": answers.get(q.pk, answers.get(str(q.pk), ""))} for q in questions],
        "errors": errors,
        "editing": posted.get("editing", report is None),
    }


@login_required
def today_view(request):
    """The manager's report for a day: the figures the CRM counted, comments, the branch's questions."""
    manager = request.user
    if not access.files_daily_report(manager):
        raise PermissionDenied("Отчёт за день сдают менеджеры по продажам.")
    day, date_errors = _day(request)
    report = selectors.current_report(manager, day)
    errors, posted = {}, {"editing": report is None or request.GET.get("fix") == "1"}
    if request.method == "POST":
        comments = {k: request.POST.get(f"comment_{k}", "") for k in selectors.FIGURE_KEYS}
        answers = {str(q.pk): request.POST.get(f"q_{q.pk}", "") for q in selectors.questions_for(manager.branch_id)}
        try:
            services.daily_report_submit(
                manager=manager, day=day, comments=comments, answers=answers, correcting=report is not None
            )
        except DomainError as exc:
            errors[exc.field or "__all__"] = exc.message
            posted = {"editing": True, "comments": {k: v for k, v in comments.items() if v}, "answers": answers}
        else:
            messages.success(request, f"Отчёт за {day:%d.%m.%Y} сдан.")
            return redirect(reverse("reports:today") + f"?date={day.isoformat()}")
    context = _form_context(request, manager, day, report, errors, posted)
    context["date_errors"] = date_errors
    context["history"] = selectors.report_history(report) if report else []
    return render(request, "reports/today.html", context, status=400 if errors else 200)


@login_required
def branch_view(request):
    """The branch's reports for one day side by side and who has not filed; the director sees every branch."""
    if not access.reviews_daily_reports(request.user):
        raise PermissionDenied("Отчёты филиала читают РОП и директор.")
    day, date_errors = _day(request)
    branches = selectors.branches_for_review(request.user)
    chosen = request.GET.get("branch", "")
    if chosen.isdigit():
        branches = [b for b in branches if b.pk == int(chosen)] or branches
    days = selectors.branch_day(request.user, branches=branches, day=day)
    for d in days:
        for r in d.reports:
            r.rows = selectors.figure_rows(r.figures, r.comments, selectors.figure_links(request.user, r.manager, day))
    return render(
        request,
        "reports/branch.html",
        {
            "day": day,
            "prev_day": day - timedelta(days=1),
            "days": days,
            "all_branches": selectors.branches_for_review(request.user),
            "chosen": chosen,
            "date_errors": date_errors,
        },
    )


@login_required
def detail_view(request, pk: int):
    report = selectors.report_get_for_user(request.user, pk)
    links = selectors.figure_links(request.user, report.manager, report.date)
    return render(
        request,
        "reports/detail.html",
        {
            "report": report,
            "rows": selectors.figure_rows(report.figures, report.comments, links),
            "history": selectors.report_history(report),
            "may_review": report.is_current
            and report.status == DailyReport.Status.SUBMITTED
            and access.may_review_daily_reports_of(request.user, report.branch_id),
        },
    )


@login_required
@require_POST
def review_view(request, pk: int):
    report = selectors.report_get_for_user(request.user, pk)
    try:
        services.daily_report_review(report=report, by=request.user, comment=request.POST.get("comment", ""))
    except DomainError as exc:
        if exc.code == "forbidden":
            raise PermissionDenied(exc.message) from None
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Отчёт {report.manager.full_name} отмечен просмотренным.")
    back = request.POST.get("back", "")
    if back == "branch":
        return redirect(reverse("reports:branch") + f"?date={report.date.isoformat()}")
    return redirect("reports:detail", pk=report.pk)


def _question_branch(request):
    """The branch whose questions are edited: the head's own; the director picks one (`?branch=`)."""
    branches = [
        b for b in selectors.branches_for_review(request.user) if access.may_set_report_questions(request.user, b.pk)
    ]
    if not branches:
        raise PermissionDenied("Вопросы отчёта задаёт РОП своего филиала или директор.")
    chosen = request.GET.get("branch") or request.POST.get("branch") or ""
    return next((b for b in branches if str(b.pk) == chosen), branches[0]), branches


@login_required
def questions_view(request):
    """The branch's extra questions: the list and a form to add one."""
    branch, branches = _question_branch(request)
    form = ReportQuestionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.report_question_save(by=request.user, branch=branch, data=form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "Вопрос добавлен: менеджеры филиала увидят его в отчёте за день.")
            return redirect(f"{reverse('reports:questions')}?branch={branch.pk}")
    return render(
        request,
        "reports/questions.html",
        {
            "branch": branch,
            "branches": branches,
            "questions": selectors.questions_of(request.user, branch),
            "form": form,
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
def question_edit_view(request, pk: int):
    question = selectors.question_get_for_user(request.user, pk)
    initial = {f: getattr(question, f) for f in services.QUESTION_FIELDS}
    form = ReportQuestionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.report_question_save(
                by=request.user, branch=question.branch, data=form.cleaned_data, question=question
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "Вопрос сохранён.")
            return redirect(f"{reverse('reports:questions')}?branch={question.branch_id}")
    return render(
        request,
        "reports/question_edit.html",
        {"question": question, "form": form},
        status=400 if form.is_bound and form.errors else 200,
    )
