"""The main menu: which sections each role sees. Later apps add their items here."""

from dataclasses import dataclass

from django.urls import reverse

from crm import access
from crm.roles import Role

ALL_ROLES = frozenset(Role)


@dataclass(frozen=True)
class NavItem:
    title: str
    url_name: str
    roles: frozenset
    section: str  # the first path segment that marks the item active


WORKS_DEALS = frozenset({Role.MANAGER, Role.HEAD_OF_SALES, Role.DIRECTOR, Role.ADMIN, Role.LAWYER})
PLANS_ACTIVITIES = frozenset({Role.MANAGER, Role.HEAD_OF_SALES, Role.DIRECTOR, Role.LAWYER})
BOOKS_MEETINGS = frozenset({Role.MANAGER, Role.HEAD_OF_SALES, Role.DIRECTOR, Role.CALL_CENTRE, Role.OFFICE_MANAGER})
TAKES_LEADS = frozenset({Role.MANAGER, Role.HEAD_OF_SALES, Role.DIRECTOR, Role.ADMIN, Role.CALL_CENTRE})

NAV_ITEMS = [
    NavItem("Главная", "home", ALL_ROLES, ""),
    NavItem("Мои дела", "activities:my_day", PLANS_ACTIVITIES, "my-day"),
    NavItem("Новое обращение", "leads:new", frozenset({Role.CALL_CENTRE}), "leads/new"),
    NavItem("Лиды", "leads:list", TAKES_LEADS, "leads"),
    NavItem("Нецелевые", "leads:office", frozenset({Role.OFFICE_MANAGER}), "leads/office"),
    NavItem("Сделки", "deals:list", WORKS_DEALS, "deals"),
    NavItem("Задачи", "tasks:list", ALL_ROLES, "tasks"),
    NavItem("Календарь", "activities:calendar", ALL_ROLES, "calendar"),
    NavItem("Запись", "activities:booking", BOOKS_MEETINGS, "booking"),
    NavItem(
        "Платежи",
        "deals:payments_table",
        frozenset({Role.MANAGER, Role.HEAD_OF_SALES, Role.DIRECTOR}),
        "deals/payments",
    ),
    NavItem("Сотрудники", "crm:staff_list", ALL_ROLES, "staff"),
    NavItem("Журнал", "crm:audit_list", access.SEES_EVERYTHING, "audit"),
    NavItem("Диск", "integrations:disk_status", access.SEES_EVERYTHING, "integrations"),
    NavItem("API", "api-docs", frozenset({Role.ADMIN, Role.DIRECTOR}), "api"),
    NavItem("Администрирование", "admin:index", frozenset({Role.ADMIN}), "admin"),
]


def nav_items_for(user) -> list[NavItem]:
    if not access.is_active_staff(user):
        return []
    return [item for item in NAV_ITEMS if user.role in item.roles]


def navigation(request):
    """Template context processor: the menu of the current user."""
    user = getattr(request, "user", None)
    items = nav_items_for(user)
    if not items:
        return {"nav_items": []}
    path = request.path.strip("/")
    # The most specific item wins: «/leads/new/» lights «Новое обращение», not «Лиды»;
    # «/deals/payments/» lights «Платежи», not «Сделки».
    matching = [i for i in items if i.section and (path == i.section or path.startswith(i.section + "/"))]
    active = max(matching, key=lambda i: len(i.section)).url_name if matching else ("home" if not path else None)
    from tasks.selectors import task_counters

    # One query for every number the menu shows.
    counters = task_counters(user)
    badges = {"tasks:list": (counters.get("open_tasks"), counters.get("overdue_tasks"))}
    return {
        "nav_items": [
            {
                "title": i.title,
                "url": reverse(i.url_name),
                "active": i.url_name == active,
                "count": badges.get(i.url_name, (None, None))[0],
                "overdue": badges.get(i.url_name, (None, None))[1],
            }
            for i in items
        ],
        "unread_notifications": counters.get("unread", 0),
    }
