"""The main menu: which sections each role sees. Later apps add their items here."""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse

from crm import access
from tasks.selectors import task_counters


@dataclass(frozen=True)
class NavItem:
    title: str
    url_name: str
    offered: Callable[[object], bool]  # the access question the page itself asks
    section: str  # the first path segment that marks the item active
    # Rarely used items fold into «Ещё ▾», so the bar fits 1024 px with the bell,
    # the search box and the user menu beside it.
    more: bool = False
    args: tuple = ()  # the URL's arguments: «Отстойник» is the pool tab of the client-state page


def _telephony() -> bool:
    """The call log is in the menu only where Mango is connected (its page stays open for what was logged)."""
    return settings.MANGO_ENABLED


# Each item is offered by the same access function its page (and API) asks, so the
# menu never offers a page that refuses (tests/crm/test_menu_walk.py walks them).
NAV_ITEMS = [
    NavItem("Главная", "home", access.is_active_staff, ""),
    NavItem("Мои дела", "activities:my_day", access.keeps_my_day, "my-day"),
    NavItem("Новое обращение", "leads:new", access.works_front_desk, "leads/new"),
    NavItem("Лиды", "leads:list", access.may_work_leads, "leads"),
    NavItem("Нецелевые", "leads:office", access.offers_non_target_queue, "leads/office"),
    NavItem("Отстойник", "activities:clients_state", access.offers_client_pool, "clients/state", args=("pool",)),
    NavItem("Сделки", "deals:list", access.may_see_deals, "deals"),
    NavItem("Задачи", "tasks:list", access.is_active_staff, "tasks"),
    NavItem("Календарь", "activities:calendar", access.is_active_staff, "calendar"),
    NavItem("Запись", "activities:booking", access.may_book_meetings, "booking"),
    NavItem("Платежи", "payments:register", access.may_view_payments_register, "payments"),
    NavItem("Входящие", "incoming:register", access.may_see_deals, "incoming", more=True),
    NavItem("Отчёты", "reports:index", access.offers_daily_reports, "reports", more=True),
    NavItem(
        "Аналитика", "reports:analytics", access.offers_analytics, "reports/analytics", more=True, args=("funnel",)
    ),
    NavItem(
        "Звонки",
        "integrations:mango_call_log",
        lambda user: _telephony() and access.offers_call_log(user),
        "integrations/calls",
        more=True,
    ),  # fmt: skip
    NavItem("Сотрудники", "crm:staff_list", access.is_active_staff, "staff", more=True),
    NavItem("Журнал", "crm:audit_list", access.can_read_audit_log, "audit", more=True),
    NavItem("Диск", "integrations:disk_status", access.can_read_audit_log, "integrations", more=True),
    NavItem("API", "api-docs", access.offers_api_docs, "api", more=True),
    NavItem("Администрирование", "admin:index", access.may_use_admin_site, "admin", more=True),
]


def nav_items_for(user) -> list[NavItem]:
    """The menu of `user`: the items whose access question says yes."""
    if not access.is_active_staff(user):
        return []
    return [item for item in NAV_ITEMS if item.offered(user)]


def navigation(request):
    """Template context processor: the menu of the current user."""
    user = getattr(request, "user", None)
    items = nav_items_for(user)
    if not items:
        return {"nav_items": []}
    path = request.path.strip("/")
    # The most specific item wins: «/leads/new/» lights «Новое обращение», not «Лиды»;
    # «/deals/board/db/» lights «Сделки», «/payments/» lights «Платежи».
    matching = [i for i in items if i.section and (path == i.section or path.startswith(i.section + "/"))]
    active = max(matching, key=lambda i: len(i.section)).url_name if matching else ("home" if not path else None)

    # One query for every number the menu shows.
    counters = task_counters(user)
    badges = {"tasks:list": (counters.get("open_tasks"), counters.get("overdue_tasks"))}
    entries = [
        {
            "title": i.title,
            "url": reverse(i.url_name, args=i.args),
            "active": i.url_name == active,
            "count": badges.get(i.url_name, (None, None))[0],
            "overdue": badges.get(i.url_name, (None, None))[1],
            "more": i.more,
        }
        for i in items
    ]
    return {
        "nav_items": entries,
        "nav_more": [e for e in entries if e["more"]],
        "nav_more_active": any(e["more"] and e["active"] for e in entries),
        "unread_notifications": counters.get("unread", 0),
        # The user menu's links to the outside calendar and mailbox (integrations): no queries, role checks only.
        "menu_my_calendar": access.may_connect_calendar(user),
        "menu_calendar_connections": access.may_see_calendar_connections(user),
        "menu_my_mail": access.may_connect_mailbox(user),
    }
