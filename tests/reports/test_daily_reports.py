"""The end-of-day report: figures equal the day's rows, filing, corrections, review, access, reminders, API."""

from datetime import date, timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from activities.models import Activity
from crm.models import AuditEntry, Notification
from crm.pipelines import Stage
from deals.services import deal_move_to_stage
from leads.models import Lead
from reports import selectors, services
from reports.models import DailyReport, ReportQuestion
from tasks.models import Task
from tests.conftest import token_client
from tests.factories import contract_data, make_deal, make_payment

pytestmark = pytest.mark.django_db


def _activity(user, kind, status, at, **extra):
    return Activity.objects.create(
        kind=kind, status=status, responsible=user, branch=user.branch, planned_at=at, subject="т", **extra
    )


@pytest.fixture
def known_day(manager_msk, manager2_msk):
    """A manager's day with known rows, plus rows of a colleague and of yesterday that must not count."""
    m, now = manager_msk, timezone.now()
    yesterday = now - timedelta(days=1)
    for kind, n in ((Activity.Kind.CALL, 3), (Activity.Kind.MEETING, 2), (Activity.Kind.REMOTE, 1)):
        for _ in range(n):
            _activity(m, kind, Activity.Status.DONE, now - timedelta(minutes=5), done_at=now)
    _activity(m, Activity.Kind.CALL, Activity.Status.DONE, yesterday, done_at=yesterday)  # not today
    _activity(manager2_msk, Activity.Kind.CALL, Activity.Status.DONE, now, done_at=now)  # not theirs
    _activity(m, Activity.Kind.CALL, Activity.Status.PLANNED, yesterday)  # overdue
    _activity(m, Activity.Kind.CALL, Activity.Status.PLANNED, now - timedelta(minutes=1))  # overdue
    _activity(m, Activity.Kind.CALL, Activity.Status.PLANNED, now + timedelta(hours=2))  # not yet
    Lead.objects.create(name="Лид 1", assigned_to=m, branch=m.branch)
    Lead.objects.create(name="Лид 2", assigned_to=m, branch=m.branch)
    Lead.objects.create(name="Старый", assigned_to=m, branch=m.branch, created_at=yesterday)
    signed = [make_deal(manager=m, last_name=f"Договорный{i}", phones=(f"+7916000000{i}",)) for i in range(2)]
    fees = [Decimal("120000"), Decimal("80000.50")]
    for deal, fee in zip(signed, fees, strict=True):
        deal_move_to_stage(deal=deal, stage=Stage.DB_PREP_COURT, by=m, data={**contract_data(), "fee": fee})
    other = make_deal(manager=manager2_msk, last_name="Чужой", phones=("+79160000099",))
    deal_move_to_stage(deal=other, stage=Stage.DB_PREP_COURT, by=manager2_msk, data=contract_data())
    today = timezone.localdate()
    make_payment(deal=signed[0], paid_on=today, amount=Decimal("30000"), method="cash", recorded_by=m)
    make_payment(deal=signed[1], paid_on=today, amount=Decimal("5000.25"), method="card", recorded_by=m)
    make_payment(deal=signed[0], paid_on=today - timedelta(days=1), amount=1, method="cash", recorded_by=m)
    make_payment(deal=other, paid_on=today, amount=Decimal("777"), method="cash", recorded_by=manager2_msk)
    Task.objects.create(title="Сделано", responsible=m, deadline=today, status=Task.Status.DONE, completed_at=now)
    Task.objects.create(title="Просрочено", responsible=m, deadline=today - timedelta(days=2))
    Task.objects.create(title="В срок", responsible=m, deadline=today)
    return m


def test_figures_equal_the_days_rows(known_day):
    figures = selectors.day_figures(known_day, timezone.localdate())
    assert figures == {
        "calls": 3,
        "meetings": 2,
        "consultations": 1,
        "leads_new": 2,
        "contracts_count": 2,
        "contracts_sum": "200000.50",
        "payments_count": 2,
        "payments_sum": "35000.25",
        "tasks_closed": 1,
        "tasks_overdue": 1,
        # The two signed deals (on «подготовка в суд») have nothing planned; three clients are in deals.
        "deals_without_plan": 2,
        "clients_without_plan": 0,
        "activities_overdue": 2,
    }


def test_figures_are_bounded_queries(known_day, django_assert_max_num_queries):
    with django_assert_max_num_queries(11):
        selectors.day_figures(known_day, timezone.localdate())


@pytest.fixture
def questions(msk):
    return [
        ReportQuestion.objects.create(branch=msk, text="Главное за день", kind="text", required=True, order=1),
        ReportQuestion.objects.create(branch=msk, text="Сколько перезвонов", kind="number", order=2),
        ReportQuestion.objects.create(
            branch=msk, text="Настроение", kind="choice", options="Хорошо\nПлохо", required=True, order=3
        ),
        ReportQuestion.objects.create(branch=msk, text="Снятый", kind="text", required=True, is_active=False),
    ]


def test_submit_freezes_figures_and_correction_is_a_new_version(manager_msk, questions):
    q1, q2, q3, _ = questions
    answers = {str(q1.pk): "Два договора", str(q2.pk): "4", str(q3.pk): "Хорошо"}
    first = services.daily_report_submit(manager=manager_msk, comments={"calls": "мало"}, answers=answers)
    assert (first.version, first.is_current, first.status) == (1, True, "submitted")
    assert first.figures["calls"] == 0 and first.comments == {"calls": "мало"}
    assert [a["answer"] for a in first.answers] == ["Два договора", "4", "Хорошо"]
    with pytest.raises(services.DomainError, match="уже сдан"):
        services.daily_report_submit(manager=manager_msk, answers=answers)
    _activity(manager_msk, Activity.Kind.CALL, Activity.Status.DONE, timezone.now(), done_at=timezone.now())
    first.refresh_from_db()
    assert first.figures["calls"] == 0  # frozen
    second = services.daily_report_submit(manager=manager_msk, answers=answers, correcting=True)
    first.refresh_from_db()
    assert (second.version, second.is_current, second.figures["calls"]) == (2, True, 1)
    assert first.is_current is False
    assert AuditEntry.objects.filter(target_type__icontains="dailyreport").count() == 2


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"q2": "4", "q3": "Хорошо"}, "Ответьте на вопрос «Главное за день»"),
        ({"q1": "x", "q2": "четыре", "q3": "Хорошо"}, "нужно число"),
        ({"q1": "x", "q3": "Отлично"}, "выберите один из вариантов"),
    ],
)
def test_answers_are_checked_in_russian(manager_msk, questions, answers, message):
    ids = {f"q{i + 1}": str(q.pk) for i, q in enumerate(questions)}
    with pytest.raises(services.DomainError, match=message):
        services.daily_report_submit(manager=manager_msk, answers={ids[k]: v for k, v in answers.items()})
    assert not DailyReport.objects.exists()


def test_one_current_report_per_day_in_the_database(manager_msk):
    from django.db import IntegrityError, transaction

    services.daily_report_submit(manager=manager_msk)
    with pytest.raises(IntegrityError), transaction.atomic():
        DailyReport.objects.create(manager=manager_msk, branch=manager_msk.branch, date=timezone.localdate(), version=2)


def test_review_notifies_the_manager_with_a_link(manager_msk, head_msk):
    report = services.daily_report_submit(manager=manager_msk)
    services.daily_report_review(report=report, by=head_msk, comment="Больше встреч")
    report.refresh_from_db()
    assert (report.status, report.reviewed_by, report.review_comment) == ("reviewed", head_msk, "Больше встреч")
    note = Notification.objects.get(user=manager_msk)
    assert note.url == reverse("reports:detail", args=[report.pk]) and "Больше встреч" in note.text


@pytest.mark.parametrize("who", ["manager2_msk", "head_spb", "lawyer_msk", "admin_user", "call_centre"])
def test_wrong_roles_may_not_review(request, manager_msk, who):
    report = services.daily_report_submit(manager=manager_msk)
    with pytest.raises(services.DomainError):
        services.daily_report_review(report=report, by=request.getfixturevalue(who))
    report.refresh_from_db()
    assert report.status == "submitted" and not Notification.objects.exists()


@pytest.mark.parametrize("who", ["head_msk", "director", "lawyer_msk", "admin_user", "call_centre"])
def test_only_managers_file(request, who):
    with pytest.raises(services.DomainError):
        services.daily_report_submit(manager=request.getfixturevalue(who))
    assert not DailyReport.objects.exists()


def test_visibility(manager_msk, manager2_msk, manager_spb, head_msk, director, lawyer_msk, admin_user):
    mine = services.daily_report_submit(manager=manager_msk)
    other = services.daily_report_submit(manager=manager2_msk)
    spb = services.daily_report_submit(manager=manager_spb)
    seen = lambda u: set(selectors.reports_visible_to(u))  # noqa: E731
    assert seen(manager_msk) == {mine}
    assert seen(head_msk) == {mine, other}
    assert seen(director) == {mine, other, spb}
    assert seen(lawyer_msk) == seen(admin_user) == set()


def test_reminder_only_on_working_days_and_only_to_those_missing(manager_msk, manager2_msk, manager_spb):
    services.daily_report_submit(manager=manager_msk)
    with mock.patch("reports.services.is_working_day", return_value=False):
        assert services.daily_reports_remind() == 0
    with mock.patch("reports.services.is_working_day", return_value=True):
        assert services.daily_reports_remind() == 2
    assert set(Notification.objects.values_list("user", flat=True)) == {manager2_msk.pk, manager_spb.pk}


def test_heads_morning_list(manager_msk, manager2_msk, head_msk, head_spb, manager_spb):
    # 2026-12-01 is a Tuesday; the previous working day is Monday 30 November.
    DailyReport.objects.create(manager=manager_msk, branch=manager_msk.branch, date=date(2026, 11, 30))
    DailyReport.objects.create(manager=manager_spb, branch=manager_spb.branch, date=date(2026, 11, 30))
    assert services.daily_reports_missing_digest(today=date(2026, 12, 1)) == 1
    note = Notification.objects.get()
    assert note.user == head_msk and manager2_msk.full_name in note.text and "30.11.2026" in note.text
    assert services.daily_reports_missing_digest(today=date(2026, 12, 5)) == 0  # Saturday


# --- pages -------------------------------------------------------------------------------------


def test_manager_files_on_the_page(web, manager_msk, questions, known_day):
    web.force_login(manager_msk)
    page = web.get(reverse("reports:today"))
    assert page.status_code == 200 and "Договоры заключены" in page.content.decode()
    q1, q2, q3, _ = questions
    bad = web.post(reverse("reports:today"), {f"q_{q2.pk}": "x", f"q_{q3.pk}": "Хорошо"})
    assert bad.status_code == 400 and "Ответьте на вопрос" in bad.content.decode()
    ok = web.post(
        reverse("reports:today"),
        {f"q_{q1.pk}": "Итоги", f"q_{q3.pk}": "Хорошо", "comment_calls": "Клиенты не брали трубку"},
    )
    assert ok.status_code == 302
    report = DailyReport.objects.get()
    assert report.figures["contracts_sum"] == "200000.50" and report.comments == {"calls": "Клиенты не брали трубку"}
    frozen = web.get(reverse("reports:today")).content.decode()
    assert "Исправить" in frozen and "Сдать отчёт" not in frozen


def test_head_sees_branch_day_and_missing(web, manager_msk, manager2_msk, manager_spb, head_msk):
    services.daily_report_submit(manager=manager_msk)
    web.force_login(head_msk)
    body = web.get(reverse("reports:branch")).content.decode()
    assert manager_msk.full_name in body and manager2_msk.full_name in body and manager_spb.full_name not in body
    report = DailyReport.objects.get()
    r = web.post(reverse("reports:review", args=[report.pk]), {"comment": "Ок", "back": "branch"})
    assert r.status_code == 302
    report.refresh_from_db()
    assert report.status == "reviewed"


@pytest.mark.parametrize("who", ["lawyer_msk", "admin_user", "call_centre"])
def test_pages_refuse_others(web, request, who):
    web.force_login(request.getfixturevalue(who))
    for name in ("reports:index", "reports:today", "reports:branch"):
        assert web.get(reverse(name)).status_code == 403


def test_other_branch_head_cannot_open_or_review(web, manager_msk, head_spb):
    report = services.daily_report_submit(manager=manager_msk)
    web.force_login(head_spb)
    assert web.get(reverse("reports:detail", args=[report.pk])).status_code == 404
    assert web.post(reverse("reports:review", args=[report.pk])).status_code == 404
    report.refresh_from_db()
    assert report.status == "submitted"


def test_bad_dates_fall_back_to_today(web, manager_msk):
    web.force_login(manager_msk)
    for raw in ("31.02", "2999-01-01", "0001-01-01"):
        page = web.get(reverse("reports:today"), {"date": raw})
        assert page.status_code == 200 and "Показан сегодняшний день" in page.content.decode()


# --- API ---------------------------------------------------------------------------------------


def test_api_file_read_review(manager_msk, head_msk, manager_spb):
    m = token_client(manager_msk)
    created = m.post("/api/v1/daily-reports/", {"comments": {"calls": "мало"}}, format="json")
    assert created.status_code == 201, created.content
    rid = created.json()["id"]
    assert m.post("/api/v1/daily-reports/", {}, format="json").status_code == 400
    assert m.get(f"/api/v1/daily-reports/{rid}/").json()["comments"] == {"calls": "мало"}
    assert token_client(manager_spb).get(f"/api/v1/daily-reports/{rid}/").status_code == 404
    assert m.post(f"/api/v1/daily-reports/{rid}/review/", {"comment": "сам"}, format="json").status_code == 403
    h = token_client(head_msk)
    listed = h.get("/api/v1/daily-reports/", {"date": timezone.localdate().isoformat(), "manager": manager_msk.pk})
    assert [r["id"] for r in listed.json()] == [rid]
    reviewed = h.post(f"/api/v1/daily-reports/{rid}/review/", {"comment": "Хорошо"}, format="json")
    assert reviewed.status_code == 200 and reviewed.json()["status"] == "reviewed"
    assert h.post("/api/v1/daily-reports/", {}, format="json").status_code == 403
    assert h.get("/api/v1/daily-reports/", {"date": "x"}).status_code == 400
