"""Reads for the end-of-day report: the day's figures the CRM knows, and who may see which report."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from activities.models import Activity, ActivitySettings
from activities.selectors import capped_count, clients_breaking_rule, deals_breaking_rule
from clients.models import TimelineEntry
from crm import access
from crm.models import Branch, User
from crm.money import rub
from crm.pipelines import ORDER, ServiceLine
from deals.models import Deal, Payment
from leads.models import Lead
from reports.models import DailyReport, ReportQuestion
from tasks.models import Task

# The stage a deal enters when the contract is signed, per line: the first stage after the first one.
CONTRACT_STAGES = tuple(ORDER[line][1] for line in ServiceLine)


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    money: bool = False  # a sum in roubles, kept as a string "1234.00" in the snapshot


FIGURES = [
    Figure("calls", "Звонки проведены"),
    Figure("meetings", "Встречи проведены"),
    Figure("consultations", "Дистанционные консультации проведены"),
    Figure("leads_new", "Новые лиды взяты"),
    Figure("contracts_count", "Договоры заключены"),
    Figure("contracts_sum", "Сумма договоров", money=True),
    Figure("payments_count", "Платежи получены"),
    Figure("payments_sum", "Сумма платежей", money=True),
    Figure("tasks_closed", "Задачи закрыты"),
    Figure("tasks_overdue", "Задачи просрочены"),
    Figure("deals_without_plan", "Сделки без запланированного дела"),
    Figure("clients_without_plan", "Клиенты без запланированного дела"),
    Figure("activities_overdue", "Дела просрочены"),
]
FIGURE_KEYS = [f.key for f in FIGURES]


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(day, time.min))
    return start, timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def _money(value) -> str:
    return str((value or Decimal("0")).quantize(Decimal("0.01")))


def day_figures(manager: User, day: date) -> dict:
    """What the CRM knows of `manager`'s day: eight bounded aggregate queries, none per row.

    «Просрочено» counts what was still open at the end of that day (or now, for today).
    """
    lo, hi = day_bounds(day)
    cutoff = min(hi, timezone.now())
    done_today = Q(status=Activity.Status.DONE, done_at__gte=lo, done_at__lt=hi)
    overdue = Q(status=Activity.Status.PLANNED, planned_at__lt=cutoff)
    acts = Activity.objects.filter(Q(responsible=manager) & (done_today | overdue)).aggregate(
        calls=Count("pk", filter=done_today & Q(kind=Activity.Kind.CALL)),
        meetings=Count("pk", filter=done_today & Q(kind=Activity.Kind.MEETING)),
        consultations=Count("pk", filter=done_today & Q(kind=Activity.Kind.REMOTE)),
        activities_overdue=Count("pk", filter=overdue),
    )
    leads_new = Lead.objects.filter(
        assigned_to=manager, created_at__gte=lo, created_at__lt=hi, merged_into__isnull=True
    ).count()
    # A contract is signed when the deal enters its line's contract stage: the timeline records each move.
    entered = TimelineEntry.objects.filter(
        kind=TimelineEntry.Kind.STAGE, at__gte=lo, at__lt=hi, data__to__in=CONTRACT_STAGES
    ).values("deal_id")
    contracts = Deal.objects.filter(manager=manager, pk__in=entered).aggregate(n=Count("pk"), total=Sum("fee"))
    payments = Payment.objects.filter(deal__manager=manager, paid_on=day).aggregate(n=Count("pk"), total=Sum("amount"))
    closed_today = Q(status=Task.Status.DONE, completed_at__gte=lo, completed_at__lt=hi)
    late = Q(status__in=Task.OPEN, deadline__lt=min(day + timedelta(days=1), timezone.localdate()))
    tasks = Task.objects.filter(Q(responsible=manager) & (closed_today | late)).aggregate(
        closed=Count("pk", filter=closed_today), overdue=Count("pk", filter=late)
    )
    rule = ActivitySettings.load()
    return {
        "calls": acts["calls"],
        "meetings": acts["meetings"],
        "consultations": acts["consultations"],
        "leads_new": leads_new,
        "contracts_count": contracts["n"],
        "contracts_sum": _money(contracts["total"]),
        "payments_count": payments["n"],
        "payments_sum": _money(payments["total"]),
        "tasks_closed": tasks["closed"],
        "tasks_overdue": tasks["overdue"],
        "deals_without_plan": capped_count(deals_breaking_rule(manager, rule).filter(manager=manager)),
        "clients_without_plan": capped_count(clients_breaking_rule(manager, rule).filter(manager=manager)),
        "activities_overdue": acts["activities_overdue"],
    }


def figure_links(viewer: User, manager: User, day: date) -> dict[str, str]:
    """Where the rows behind each figure are: existing pages with their filters."""
    iso = day.isoformat()
    calendar = reverse("activities:calendar_of", args=[manager.pk]) + f"?view=day&date={iso}"
    own = viewer.pk == manager.pk
    my_day = reverse("activities:my_day") if own else calendar
    payments = reverse("payments:register") + f"?date_from={iso}&date_to={iso}"
    deals = reverse("deals:list")
    if not own:
        payments += f"&manager={manager.pk}"
        deals += f"?manager={manager.pk}"
    tasks = reverse("tasks:list") + ("?tab=mine" if own else "?tab=branch")
    return {
        "calls": calendar,
        "meetings": calendar,
        "consultations": calendar,
        "leads_new": reverse("leads:list"),
        "contracts_count": deals,
        "contracts_sum": deals,
        "payments_count": payments,
        "payments_sum": payments,
        "tasks_closed": tasks + "&status=closed",
        "tasks_overdue": tasks + "&status=overdue",
        "deals_without_plan": my_day,
        "clients_without_plan": my_day,
        "activities_overdue": my_day,
    }


def _shown(value, money: bool) -> str:
    if money and value != "":
        try:
            return rub(Decimal(str(value)))
        except ArithmeticError:
            return str(value)
    return str(value)


def figure_rows(figures: dict, comments: dict, links: dict) -> list[dict]:
    return [
        {
            "key": f.key,
            "label": f.label,
            "value": _shown(figures.get(f.key, ""), f.money),
            "money": f.money,
            "comment": comments.get(f.key, ""),
            "url": links.get(f.key, ""),
        }
        for f in FIGURES
    ]


def questions_for(branch_id) -> list[ReportQuestion]:
    return list(ReportQuestion.objects.filter(branch_id=branch_id, is_active=True).order_by("order", "pk"))


def reports_visible_to(user: User) -> QuerySet[DailyReport]:
    return DailyReport.objects.filter(access.daily_reports_q(user))


def report_get_for_user(user: User, pk) -> DailyReport:
    report = reports_visible_to(user).select_related("manager", "branch", "reviewed_by").filter(pk=pk).first()
    if report is None:
        raise Http404
    return report


def current_report(manager: User, day: date) -> DailyReport | None:
    return DailyReport.objects.filter(manager=manager, date=day, is_current=True).first()


def report_history(report: DailyReport) -> list[DailyReport]:
    """Every version of the same manager's day, newest first (bounded: a day has a few)."""
    return list(DailyReport.objects.filter(manager_id=report.manager_id, date=report.date).order_by("-version")[:50])


def branches_for_review(user: User) -> list[Branch]:
    if access.sees_everything(user) and access.reviews_daily_reports(user):
        return list(Branch.objects.order_by("name"))
    branch = access.branch_overseen_by(user)
    return list(Branch.objects.filter(pk=branch)) if branch else []


@dataclass
class BranchDay:
    branch: Branch
    reports: list
    missing: list


def branch_day(user: User, *, branches: list[Branch], day: date) -> list[BranchDay]:
    """Each branch's current reports for a day side by side and the managers who filed none. Two queries."""
    ids = [b.pk for b in branches if access.may_review_daily_reports_of(user, b.pk)]
    staff = [
        u
        for u in User.objects.filter(branch_id__in=ids, is_active=True).order_by("full_name", "pk")
        if access.files_daily_report(u)
    ]
    reports = list(
        reports_visible_to(user)
        .filter(branch_id__in=ids, date=day, is_current=True)
        .select_related("manager", "reviewed_by")
        .order_by("manager__full_name", "pk")
    )
    filed = {r.manager_id for r in reports}
    result = []
    for b in branches:
        if b.pk not in ids:
            continue
        result.append(
            BranchDay(
                b,
                [r for r in reports if r.branch_id == b.pk],
                [u for u in staff if u.branch_id == b.pk and u.pk not in filed],
            )
        )
    return result


def missing_filers(day: date) -> list[User]:
    """Managers (all branches) with no current report for `day`: for the beat jobs. Two queries."""
    filed = set(DailyReport.objects.filter(date=day, is_current=True).values_list("manager_id", flat=True))
    return [
        u
        for u in User.objects.filter(is_active=True, branch__isnull=False).select_related("branch").order_by("pk")
        if access.files_daily_report(u) and u.pk not in filed
    ]


def questions_of(user: User, branch: Branch) -> list[ReportQuestion]:
    """Every question of a branch whose questions `user` may set (inactive ones too), in report order."""
    if not access.may_set_report_questions(user, branch.pk):
        return []
    return list(ReportQuestion.objects.filter(branch=branch).order_by("order", "id"))


def question_get_for_user(user: User, pk) -> ReportQuestion:
    """One question `user` may edit; another branch's or an unknown one is a 404."""
    question = ReportQuestion.objects.select_related("branch").filter(pk=pk).first()
    if question is None or not access.may_set_report_questions(user, question.branch_id):
        raise Http404
    return question
