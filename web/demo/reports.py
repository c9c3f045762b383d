"""Demo end-of-day reports: two weeks of working days in every state — filed, missing, reviewed, corrected."""

from datetime import datetime, time, timedelta

from django.utils import timezone

from crm import access
from crm.models import Branch, User
from crm.workdays import is_working_day
from reports.models import DailyReport, ReportQuestion
from reports.selectors import day_figures

QUESTIONS = [
    ("Главное за день", ReportQuestion.Kind.TEXT, "", True),
    ("Сколько клиентов обещали перезвонить", ReportQuestion.Kind.NUMBER, "", False),
    ("Нужна ли помощь РОП", ReportQuestion.Kind.CHOICE, "Нет\nДа, по клиенту\nДа, по договору", True),
]


def seed_daily_reports() -> list[str]:
    """Idempotent: nothing is added once the demo has reports."""
    if DailyReport.objects.exists():
        return []
    for branch in Branch.objects.order_by("pk"):
        for order, (text, kind, options, required) in enumerate(QUESTIONS, start=1):
            ReportQuestion.objects.get_or_create(
                branch=branch,
                text=text,
                defaults={"kind": kind, "options": options, "required": required, "order": order},
            )
    questions = {q.pk: q for q in ReportQuestion.objects.all()}
    staff = list(User.objects.filter(is_active=True, branch__isnull=False).order_by("pk"))
    managers = [u for u in staff if access.files_daily_report(u)]
    heads = {u.branch_id: u for u in staff if access.branch_overseen_by(u)}
    today = timezone.localdate()
    days = [today - timedelta(days=n) for n in range(14, 0, -1)]
    days = [d for d in days if is_working_day(d)]
    made = 0
    for i, day in enumerate(days):
        for j, m in enumerate(managers):
            if (i + j) % 5 == 4:  # missing: every fifth manager-day
                continue
            answers = [
                {"question": q.pk, "text": q.text, "kind": q.kind, "answer": _answer(q, i + j)}
                for q in questions.values()
                if q.branch_id == m.branch_id
            ]
            submitted = timezone.make_aware(datetime.combine(day, time.min)) + timedelta(hours=17, minutes=40 + j)
            figures = day_figures(m, day)
            row = DailyReport(
                manager=m, branch_id=m.branch_id, date=day, figures=figures, answers=answers, submitted_at=submitted
            )
            if (i + j) % 7 == 3:  # corrected: version 1 kept as history, version 2 current
                DailyReport.objects.create(
                    manager=m, branch_id=m.branch_id, date=day, figures=figures, answers=answers,
                    submitted_at=submitted, is_current=False,
                    comments={"calls": "Забыл отметить звонки"},
                )  # fmt: skip
                row.version, row.submitted_at = 2, submitted + timedelta(minutes=20)
                row.comments = {"calls": "Исправил: звонки отмечены"}
                made += 1
            head = heads.get(m.branch_id)
            if head and day < today - timedelta(days=2) and (i + j) % 3 != 0:  # reviewed, older days
                row.status, row.reviewed_by = DailyReport.Status.REVIEWED, head
                row.reviewed_at = submitted + timedelta(hours=16)
                row.review_comment = "Хорошо, завтра больше встреч." if (i + j) % 2 else ""
            row.save()
            made += 1
    return [f"отчёты за день: {made}"] if made else []


def _answer(q: ReportQuestion, n: int) -> str:
    if q.kind == ReportQuestion.Kind.NUMBER:
        return str(n % 4)
    if q.kind == ReportQuestion.Kind.CHOICE:
        return q.option_list[n % 2]
    return "Провёл консультации, отправил договоры." if n % 2 else "Обзвонил клиентов из плана."
