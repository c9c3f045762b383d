"""Logging in, the home page of every role, the login lock and the phone menu, in a real browser."""

import re

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from tests.e2e.conftest import PHONE
from tests.e2e.helpers import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# The text of each cell of the matched table rows.
TABLE_CELLS_JS = "rows => rows.map(row => Array.from(row.cells, cell => cell.innerText.trim()))"


def test_manager_logs_in_and_sees_own_home(
    page: Page, live_server, manager_msk, manager2_msk, page_problems, screenshot
):
    page.goto("/")

    expect(page).to_have_url(f"{live_server.url}/login/?next=/")
    expect(page).to_have_title("Вход — CRM")
    log_in(page, "manager.msk")

    page.wait_for_url(f"{live_server.url}/")  # and for the page's styles and scripts to load
    expect(page).to_have_title("Мой день — CRM")
    expect(page.get_by_test_id("home-title")).to_have_text("Мой день")
    expect(page.get_by_test_id("user-menu")).to_have_text("Иванов С.Н.")
    team = page.get_by_test_id("block-team")
    expect(team.locator(".card-header")).to_have_text("Коллеги филиала")
    expect(team.locator("tbody tr td:first-child")).to_have_text(
        ["Кузнецов Дмитрий Сергеевич", "Петрова Анна Игоревна"]
    )
    # Styles and scripts arrived: Bootstrap lays out the desktop navbar, the
    # firm's stylesheet colours it, Bootstrap's and htmx's scripts are running.
    expect(page.get_by_role("button", name="Меню", exact=True)).to_be_hidden()
    expect(page.get_by_role("button", name="Ещё", exact=True)).to_be_visible()  # rarely used sections fold here
    expect(page.locator("nav.navbar")).to_have_css("background-color", "rgb(31, 59, 99)")
    assert page.evaluate("[typeof bootstrap, typeof htmx]") == ["object", "object"]
    assert page.request.get("/static/vendor/bootstrap/css/bootstrap.min.css").status == 200
    assert page_problems == []
    screenshot(page, "manager-home-desktop")


@pytest.mark.parametrize(
    ("person", "title", "user_menu"),
    [
        pytest.param("director", "Компания сегодня", "Орлова М.В. · Директор", id="director"),
        pytest.param("head_msk", "Отдел продаж филиала", "Кузнецов Д.С. · Руководитель отдела продаж", id="head_msk"),
        pytest.param("manager_msk", "Мой день", "Иванов С.Н. · Менеджер по продажам", id="manager_msk"),
        pytest.param("call_centre", "Колл-центр", "Новикова И.П. · Колл-центр", id="call_centre"),
        pytest.param("lawyer_msk", "Юридический отдел", "Морозова О.Д. · Юрист", id="lawyer_msk"),
        pytest.param("office_manager", "Офис", "Лебедева Т.Ю. · Офис-менеджер", id="office_manager"),
        pytest.param("admin_user", "Администрирование", "Смирнов А.П. · Администратор", id="admin_user"),
    ],
)
def test_every_role_logs_in_to_its_own_home(page: Page, live_server, request, everyone, person, title, user_menu):
    user = request.getfixturevalue(person)
    page.goto("/login/")

    log_in(page, user.username)

    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_test_id("home-title")).to_have_text(title)
    short_name, role = user_menu.split(" · ")
    expect(page.get_by_test_id("user-menu")).to_have_text(short_name)
    page.get_by_test_id("user-menu").click()
    expect(page.get_by_test_id("user-role")).to_contain_text(f"{user.full_name} · {role}")
    page.keyboard.press("Escape")
    if person == "director":
        branches = page.get_by_test_id("block-branches")
        expect(branches.locator(".card-header")).to_have_text("Филиалы")
        # Branch, city, then active managers, heads of sales, lawyers and all staff, by branch name.
        assert branches.locator("tbody tr").evaluate_all(TABLE_CELLS_JS) == [
            ["Москва", "Москва", "2", "1", "1", "5"],
            ["Санкт-Петербург", "Санкт-Петербург", "1", "1", "0", "2"],
        ]
    if person == "call_centre":
        managers = page.get_by_test_id("block-managers")
        expect(managers.locator(".card-header")).to_have_text("Менеджеры по филиалам")
        assert managers.locator("tbody tr").evaluate_all(TABLE_CELLS_JS) == [
            ["Москва", "Иванов Сергей Николаевич", "—"],
            ["Москва", "Кузнецов Дмитрий Сергеевич", "—"],  # heads of sales take bookings too
            ["Москва", "Петрова Анна Игоревна", "—"],
            ["Санкт-Петербург", "Волкова Елена Андреевна", "—"],
            ["Санкт-Петербург", "Соколов Павел Олегович", "—"],
        ]


def test_correct_password_is_refused_after_five_wrong_ones(page: Page, live_server, manager_msk, screenshot):
    page.goto("/login/")
    errors = page.get_by_test_id("form-errors")

    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        log_in(page, "manager.msk", "wrong-password")
        expect(errors).to_have_text("Неверный логин или пароль.")
    log_in(page, "manager.msk")

    expect(errors).to_have_text(
        f"Слишком много неудачных попыток входа. Попробуйте снова через {settings.LOGIN_LOCKOUT_MINUTES} мин."
    )
    expect(page).to_have_url(f"{live_server.url}/login/")
    expect(page.get_by_role("button", name="Войти", exact=True)).to_be_visible()
    expect(page.get_by_test_id("user-menu")).to_have_count(0)
    screenshot(page, "login-locked")


@pytest.mark.parametrize("viewport", [PHONE], ids=["phone"])
def test_head_of_sales_opens_staff_from_the_phone_menu(page: Page, live_server, everyone, page_problems, screenshot):
    page.goto("/login/")
    log_in(page, "rop.msk")
    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_test_id("home-title")).to_have_text("Отдел продаж филиала")
    staff_link = page.get_by_role("link", name="Сотрудники", exact=True)
    expect(staff_link).to_be_hidden()

    page.get_by_role("button", name="Меню", exact=True).click()
    expect(page.locator("#main-nav")).to_have_class(re.compile(r"\bshow\b"))  # the unfolding has finished
    page.get_by_role("button", name="Ещё", exact=True).click()
    expect(staff_link).to_be_visible()
    screenshot(page, "phone-menu-open")
    staff_link.click()

    page.wait_for_url(f"{live_server.url}/staff/")
    expect(page.get_by_role("heading", name="Сотрудники", exact=True)).to_be_visible()
    table = page.get_by_test_id("staff-table")
    expect(table).to_be_visible()
    # His own branch and the staff attached to no branch, by name.
    expect(table.locator("tbody tr td:first-child")).to_have_text(
        [
            "Иванов Сергей Николаевич",
            "Кузнецов Дмитрий Сергеевич",
            "Лебедева Татьяна Юрьевна",
            "Морозова Ольга Дмитриевна",
            "Новикова Ирина Павловна",
            "Орлова Марина Викторовна",
            "Петрова Анна Игоревна",
            "Смирнов Алексей Петрович",
        ]
    )
    assert page.evaluate("document.documentElement.scrollWidth") == PHONE["width"]
    assert page_problems == []
    screenshot(page, "head-staff-phone")


def test_logout_from_the_user_menu_returns_to_login(page: Page, live_server, manager_msk):
    page.goto("/login/")
    log_in(page, "manager.msk")
    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_test_id("home-title")).to_have_text("Мой день")

    page.get_by_test_id("user-menu").click()
    expect(page.get_by_text("Иванов Сергей Николаевич · Менеджер по продажам, Москва")).to_be_visible()
    page.get_by_role("button", name="Выйти", exact=True).click()

    expect(page).to_have_url(f"{live_server.url}/login/")
    expect(page.get_by_role("button", name="Войти", exact=True)).to_be_visible()
    page.goto("/")
    expect(page).to_have_url(f"{live_server.url}/login/?next=/")
