import pytest
from django.urls import reverse

from crm import services

HOME_BY_ROLE = {
    "director": (
        "Компания сегодня",
        [
            "block-branches",
            "block-my-tasks",
            "block-pr-to-decide",
            "block-activity-rule",
            "block-team-overdue-tasks",
            "block-overdue-payments",
            "block-org-gaps",
            "block-login-alerts",
            "block-recent-audit",
        ],
    ),
    "admin": ("Администрирование", ["block-login-alerts", "block-org-gaps", "block-branches", "block-recent-audit"]),
    "rop.msk": (
        "Отдел продаж филиала",
        [
            "block-my-tasks",
            "block-pr-to-decide",
            "block-activity-rule",
            "block-team-overdue-tasks",
            "block-overdue-payments",
            "block-team",
            "block-org-gaps",
            "block-profile",
        ],
    ),
    "manager.msk": (
        "Мой день",
        ["block-my-tasks", "block-activity-rule", "block-overdue-payments", "block-profile", "block-team"],
    ),
    "lawyer.msk": ("Юридический отдел", ["block-my-tasks", "block-profile", "block-team"]),
    "callcenter": ("Колл-центр", ["block-my-tasks", "block-managers", "block-profile"]),
    "office": ("Офис", ["block-my-tasks", "block-managers", "block-profile"]),
}


def block_of(response, name: str) -> dict:
    """The context of the home block rendered by web/home/<name>.html."""
    return next(context for template, context in response.context["blocks"] if template.endswith(f"/{name}.html"))


@pytest.mark.parametrize("who", HOME_BY_ROLE)
def test_each_role_has_its_own_home(web, everyone, who):
    title, blocks = HOME_BY_ROLE[who]
    web.force_login(everyone[who])
    body = web.get("/").content.decode()
    assert f'data-testid="home-title">{title}<' in body
    positions = [body.index(f'data-testid="{b}"') for b in blocks]
    assert positions == sorted(positions)


@pytest.mark.parametrize("who, queries", [("director", 15), ("rop.msk", 14), ("manager.msk", 10), ("callcenter", 6)])
def test_home_query_count_is_pinned(web, everyone, who, queries, query_count):
    web.force_login(everyone[who])
    web.get("/")
    with query_count(queries):
        web.get("/")


def test_manager_team_is_own_branch_only(web, everyone):
    web.force_login(everyone["manager.msk"])
    body = web.get("/").content.decode()
    assert "Петрова Анна Игоревна" in body
    assert "Соколов Павел Олегович" not in body


def test_manager_sees_the_pr_chain(web, everyone):
    web.force_login(everyone["manager.msk"])
    chain = [u.username for u in block_of(web.get("/"), "_profile")["chain"]]
    assert chain == ["rop.msk", "director"]


def test_call_centre_sees_managers_of_every_branch(web, everyone):
    web.force_login(everyone["callcenter"])
    body = web.get("/").content.decode()
    for name in ("Иванов Сергей Николаевич", "Петрова Анна Игоревна", "Соколов Павел Олегович"):
        assert name in body


def test_director_is_told_of_a_dismissed_supervisor(web, everyone):
    services.user_update(user=everyone["rop.spb"], by=everyone["director"], data={"is_active": False})
    web.force_login(everyone["director"])
    body = web.get("/").content.decode()
    assert "Соколов Павел Олегович</a> — Менеджер по продажам, руководитель уволен" in body


def test_director_sees_login_lockouts(web, api, everyone):
    for _ in range(6):
        api.post(reverse("api-token"), {"username": "manager.msk", "password": "wrong"}, format="json")
    web.force_login(everyone["director"])
    block = block_of(web.get("/"), "_login_alerts")
    assert block == {"locked": 1, "failed": 5}


@pytest.mark.parametrize(
    "who, menu",
    [
        (
            "director",
            [
                "Главная",
                "Мои дела",
                "Лиды",
                "Сделки",
                "Задачи",
                "Календарь",
                "Запись",
                "Платежи",
                "Входящие",
                "Отчёты",
                "Аналитика",
                "Сотрудники",
                "Журнал",
                "Диск",
                "API",
            ],
        ),
        # Heads of sales read their branch's analytics; the director every branch's.
        (
            "rop.msk",
            [
                "Главная",
                "Мои дела",
                "Лиды",
                "Сделки",
                "Задачи",
                "Календарь",
                "Запись",
                "Платежи",
                "Входящие",
                "Отчёты",
                "Аналитика",
                "Сотрудники",
            ],
        ),
        (
            "admin",
            [
                "Главная",
                "Лиды",
                "Сделки",
                "Задачи",
                "Календарь",
                "Входящие",
                "Сотрудники",
                "Журнал",
                "Диск",
                "API",
                "Администрирование",
            ],
        ),
        (
            "manager.msk",
            [
                "Главная",
                "Мои дела",
                "Лиды",
                "Сделки",
                "Задачи",
                "Календарь",
                "Запись",
                "Платежи",
                "Входящие",
                "Отчёты",
                "Сотрудники",
            ],
        ),
        ("lawyer.msk", ["Главная", "Мои дела", "Сделки", "Задачи", "Календарь", "Входящие", "Сотрудники"]),
        ("callcenter", ["Главная", "Новое обращение", "Лиды", "Задачи", "Календарь", "Запись", "Сотрудники"]),
        # The front desk: the office manager answers the phone, takes requests and books meetings.
        (
            "office",
            ["Главная", "Новое обращение", "Нецелевые", "Отстойник", "Задачи", "Календарь", "Запись", "Сотрудники"],
        ),
    ],
)
def test_menu_depends_on_role(web, everyone, who, menu):
    web.force_login(everyone[who])
    assert [i["title"] for i in web.get("/").context["nav_items"]] == menu


def test_manager_home_lists_overdue_instalments(web, manager_msk, manager2_msk):
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from deals.services import deal_move_to_stage, schedule_set
    from tests.factories import contract_data, make_deal

    deal = make_deal(manager=manager_msk, last_name="Должников")
    deal_move_to_stage(deal=deal, stage="db_prep_court", by=manager_msk, data=contract_data())
    today = timezone.localdate()
    schedule_set(
        deal=deal,
        by=manager_msk,
        items=[(today - timedelta(days=3), Decimal("60000")), (today + timedelta(days=30), Decimal("60000"))],
    )
    web.force_login(manager_msk)
    block = block_of(web.get("/"), "_overdue_payments")
    assert ([i.deal_id for i in block["rows"]], block["total"]) == ([deal.pk], 1)
    web.force_login(manager2_msk)
    assert block_of(web.get("/"), "_overdue_payments") == {"rows": [], "total": 0}


def test_head_sees_colleagues_by_rank(web, everyone):
    web.force_login(everyone["rop.msk"])
    team = block_of(web.get("/"), "_team")["team"]
    assert [p.username for p in team] == ["manager.msk", "manager2.msk", "lawyer.msk", "office"]


@pytest.mark.parametrize(
    "who, path, active",
    [
        ("manager.msk", "/payments/", ["Платежи"]),
        ("manager.msk", "/deals/board/db/", ["Сделки"]),
        ("callcenter", "/leads/new/", ["Новое обращение"]),
        ("callcenter", "/leads/", ["Лиды"]),
        ("manager.msk", "/", ["Главная"]),
        ("manager.msk", "/my-day/", ["Мои дела"]),
    ],
)
def test_exactly_one_menu_item_is_lit(web, everyone, who, path, active):
    web.force_login(everyone[who])
    assert [i["title"] for i in web.get(path).context["nav_items"] if i["active"]] == active
