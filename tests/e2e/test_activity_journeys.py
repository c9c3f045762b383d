"""«Мои дела», calendars and booking, walked through in a real browser.

The call-centre books a remote consultation into a manager's free slot and is
refused an overlapping one; the manager finds it in «Мои дела» and his week,
closes it with a result and plans the next call in the same step; a deal with
nothing planned breaks the 14-day rule until a call is planned on it; a client
left without activities is marked abandoned by beat, moved to the pool by the
head and handed out again by the head's rule, while one marked «потерян
окончательно» stays lost. Every journey checks the database as well as the page.

The clock is frozen on working days of November 2026 (Tue 24.11 and Wed 25.11),
so the free slots are known in advance; the live server answers from a thread
of this process and sees the same clock.
"""

from datetime import date, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from activities import services as activity_services
from activities.models import Activity, PoolRule
from activities.tasks import clients_mark_abandoned_task, pool_hand_out_task
from clients.models import Client
from tests.e2e.helpers import at, enter_as, moment
from tests.factories import make_client, make_deal

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WORKING_DAY_SLOTS = [f"{h:02}:00–{h + 1:02}:00 свободно" for h in range(9, 18)]
SLOT_10_BUSY = "Иванов С.Н.: это время уже занято — дистанционная консультация 25.11.2026 10:00–11:00."


def alert(page: Page, text: str) -> Locator:
    return page.get_by_role("alert").filter(has_text=text)


def open_my_day(page: Page, live_server) -> None:
    page.get_by_role("navigation").get_by_role("link", name="Мои дела", exact=True).click()
    page.wait_for_url(f"{live_server.url}/my-day/")


def manager_column(page: Page, full_name: str) -> Locator:
    return page.get_by_test_id("manager-slots").filter(has=page.get_by_text(full_name, exact=True))


def book_remote_consultation(*, by, manager, client) -> Activity:
    """What the call-centre did the day before: Wednesday 10:00–11:00, by phone."""
    return activity_services.meeting_book(
        by=by,
        manager=manager,
        kind=Activity.Kind.REMOTE,
        starts_at=moment(2026, 11, 25, 10, 0),
        ends_at=moment(2026, 11, 25, 11, 0),
        client=client,
        location="+7 916 555-44-33",
        subject="Первичная консультация",
    )


def test_call_centre_books_a_free_slot_from_the_grid_and_an_overlap_is_refused(
    page: Page, live_server, call_centre, manager_msk, head_msk, manager2_msk, manager_spb, page_problems, screenshot
):
    client = make_client(manager=manager_msk, phones=["+7 916 555-44-33"])
    with at(2026, 11, 24, 8, 0):
        enter_as(page, live_server, "callcenter")
        page.get_by_role("navigation").get_by_role("link", name="Запись", exact=True).click()
        page.wait_for_url(f"{live_server.url}/booking/")
        grid = page.get_by_test_id("booking-filter")
        grid.get_by_label("Филиал", exact=True).select_option(label="Москва")
        grid.get_by_label("День", exact=True).fill("2026-11-25")
        grid.get_by_role("button", name="Показать", exact=True).click()
        page.wait_for_url(f"{live_server.url}/booking/?branch={manager_msk.branch_id}&date=2026-11-25&lead=&client=")

        # Every Moscow calendar side by side (the head's too), nobody from Petersburg.
        expect(page.get_by_test_id("manager-slots").locator(".card-header")).to_have_text(
            ["Иванов Сергей Николаевич", "Кузнецов Дмитрий Сергеевич", "Петрова Анна Игоревна"]
        )
        ivanov = manager_column(page, "Иванов Сергей Николаевич")
        expect(ivanov.get_by_test_id("free-slot")).to_have_text(WORKING_DAY_SLOTS)
        ivanov.get_by_role("link", name="10:00–11:00 свободно", exact=True).click()
        page.wait_for_url(f"{live_server.url}/booking/new/**")

        form = page.get_by_test_id("book-form")
        expect(page.get_by_role("heading", level=1)).to_have_text("Запись: Иванов Сергей Николаевич")
        expect(form.get_by_label("Начало", exact=True)).to_have_value("2026-11-25T10:00")  # the slot clicked
        expect(form.get_by_label("Длительность", exact=True)).to_have_value("60")
        form.get_by_label("Что", exact=True).select_option(label="Дистанционная консультация")
        form.get_by_label("Телефон клиента", exact=True).fill("8 (916) 555-44-33")
        form.get_by_label("Комментарий", exact=True).fill("Первичная консультация")
        form.get_by_role("button", name="Записать", exact=True).click()

        # A remote consultation without a link or phone is refused on its field.
        location = form.get_by_label("Ссылка или телефон (для дистанционной)", exact=True)
        expect(location.locator("xpath=..").locator(".invalid-feedback")).to_have_text(
            "Для дистанционной консультации укажите ссылку или телефон."
        )
        assert not Activity.objects.exists()
        refused_url = page.url
        location.fill("https://telemost.yandex.ru/j/12345")
        form.get_by_role("button", name="Записать", exact=True).click()

        page.wait_for_url(f"{live_server.url}/booking/?branch={manager_msk.branch_id}&date=2026-11-25")
        expect(alert(page, "Записано")).to_have_text("Записано: Иванов С.Н., 25.11.2026 10:00, Клиентов Иван Петрович.")
        ivanov = manager_column(page, "Иванов Сергей Николаевич")
        expect(ivanov.get_by_test_id("busy-slot")).to_have_text(["10:00–11:00 дистанционная консультация"])
        expect(ivanov.get_by_test_id("free-slot")).to_have_count(8)
        expect(ivanov.get_by_role("link", name="10:00–11:00 свободно")).to_have_count(0)
        expect(manager_column(page, "Петрова Анна Игоревна").get_by_test_id("free-slot")).to_have_text(
            WORKING_DAY_SLOTS
        )
        screenshot(page, "activity-booking-grid-booked")

    consultation = Activity.objects.get()
    assert (consultation.kind, consultation.status, consultation.place, consultation.location) == (
        "remote",
        "planned",
        "remote",
        "https://telemost.yandex.ru/j/12345",
    )
    assert (consultation.responsible, consultation.booked_by, consultation.client, consultation.subject) == (
        manager_msk,
        call_centre,
        client,
        "Первичная консультация",
    )
    assert (consultation.planned_at, consultation.ends_at) == (moment(2026, 11, 25, 10, 0), moment(2026, 11, 25, 11, 0))

    # Half an hour later for the same manager: the form says why and keeps what was typed.
    with at(2026, 11, 24, 8, 5):
        manager_column(page, "Иванов Сергей Николаевич").get_by_role(
            "link", name="11:00–12:00 свободно", exact=True
        ).click()
        page.wait_for_url(f"{live_server.url}/booking/new/**")
        form = page.get_by_test_id("book-form")
        form.get_by_label("Начало", exact=True).fill("2026-11-25T10:30")
        form.get_by_label("Телефон клиента", exact=True).fill("+7 916 555-44-33")
        form.get_by_role("button", name="Записать", exact=True).click()

        starts = form.get_by_label("Начало", exact=True)
        expect(starts.locator("xpath=..").locator(".invalid-feedback")).to_have_text(SLOT_10_BUSY)
        expect(starts).to_have_value("2026-11-25T10:30")
        expect(form.get_by_label("Что", exact=True)).to_have_value("meeting")
        screenshot(page, "activity-booking-overlap-refused")
        overlap_url = page.url
    assert list(Activity.objects.values_list("pk", flat=True)) == [consultation.pk]
    assert page_problems == [f"400 {refused_url}", f"400 {overlap_url}"]


def test_manager_finds_the_consultation_in_my_day_and_calendar_and_closes_it_with_the_next_call(
    page: Page, live_server, call_centre, manager_msk, page_problems, screenshot
):
    client = make_client(manager=manager_msk)
    with at(2026, 11, 24, 8, 0):
        consultation = book_remote_consultation(by=call_centre, manager=manager_msk, client=client)

    with at(2026, 11, 25, 9, 0):
        enter_as(page, live_server, "manager.msk")
        open_my_day(page, live_server)
        today = page.get_by_test_id("today")
        expect(today.locator(".card-header .badge")).to_have_text("1")
        expect(today.get_by_test_id("activity").locator("> div")).to_have_text(
            ["Дистанционная консультация 25.11 10:00–11:00 Клиентов Иван Петрович · Первичная консультация"]
        )
        expect(page.get_by_test_id("coming")).to_contain_text("Ничего не запланировано.")
        expect(page.get_by_test_id("overdue")).to_contain_text("Просроченных нет.")
        screenshot(page, "activity-my-day-consultation-today")

        page.get_by_role("main").get_by_role("link", name="Календарь", exact=True).click()
        page.wait_for_url(f"{live_server.url}/calendar/{manager_msk.pk}/")
        week = page.get_by_test_id("calendar-day")
        expect(week.locator(".card-header")).to_have_text(
            ["Пн, 23.11", "Вт, 24.11", "Ср, 25.11", "Чт, 26.11", "Пт, 27.11", "Сб, 28.11", "Вс, 29.11"]
        )
        expect(page.get_by_test_id("calendar-entry")).to_have_count(1)
        expect(week.nth(2).get_by_test_id("calendar-entry")).to_have_text(
            "10:00–11:00 Дистанционная консультация: Клиентов Иван Петрович", use_inner_text=False
        )
        screenshot(page, "activity-calendar-week")
        page.get_by_role("main").get_by_role("link", name="День", exact=True).click()
        page.wait_for_url(f"{live_server.url}/calendar/{manager_msk.pk}/?view=day&date=2026-11-25")
        expect(page.get_by_test_id("calendar-day").locator(".card-header")).to_have_text(["Ср, 25.11"])
        expect(page.get_by_test_id("calendar-entry")).to_contain_text("Дистанционная консультация")

    # After the consultation: the result and the next call in one step.
    with at(2026, 11, 25, 11, 20):
        open_my_day(page, live_server)
        row = page.get_by_test_id("today").get_by_test_id("activity")
        row.locator("summary", has_text="Выполнено").click()
        row.get_by_label("Результат", exact=True).fill("Готов заключить договор, думает до понедельника")
        row.get_by_label("Следующее дело", exact=True).select_option(label="Звонок")
        row.get_by_label("Когда", exact=True).fill("2026-11-30T10:00")
        row.get_by_label("О чём", exact=True).fill("Узнать решение по договору")
        row.get_by_role("button", name="Закрыть дело", exact=True).click()

        page.wait_for_url(f"{live_server.url}/my-day/")
        expect(alert(page, "Дело закрыто")).to_have_text("Дело закрыто. Следующее запланировано.")
        expect(page.get_by_test_id("today")).to_contain_text("На сегодня исходящих дел нет.")
        expect(page.get_by_test_id("coming").get_by_test_id("activity").locator("> div")).to_have_text(
            ["Звонок 30.11 10:00 Клиентов Иван Петрович · Узнать решение по договору"]
        )
        screenshot(page, "activity-my-day-next-call")

    consultation.refresh_from_db()
    assert (consultation.status, consultation.result, consultation.done_at) == (
        "done",
        "Готов заключить договор, думает до понедельника",
        moment(2026, 11, 25, 11, 20),
    )
    call = Activity.objects.exclude(pk=consultation.pk).get()
    assert (call.kind, call.status, call.direction, call.planned_at, call.ends_at) == (
        "call",
        "planned",
        "outbound",
        moment(2026, 11, 30, 10, 0),
        None,
    )
    assert (call.client, call.deal, call.responsible, call.subject) == (
        client,
        None,
        manager_msk,
        "Узнать решение по договору",
    )
    assert page_problems == []


def test_deal_without_a_planned_activity_breaks_the_rule_until_a_call_is_planned(
    page: Page, live_server, manager_msk, page_problems, screenshot
):
    with at(2026, 11, 24, 8, 0):
        deal = make_deal(manager=manager_msk, last_name="Тихонов")
        enter_as(page, live_server, "manager.msk")
        open_my_day(page, live_server)
        rule = page.get_by_test_id("rule-deals")
        expect(rule.locator(".card-header > span")).to_have_text(["Сделки без дела на 14 дн.", "1"])
        expect(rule.locator("li")).to_have_count(1)
        expect(rule.locator("li")).to_contain_text("Тихонов Иван Петрович")
        expect(rule.get_by_role("link", name="Тихонов Иван Петрович", exact=True)).to_have_attribute(
            "href", f"/deals/{deal.pk}/"
        )
        expect(page.get_by_test_id("rule-clients")).to_contain_text("У каждого клиента без сделки есть дело.")
        screenshot(page, "activity-my-day-rule-deal")

        rule.get_by_role("link", name="запланировать", exact=True).click()
        page.wait_for_url(f"{live_server.url}/clients/{deal.client_id}/plan/")
        form = page.get_by_test_id("plan-form")
        expect(form.get_by_label("Вид", exact=True)).to_have_value("call")
        expect(form.get_by_label("Направление", exact=True)).to_have_value("outbound")
        form.get_by_label("Когда", exact=True).fill("2026-11-27T11:00")
        form.get_by_label("О чём", exact=True).fill("Рассказать о порядке банкротства")
        form.get_by_role("button", name="Запланировать", exact=True).click()

        page.wait_for_url(f"{live_server.url}/clients/{deal.client_id}/")
        expect(alert(page, "Дело запланировано.")).to_be_visible()
        expect(page.get_by_test_id("timeline").locator("li").first).to_contain_text(
            "Запланировано: Звонок 27.11.2026 11:00: Рассказать о порядке банкротства, Иванов С.Н."
        )
        open_my_day(page, live_server)
        rule = page.get_by_test_id("rule-deals")
        expect(rule.locator("li")).to_have_text(["У каждой активной сделки есть дело."])
        expect(rule.locator(".badge")).to_have_count(0)
        expect(page.get_by_test_id("coming").get_by_test_id("activity").locator("> div")).to_have_text(
            ["Звонок 27.11 11:00 Тихонов Иван Петрович · Рассказать о порядке банкротства"]
        )

    call = Activity.objects.get()
    assert (call.kind, call.status, call.direction, call.planned_at) == (
        "call",
        "planned",
        "outbound",
        moment(2026, 11, 27, 11, 0),
    )
    assert (call.deal, call.client, call.responsible, call.subject) == (
        deal,
        deal.client,
        manager_msk,
        "Рассказать о порядке банкротства",
    )
    assert page_problems == []


def test_abandoned_client_goes_to_the_pool_and_is_handed_out_again_but_a_lost_one_stays_lost(
    page: Page, live_server, head_msk, manager_msk, manager2_msk, page_problems, screenshot
):
    with at(2026, 11, 24, 8, 0):
        # The lost one first: if the job ignored «потерян окончательно», it would be handed out before the other.
        gone = make_client(manager=manager_msk, last_name="Уехавший", phones=["+79160000011"])
        forgotten = make_client(manager=manager_msk, last_name="Забытов", phones=["+79160000012"])
        make_client(manager=manager_msk, last_name="Свежев", phones=["+79160000013"])
        Client.objects.filter(pk__in=[gone.pk, forgotten.pk]).update(created_at=timezone.now() - timedelta(days=40))
        assert clients_mark_abandoned_task.apply().get() == 2
    assert dict(Client.objects.values_list("last_name", "status")) == {
        "Уехавший": "abandoned",
        "Забытов": "abandoned",
        "Свежев": "active",
    }

    with at(2026, 11, 24, 9, 0):
        enter_as(page, live_server, "rop.msk")
        open_my_day(page, live_server)
        page.get_by_role("main").get_by_role("link", name="Заброшенные", exact=True).click()
        page.wait_for_url(f"{live_server.url}/clients/state/abandoned/")
        rows = page.get_by_test_id("client-state-row")
        expect(rows.locator("td:nth-child(-n+3)")).to_have_text(
            ["Уехавший Иван Петрович", "Москва", "Иванов С.Н.", "Забытов Иван Петрович", "Москва", "Иванов С.Н."]
        )
        screenshot(page, "activity-abandoned-list")
        for name in ("Уехавший Иван Петрович", "Забытов Иван Петрович"):
            rows.filter(has_text=name).get_by_role("button", name="В отстойник", exact=True).click()
            expect(alert(page, "перенесён в отстойник")).to_have_text(f"{name} перенесён в отстойник.")
        expect(rows).to_have_count(0)
        expect(page.get_by_test_id("client-state-table").locator("tbody")).to_have_text("Никого нет.")
    assert dict(Client.objects.filter(status="pool").values_list("last_name", "manager")) == {
        "Уехавший": None,
        "Забытов": None,
    }

    with at(2026, 11, 24, 9, 10):
        page.get_by_role("link", name="Отстойник", exact=True).click()
        page.wait_for_url(f"{live_server.url}/clients/state/pool/")
        rows = page.get_by_test_id("client-state-row")
        expect(rows.locator("td:first-child")).to_have_text(["Уехавший Иван Петрович", "Забытов Иван Петрович"])
        row = rows.filter(has_text="Уехавший Иван Петрович")
        row.locator("summary", has_text="Потерян окончательно").click()
        row.get_by_label("Причина", exact=True).fill("Переехал за границу, услуги не нужны")
        row.get_by_role("button", name="Подтвердить", exact=True).click()
        expect(alert(page, "потерян окончательно")).to_have_text("Уехавший Иван Петрович: потерян окончательно.")
        expect(rows.locator("td:first-child")).to_have_text(["Забытов Иван Петрович"])

        rule = page.get_by_test_id("pool-rule-form")
        rule.get_by_label("Клиентов на менеджера", exact=True).fill("1")
        rule.get_by_label("Раз в, дней", exact=True).fill("7")
        expect(rule.get_by_label("Раздавать", exact=True)).to_be_checked()
        rule.get_by_role("button", name="Сохранить", exact=True).click()
        expect(alert(page, "Правило раздачи сохранено.")).to_be_visible()
        expect(page.get_by_test_id("pool-rule-form").get_by_label("Клиентов на менеджера", exact=True)).to_have_value(
            "1"
        )
        screenshot(page, "activity-pool-rule")
    rule = PoolRule.objects.get()
    assert (rule.branch, rule.per_manager, rule.every_days, rule.is_active, rule.set_by, rule.last_run_on) == (
        head_msk.branch,
        1,
        7,
        True,
        head_msk,
        None,
    )

    # Beat's hand-out: one client per manager is allowed, only the pool client is given.
    with at(2026, 11, 24, 9, 30):
        assert pool_hand_out_task.apply().get() == 1
        assert pool_hand_out_task.apply().get() == 0  # not again within 7 days
        page.reload()
        expect(page.get_by_test_id("client-state-table").locator("tbody")).to_have_text("Никого нет.")
        expect(page.get_by_test_id("pool-rule-form").locator("xpath=../..")).to_contain_text("последняя 24.11.2026")
        page.get_by_role("link", name="Потеряны", exact=True).click()
        page.wait_for_url(f"{live_server.url}/clients/state/lost/")
        expect(page.get_by_test_id("client-state-row").locator("td:first-child")).to_have_text(
            ["Уехавший Иван Петрович"]
        )

    forgotten.refresh_from_db()
    gone.refresh_from_db()
    assert (forgotten.status, forgotten.manager) == ("active", manager_msk)
    call = Activity.objects.get(client=forgotten)
    assert (call.kind, call.status, call.responsible, call.planned_at, call.subject) == (
        "call",
        "planned",
        manager_msk,
        moment(2026, 11, 25, 10, 0),
        "Реанимация: напомнить о себе",
    )
    assert (gone.status, gone.manager) == ("lost", None)
    assert not Activity.objects.filter(client=gone).exists()
    assert PoolRule.objects.get().last_run_on == date(2026, 11, 24)

    # The next morning the manager finds the reanimation call among today's.
    with at(2026, 11, 25, 9, 0):
        enter_as(page, live_server, "manager.msk")
        open_my_day(page, live_server)
        expect(page.get_by_test_id("today").get_by_test_id("activity").locator("> div")).to_have_text(
            ["Звонок 25.11 10:00 Забытов Иван Петрович · Реанимация: напомнить о себе"]
        )
        screenshot(page, "activity-my-day-reanimation")
    assert page_problems == []
