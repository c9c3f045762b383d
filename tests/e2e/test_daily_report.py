"""The end-of-day report in a real browser.

A manager opens «Отчёты» and sees the figures the CRM counted from the day's real rows
(calls, a meeting, a contract with its fee, a payment); a missing required answer is
refused in Russian; he comments a figure and files the report, which is then frozen.
The head sees the branch's day: the report beside the list of who has not filed, marks
it reviewed with a comment, and the manager reads the comment through his notification.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from activities.models import Activity
from crm.models import Notification
from crm.pipelines import Stage
from deals.services import deal_move_to_stage
from reports.models import DailyReport, ReportQuestion
from tests.e2e.helpers import enter_as
from tests.factories import contract_data, make_deal, make_payment

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def settle(page: Page) -> None:
    page.wait_for_load_state("networkidle")


def test_manager_files_head_reviews(
    page: Page, live_server, everyone, manager_msk, manager2_msk, head_msk, msk, page_problems, screenshot
):
    now = timezone.now()
    for kind in (Activity.Kind.CALL, Activity.Kind.CALL, Activity.Kind.MEETING):
        Activity.objects.create(
            kind=kind, status=Activity.Status.DONE, responsible=manager_msk, branch=msk,
            planned_at=now - timedelta(minutes=30), done_at=now,
        )  # fmt: skip
    deal = make_deal(manager=manager_msk, last_name="Договорова")
    deal_move_to_stage(deal=deal, stage=Stage.DB_PREP_COURT, by=manager_msk, data=contract_data())
    make_payment(
        deal=deal, paid_on=timezone.localdate(), amount=Decimal("15000"), method="cash", recorded_by=manager_msk
    )
    question = ReportQuestion.objects.create(branch=msk, text="Главное за день", required=True)

    enter_as(page, live_server, "manager.msk")
    expect(page.locator("a[href='/reports/']")).to_have_count(1)  # in the menu («Ещё»)
    page.goto("/reports/")
    expect(page.get_by_role("heading", name=f"Отчёт за {timezone.localdate():%d.%m.%Y}")).to_be_visible()
    expect(page.get_by_test_id("figure-calls")).to_have_text("2")
    expect(page.get_by_test_id("figure-meetings")).to_have_text("1")
    expect(page.get_by_test_id("figure-contracts_count")).to_have_text("1")
    expect(page.get_by_test_id("figure-contracts_sum")).to_have_text("120 000,00 ₽")
    expect(page.get_by_test_id("figure-payments_count")).to_have_text("1")
    expect(page.get_by_test_id("figure-payments_sum")).to_have_text("15 000,00 ₽")
    page.get_by_label("Комментарий: Звонки проведены").fill("Остальные не взяли трубку")
    page.get_by_test_id("report-submit").click()
    expect(page.get_by_test_id("report-errors")).to_contain_text("Ответьте на вопрос «Главное за день»")
    expect(page.get_by_label("Комментарий: Звонки проведены")).to_have_value("Остальные не взяли трубку")
    screenshot(page, "daily-report-refused")
    page.get_by_label("Главное за день").fill("Подписан договор с Договоровой")
    page.get_by_test_id("report-submit").click()
    expect(page.get_by_test_id("report-status")).to_have_text("Сдан")
    expect(page.get_by_test_id("report-fix")).to_be_visible()
    expect(page.locator("input[name^=comment_]")).to_have_count(0)  # frozen
    screenshot(page, "daily-report-filed")
    report = DailyReport.objects.get()
    assert report.figures["calls"] == 2 and report.answers[0]["question"] == question.pk
    settle(page)

    enter_as(page, live_server, "rop.msk")
    page.goto("/reports/")
    expect(page.get_by_test_id("missing-reports")).to_contain_text(manager2_msk.full_name)
    expect(page.get_by_test_id("missing-reports")).not_to_contain_text(manager_msk.full_name)
    card = page.get_by_test_id("report-card")
    expect(card).to_have_count(1)
    expect(card).to_contain_text(manager_msk.full_name)
    expect(card).to_contain_text("Остальные не взяли трубку")
    screenshot(page, "daily-report-branch")
    card.get_by_placeholder("Комментарий менеджеру").fill("Хорошо, завтра добавь встреч")
    card.get_by_role("button", name="Отметить просмотренным").click()
    expect(page.get_by_test_id("report-card")).to_contain_text("Просмотрен")
    note = Notification.objects.get(user=manager_msk)
    assert note.url == f"/reports/{report.pk}/"
    settle(page)

    enter_as(page, live_server, "manager.msk")
    page.goto(note.url)
    expect(page.get_by_test_id("report-review")).to_contain_text("Хорошо, завтра добавь встреч")
    screenshot(page, "daily-report-reviewed")
    settle(page)
    assert page_problems == [f"400 {live_server.url}/reports/day/"]  # only the refused form


def test_head_sets_a_question_the_managers_then_answer(
    page: Page, live_server, everyone, manager_msk, head_msk, msk, page_problems, screenshot
):
    enter_as(page, live_server, "rop.msk")
    page.goto("/reports/")
    page.get_by_test_id("questions-link").click()
    page.wait_for_url(f"{live_server.url}/reports/questions/")
    form = page.get_by_test_id("question-form")
    form.get_by_label("Вопрос").fill("Сколько встреч назначено на завтра?")
    form.get_by_label("Вид ответа").select_option("number")
    form.get_by_label("Обязательный").check()
    form.get_by_role("button", name="Добавить").click()
    expect(page.get_by_role("alert").filter(has_text="Вопрос добавлен")).to_be_visible()
    expect(page.get_by_test_id("questions")).to_contain_text("Сколько встреч назначено на завтра?")
    screenshot(page, "daily-report-questions")
    assert ReportQuestion.objects.get().kind == "number"

    enter_as(page, live_server, "manager.msk")
    page.goto("/reports/day/")
    expect(page.get_by_text("Сколько встреч назначено на завтра?")).to_be_visible()
    assert page_problems == []
