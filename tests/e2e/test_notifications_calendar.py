"""The office's day without dead ends, in a real browser: notifications, a lawyer's calendar, the audit log.

A manager opens a notification about a new task: it is read and he lands on the task
itself (not on «Мои дела»), and the bell's number follows without a reload. A lawyer's
«Календарь» is her own, with the court hearing of a case; the head sees the branch's
calendars side by side. The director reads the audit log in plain Russian.
"""

import pytest
from playwright.sync_api import Page, expect

from activities import services as activity_services
from crm.models import Notification
from crm.notifications import notify
from deals.services import deal_move_to_stage, hearing_add
from tasks import services as task_services
from tests.e2e.helpers import at, enter_as, moment
from tests.factories import contract_data, court_data, make_client, make_deal

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def settle(page: Page) -> None:
    """Let the page's own requests (the icon, the bell) finish before leaving it, so none is aborted."""
    page.wait_for_load_state("networkidle")


def test_a_notification_opened_is_read_and_lands_on_its_task(
    page: Page, live_server, head_msk, manager_msk, page_problems, screenshot
):
    with at(2026, 11, 24, 9, 0):
        task = task_services.task_create(author=head_msk, responsible=manager_msk, title="Позвонить в суд")
        enter_as(page, live_server, "manager.msk")
        bell = page.get_by_test_id("notifications")
        expect(bell.get_by_test_id("notifications-count")).to_have_text("1")
        settle(page)
        bell.click()
        page.wait_for_url(f"{live_server.url}/notifications/")
        screenshot(page, "notifications_list")
        settle(page)
        page.get_by_test_id("notification").get_by_role("link").click()
        page.wait_for_url(f"{live_server.url}/tasks/{task.pk}/")
        expect(page.get_by_role("heading", level=1)).to_contain_text("Позвонить в суд")
        expect(page.get_by_test_id("notifications").get_by_test_id("notifications-count")).to_have_count(0)
        assert Notification.objects.get(user=manager_msk).read_at is not None

        # A new notification arrives while the page is open: the bell's poll brings the number
        # (the 30-second timer is what fires it in use; here the same request is made at once).
        notify(users=[manager_msk], text="Проверка счётчика", url=f"/tasks/{task.pk}/")
        page.evaluate(
            "htmx.ajax('GET', '/notifications/bell/', {target: '[data-testid=notifications]', swap: 'outerHTML'})"
        )
        expect(page.get_by_test_id("notifications").get_by_test_id("notifications-count")).to_have_text("1")
        screenshot(page, "notifications_task_landed")
    assert page_problems == []


def test_a_lawyer_sees_a_hearing_in_her_calendar_and_the_head_sees_the_branch(
    page: Page, live_server, lawyer_msk, manager_msk, manager2_msk, head_msk, page_problems, screenshot
):
    with at(2026, 11, 24, 9, 0):
        deal = make_deal(manager=manager_msk, last_name="Судебный", phones=["+79165550001"])
        deal_move_to_stage(deal=deal, stage="db_prep_court", by=manager_msk, data=contract_data())
        deal_move_to_stage(deal=deal, stage="db_in_court", by=manager_msk, data={**contract_data(), **court_data()})
        hearing_add(deal=deal, by=lawyer_msk, date=moment(2026, 11, 26, 11, 30))
        client = make_client(manager=manager2_msk, last_name="Встречин", phones=["+79165550002"])
        activity_services.meeting_book(
            by=manager2_msk,
            manager=manager2_msk,
            starts_at=moment(2026, 11, 26, 10, 0),
            ends_at=moment(2026, 11, 26, 11, 0),
            client=client,
        )

        enter_as(page, live_server, "lawyer.msk")
        settle(page)
        page.goto("/calendar/")
        page.wait_for_url(f"{live_server.url}/calendar/{lawyer_msk.pk}/")
        hearing = page.get_by_test_id("calendar-hearing")
        expect(hearing).to_have_count(1)
        expect(hearing).to_contain_text("11:30 · заседание")
        expect(hearing).to_contain_text("Судебный Иван Петрович, дело А40-123456/2026")
        expect(hearing).to_contain_text("Арбитражный суд г. Москвы")
        screenshot(page, "calendar_lawyer_week")
        settle(page)
        hearing.get_by_role("link").click()
        page.wait_for_url(f"{live_server.url}/deals/{deal.pk}/")
        settle(page)

        enter_as(page, live_server, "rop.msk")
        settle(page)
        page.goto("/calendar/")
        settle(page)
        page.get_by_test_id("calendar-branch-link").click()
        page.wait_for_url(f"{live_server.url}/calendar/branch/**")
        settle(page)
        page.get_by_label("День", exact=True).fill("2026-11-26")
        page.get_by_role("button", name="Показать", exact=True).click()
        columns = page.get_by_test_id("calendar-column")
        expect(columns.locator(".card-header")).to_have_text(
            ["Иванов Сергей Николаевич", "Кузнецов Дмитрий Сергеевич", "Петрова Анна Игоревна"]
        )
        expect(page.get_by_test_id("calendar-entry")).to_have_count(1)
        expect(page.get_by_test_id("calendar-entry")).to_contain_text("10:00–11:00")
        expect(page.get_by_test_id("calendar-entry")).to_contain_text("Встречин")
        screenshot(page, "calendar_branch_day")
    assert page_problems == []


def test_the_audit_log_reads_in_russian(page: Page, live_server, director, manager_msk, page_problems, screenshot):
    with at(2026, 11, 24, 9, 0):
        deal = make_deal(manager=manager_msk, last_name="Уваров", phones=["+79165550003"])
        deal_move_to_stage(deal=deal, stage="db_prep_court", by=manager_msk, data=contract_data())
        enter_as(page, live_server, "director")
        settle(page)
        page.goto("/audit/")
        move = page.get_by_test_id("audit-changes").filter(has_text="Подготовка к АС")
        expect(move).to_contain_text("Стадия: В работе (не заключён) → Подготовка к АС")
        expect(move).to_contain_text("Стоимость услуг: — → 120 000,00 ₽")
        expect(move).to_contain_text("Дата договора: — → 02.11.2026")
        expect(page.get_by_test_id("audit-table")).to_contain_text("Клиент: Уваров Иван Петрович")
        expect(page.get_by_test_id("audit-table")).not_to_contain_text("У → в → а")
        screenshot(page, "audit_log_russian")
    assert page_problems == []
