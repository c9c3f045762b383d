"""Writes for the end-of-day report: file (or correct) a day, review it, remind those who have not filed.

Keyword-only, one transaction each, an audit entry for every change.
"""

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from crm import access
from crm.errors import DomainError
from crm.models import AuditEntry, Branch, User
from crm.notifications import notify
from crm.services import audit_record
from crm.workdays import is_working_day
from reports import selectors
from reports.models import DailyReport, ReportQuestion

COMMENT_MAX = 1000
ANSWER_MAX = 2000
# A correction reaches this far back: older days are history.
CORRECTION_DAYS = 31


def _clean_answers(questions: list[ReportQuestion], raw: dict) -> list[dict]:
    """The branch's questions with the manager's answers, checked; the wording is kept with each answer."""
    cleaned = []
    for q in questions:
        value = raw.get(str(q.pk), raw.get(q.pk, ""))
        value = "" if value is None else str(value).strip()
        field = f"q_{q.pk}"
        if not value:
            if q.required:
                raise DomainError(f"Ответьте на вопрос «{q.text}».", field=field, code="required")
        elif q.kind == ReportQuestion.Kind.NUMBER:
            try:
                number = Decimal(value.replace(",", ".").replace(" ", ""))
            except InvalidOperation:
                raise DomainError(f"В ответе на «{q.text}» нужно число.", field=field) from None
            if not number.is_finite() or abs(number) >= Decimal("1e12"):
                raise DomainError(f"В ответе на «{q.text}» нужно число.", field=field)
            value = str(int(number)) if number == number.to_integral() else str(number)
        elif q.kind == ReportQuestion.Kind.CHOICE and value not in q.option_list:
            raise DomainError(f"На вопрос «{q.text}» выберите один из вариантов.", field=field)
        elif len(value) > ANSWER_MAX:
            raise DomainError(f"Ответ на «{q.text}» длиннее {ANSWER_MAX} символов.", field=field)
        cleaned.append({"question": q.pk, "text": q.text, "kind": q.kind, "answer": value})
    return cleaned


def _clean_comments(raw: dict) -> dict:
    comments = {}
    for key, text in (raw or {}).items():
        if key not in selectors.FIGURE_KEYS:
            raise DomainError("Комментировать можно только показатели отчёта.", field="comments")
        text = "" if text is None else str(text).strip()
        if len(text) > COMMENT_MAX:
            raise DomainError(f"Комментарий длиннее {COMMENT_MAX} символов.", field="comments")
        if text:
            comments[key] = text
    return comments


def daily_report_submit(
    *,
    manager: User,
    day: date | None = None,
    comments: dict | None = None,
    answers: dict | None = None,
    correcting: bool = False,
) -> DailyReport:
    """File `manager`'s report for a day (today by default); the figures are counted now and frozen.

    A day already filed is changed only as a correction (`correcting`): a new version becomes
    current, the old one stays as history, and a review of the old one does not carry over.
    """
    if not access.files_daily_report(manager):
        raise DomainError("Отчёт за день сдают менеджеры по продажам.", code="forbidden")
    today = timezone.localdate()
    day = day or today
    if day > today:
        raise DomainError("Отчёт за день, который ещё не наступил, сдать нельзя.", field="date")
    if day < today - timedelta(days=CORRECTION_DAYS):
        raise DomainError(f"Исправить можно отчёты за последние {CORRECTION_DAYS} дней.", field="date")
    questions = selectors.questions_for(manager.branch_id)
    cleaned_answers = _clean_answers(questions, answers or {})
    cleaned_comments = _clean_comments(comments or {})
    with transaction.atomic():
        previous = DailyReport.objects.select_for_update().filter(manager=manager, date=day, is_current=True).first()
        if previous is not None and not correcting:
            raise DomainError("Отчёт за этот день уже сдан; чтобы изменить его, нажмите «Исправить».", code="filed")
        version = 1
        if previous is not None:
            version = previous.version + 1
            DailyReport.objects.filter(pk=previous.pk).update(is_current=False)
        report = DailyReport.objects.create(
            manager=manager,
            branch_id=manager.branch_id,
            date=day,
            version=version,
            figures=selectors.day_figures(manager, day),
            comments=cleaned_comments,
            answers=cleaned_answers,
            submitted_at=timezone.now(),
        )
        audit_record(
            actor=manager,
            action=AuditEntry.Action.CREATE if version == 1 else AuditEntry.Action.UPDATE,
            target=report,
            changes={"date": day.isoformat(), "version": version},
        )
    return report


def daily_report_review(*, report: DailyReport, by: User, comment: str = "") -> DailyReport:
    """The head (or director) marks the current version reviewed; the manager is told, with the link."""
    if not access.may_review_daily_reports_of(by, report.branch_id):
        raise DomainError("Отмечать отчёты просмотренными может РОП филиала или директор.", code="forbidden")
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise DomainError(f"Комментарий длиннее {COMMENT_MAX} символов.", field="comment")
    with transaction.atomic():
        row = DailyReport.objects.select_for_update().get(pk=report.pk)
        if not row.is_current:
            raise DomainError("Это старая версия отчёта: отметьте действующую.", code="outdated")
        if row.status == DailyReport.Status.REVIEWED:
            raise DomainError("Отчёт уже отмечен просмотренным.", code="reviewed")
        row.status = DailyReport.Status.REVIEWED
        row.reviewed_by, row.reviewed_at, row.review_comment = by, timezone.now(), comment
        row.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_comment"])
        audit_record(actor=by, action=AuditEntry.Action.UPDATE, target=row, changes={"status": "reviewed"})
        text = f"{by.full_name or by} просмотрел(а) ваш отчёт за {row.date:%d.%m.%Y}"
        notify(
            users=[row.manager],
            text=text + (f": «{comment}»" if comment else "."),
            url=reverse("reports:detail", args=[row.pk]),
            skip=by,
        )
    return row


def daily_reports_remind(*, today: date | None = None) -> int:
    """Before the end of a working day: tell each manager who has not filed yet. Nothing on days off."""
    today = today or timezone.localdate()
    if not is_working_day(today):
        return 0
    missing = selectors.missing_filers(today)
    notify(users=missing, text=f"Сдайте отчёт за {today:%d.%m.%Y}.", url=reverse("reports:today"))
    return len(missing)


def previous_working_day(day: date) -> date:
    back = day - timedelta(days=1)
    for _ in range(40):  # the longest run of days off in Russia is about twelve
        if is_working_day(back):
            return back
        back -= timedelta(days=1)
    return back


def daily_reports_missing_digest(*, today: date | None = None) -> int:
    """The next working morning: each branch head gets who did not file the previous working day."""
    today = today or timezone.localdate()
    if not is_working_day(today):
        return 0
    day = previous_working_day(today)
    missing = selectors.missing_filers(day)
    by_branch: dict[int, list[User]] = {}
    for u in missing:
        by_branch.setdefault(u.branch_id, []).append(u)
    sent = 0
    branches = {b.pk: b for b in Branch.objects.filter(pk__in=list(by_branch))}
    heads = [
        u for u in User.objects.filter(is_active=True, branch_id__in=list(by_branch)) if access.branch_overseen_by(u)
    ]
    url = reverse("reports:branch") + f"?date={day.isoformat()}"
    for branch_id, people in by_branch.items():
        names = ", ".join(p.full_name or p.username for p in people)
        text = f"{branches[branch_id].name}: не сдали отчёт за {day:%d.%m.%Y} — {names}."
        sent += len(notify(users=[h for h in heads if h.branch_id == branch_id], text=text, url=url))
    return sent


QUESTION_FIELDS = ("text", "kind", "options", "required", "order", "is_active")


@transaction.atomic
def report_question_save(
    *, by: User, branch: Branch, data: dict, question: ReportQuestion | None = None
) -> ReportQuestion:
    """Add or change one of the branch's extra questions (the head of sales sets them; never deleted, switched off)."""
    if not access.may_set_report_questions(by, branch.pk):
        raise DomainError("Вопросы отчёта филиала задаёт его РОП или директор.", code="forbidden")
    text = (data.get("text") or "").strip()
    if not text:
        raise DomainError("Напишите вопрос.", field="text")
    kind = data.get("kind") or ReportQuestion.Kind.TEXT
    if kind not in ReportQuestion.Kind.values:
        raise DomainError("Выберите вид ответа.", field="kind")
    options = "\n".join(line.strip() for line in (data.get("options") or "").splitlines() if line.strip())
    if kind == ReportQuestion.Kind.CHOICE and len(options.splitlines()) < 2:
        raise DomainError("Для выбора нужны хотя бы два варианта, по одному в строке.", field="options")
    values = {
        "text": text[:300],
        "kind": kind,
        "options": options if kind == ReportQuestion.Kind.CHOICE else "",
        "required": bool(data.get("required")),
        "order": int(data.get("order") or 0),
        "is_active": bool(data.get("is_active", True)),
    }
    if question is None:
        question = ReportQuestion.objects.create(branch=branch, **values)
        audit_record(actor=by, action=AuditEntry.Action.CREATE, target=question, changes=values)
        return question
    question = ReportQuestion.objects.select_for_update().get(pk=question.pk)
    changes = {f: [getattr(question, f), v] for f, v in values.items() if getattr(question, f) != v}
    for f, v in values.items():
        setattr(question, f, v)
    question.save()
    if changes:
        audit_record(actor=by, action=AuditEntry.Action.UPDATE, target=question, changes=changes)
    return question
