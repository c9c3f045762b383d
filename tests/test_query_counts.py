"""Query counts of every list page and API list, pinned: the count must not grow with rows.

Each case logs in as the role that uses the page, seeds N rows, measures, seeds 2N more
(3N in all) and measures again: both must equal the same fixed number. The counts were
measured on SQLite and PostgreSQL; where the backends differ the pin is per vendor.
"""

import itertools
import tempfile
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from activities import services as activity_services
from clients.models import Client
from crm import services as crm_services
from crm.models import AuditEntry, OutboxJob
from crm.notifications import notify
from deals.services import deal_move_to_stage, hearing_add, incoming_register, payment_record, schedule_set
from integrations.models import CalendarConnection
from leads.models import Lead
from leads.services import lead_create, lead_mark_non_target
from reports.models import DailyReport, ReportQuestion
from tasks import services as task_services
from tests.conftest import token_client
from tests.factories import UserFactory, contract_data, court_data, make_client, make_deal

N = 2
_seq = itertools.count(1)


def _phone() -> str:
    return f"+7916{next(_seq):07d}"


def _tomorrow():
    return timezone.localdate() + timedelta(days=1)


def _client(manager):
    return make_client(manager=manager, last_name=f"Клиент{next(_seq)}", phones=[_phone()])


# --- seeders: each adds `n` rows of what the page lists --------------------------------------


def seed_calendar_connections(p, n):
    for _ in range(n):
        user = UserFactory(branch=p["msk"], supervisor=p["rop.msk"])
        CalendarConnection.objects.create(
            user=user, url="https://caldav.yandex.ru", username="x@yandex.ru", password_encrypted="-", calendar="К"
        )


def seed_daily_reports(p, n):
    """Each a new manager's report for today (one current report per manager and day)."""
    for _ in range(n):
        m = UserFactory(branch=p["msk"], supervisor=p["rop.msk"], role="manager")
        DailyReport.objects.create(manager=m, branch=p["msk"], date=timezone.localdate(), figures={"calls": 1})
        UserFactory(branch=p["msk"], supervisor=p["rop.msk"], role="manager")  # and one who has not filed


def seed_report_questions(p, n):
    for i in range(n):
        ReportQuestion.objects.create(branch=p["msk"], text=f"Вопрос {i}", order=i)


def seed_staff(p, n):
    for _ in range(n):
        UserFactory(branch=p["msk"], supervisor=p["rop.msk"])


def seed_audit(p, n):
    for i in range(n):
        crm_services.audit_record(actor=p["director"], action=AuditEntry.Action.UPDATE, target_type="x", target_id=i)


def seed_notifications(p, n):
    for i in range(n):
        notify(users=[p["manager.msk"]], text=f"Уведомление {i}", url="/tasks/")


def seed_leads(p, n):
    for i in range(n):
        lead_create(by=p["callcenter"], source="call", phone=_phone(), name=f"Лид {i}", assigned_to=p["manager.msk"])


def seed_duplicate_leads(p, n):
    """Leads of one caller under different phones: each a merge candidate of the others."""
    for _ in range(n):
        lead_create(
            by=p["callcenter"], source="call", phone=_phone(), name="Дублёва Ольга", assigned_to=p["manager.msk"]
        )


def seed_duplicate_clients(p, n):
    for _ in range(n):
        make_client(manager=p["manager.msk"], last_name="Дублёва", first_name="Ольга", phones=[_phone()])


def _first_lead_named(name):
    return Lead.objects.filter(name=name).order_by("pk").first()


def _first_client_named(last_name):
    return Client.objects.filter(last_name=last_name).order_by("pk").first()


def seed_office_queue(p, n):
    for _ in range(n):
        phone = _phone()
        lead, _ = lead_create(by=p["callcenter"], source="call", phone=phone, assigned_to=p["manager.msk"])
        lead_mark_non_target(lead=lead, by=p["manager.msk"], reason="Спам")
        lead_create(by=p["callcenter"], source="call", phone=phone, branch=p["msk"])


def seed_deals(p, n):
    for _ in range(n):
        make_deal(manager=p["manager.msk"], last_name=f"Клиент{next(_seq)}", phones=[_phone()])


def seed_du_deals(p, n):
    for _ in range(n):
        make_deal(manager=p["manager.msk"], service_line="du", last_name=f"Клиент{next(_seq)}", phones=[_phone()])


def seed_payments(p, n):
    manager = p["manager.msk"]
    for _ in range(n):
        deal = make_deal(manager=manager, last_name=f"Клиент{next(_seq)}", phones=[_phone()])
        deal_move_to_stage(deal=deal, stage="db_prep_court", by=manager, data=contract_data())
        payment_record(deal=deal, by=manager, paid_on=timezone.localdate(), amount=Decimal("10000"), method="cash")


def seed_incoming(p, n):
    """Papers on a new deal each, half with a reply deadline (and so a task)."""
    with override_settings(MEDIA_ROOT=tempfile.mkdtemp(prefix="incoming-")):
        for i in range(n):
            deal = make_deal(manager=p["manager.msk"], last_name=f"Входящий{next(_seq)}", phones=[_phone()])
            incoming_register(
                deal=deal,
                by=p["manager.msk"],
                received_on=timezone.localdate(),
                sender="Арбитражный суд г. Москвы",
                kind="court_ruling",
                upload=ContentFile(b"%PDF-1.4\n", name="определение.pdf"),
                reply_deadline=_tomorrow() if i % 2 == 0 else None,
            )


def seed_tasks(p, n):
    head, manager = p["rop.msk"], p["manager.msk"]
    for i in range(n):
        task_services.task_create(author=p["director"], responsible=head, title=f"Моя {i}")
        task_services.task_create(author=head, responsible=manager, title=f"Поручил {i}")
        task_services.task_create(
            author=p["director"], responsible=manager, title=f"Соисп {i}", co_executors=[(head, "Помочь")]
        )
        task_services.task_create(author=p["director"], responsible=manager, title=f"Набл {i}", observers=[head])


def seed_manager_tasks(p, n):
    for i in range(n):
        task_services.task_create(author=p["rop.msk"], responsible=p["manager.msk"], title=f"Задача {i}")


def seed_reports(p, n):
    for i in range(n):
        task_services.report_schedule_create(
            by=p["rop.msk"],
            responsible=p["manager.msk"],
            title=f"Отчёт {i}",
            questions=["Что сделано?"],
            period="weekly",
        )


def seed_my_day(p, n):
    manager = p["manager.msk"]
    for _ in range(n):
        activity_services.activity_plan(
            by=manager, kind="call", planned_at=timezone.now() + timedelta(minutes=5), client=_client(manager)
        )


def _meetings(p, n):
    manager = p["manager.msk"]
    day = _tomorrow()
    for _ in range(n):
        hour = 9 + p.setdefault("_meetings", 0)
        p["_meetings"] += 1
        starts = timezone.make_aware(timezone.datetime(day.year, day.month, day.day, hour, 0))
        activity_services.meeting_book(
            by=manager,
            manager=manager,
            starts_at=starts,
            ends_at=starts + timedelta(minutes=45),
            client=_client(manager),
        )


def _hearings(p, n):
    """Court hearings of the Moscow branch's cases tomorrow: what a lawyer's calendar shows."""
    manager = p["manager.msk"]
    day = _tomorrow()
    for _ in range(n):
        deal = make_deal(manager=manager, last_name=f"Клиент{next(_seq)}", phones=[_phone()])
        deal_move_to_stage(deal=deal, stage="db_prep_court", by=manager, data=contract_data())
        deal_move_to_stage(deal=deal, stage="db_in_court", by=manager, data={**contract_data(), **court_data()})
        starts = timezone.make_aware(timezone.datetime(day.year, day.month, day.day, 9 + next(_seq) % 8, 0))
        hearing_add(deal=deal, by=p["lawyer.msk"], date=starts)


def seed_clients_state(status):
    def seed(p, n):
        for _ in range(n):
            client = _client(p["manager.msk"])
            Client.objects.filter(pk=client.pk).update(status=status)

    return seed


def seed_outbox(p, n):
    manager = p["manager.msk"]
    for _ in range(n):
        client = _client(manager)
        OutboxJob.objects.create(kind="disk.client", key=str(client.pk), status=OutboxJob.Status.FAILED, attempts=5)
        OutboxJob.objects.create(kind="disk.payments", key=str(manager.pk), status=OutboxJob.Status.PENDING, attempts=1)


def seed_activities(p, n):
    seed_my_day(p, n)


def seed_search(p, n):
    """Clients, deals and leads the query «поисков» / «+7 903 55» finds."""
    for _ in range(n):
        k = next(_seq)
        make_deal(manager=p["manager.msk"], last_name=f"Поисков{k}", phones=[f"+7903550{k:04d}"])
        lead_create(
            by=p["callcenter"],
            source="call",
            phone=f"+7903551{k:04d}",
            name=f"Поисков {k}",
            assigned_to=p["manager.msk"],
        )


def seed_analytics(p, n):
    """What the heads' dashboards count, in both branches: a request, a deal signed with a fee schedule
    and a payment (every second one then terminated), a «дело» and a task for its manager."""
    managers = (p["manager.msk"], p["manager2.msk"], p["manager.spb"])
    today = timezone.localdate()
    for i in range(n):
        manager = managers[i % len(managers)]
        lead_create(by=p["callcenter"], source="site", phone=_phone(), name=f"Лид {i}", assigned_to=manager)
        deal = make_deal(manager=manager, last_name=f"Клиент{next(_seq)}", phones=[_phone()])
        deal_move_to_stage(deal=deal, stage="db_prep_court", by=manager, data=contract_data())
        half = contract_data()["fee"] / 2
        schedule_set(deal=deal, by=manager, items=[(contract_data()["contract_date"], half), (today, half)])
        payment_record(deal=deal, by=manager, paid_on=today, amount=Decimal("10000"), method="cash")
        if i % 2:
            deal_move_to_stage(deal=deal, stage="db_terminated", by=manager, data={"termination_reason": "Отказ"})
        activity_services.activity_plan(
            by=manager, kind="call", planned_at=timezone.now() + timedelta(minutes=5), client=deal.client
        )
        task_services.task_create(author=p["director"], responsible=manager, title=f"Договор {i}")


def _analytics(slug: str, how: str):
    if how == API:
        return lambda p: f"/api/v1/analytics/{slug}/"
    return lambda p: reverse("reports:analytics", args=[slug])


# --- the cases: (id, who, how, url, seeder) ---------------------------------------------------

WEB, API = "web", "api"

CASES = [
    ("staff_list", "director", WEB, lambda p: reverse("crm:staff_list"), seed_staff),
    ("audit_list", "director", WEB, lambda p: reverse("crm:audit_list"), seed_audit),
    ("notifications", "manager.msk", WEB, lambda p: reverse("crm:notifications"), seed_notifications),
    ("leads_list_head", "rop.msk", WEB, lambda p: reverse("leads:list"), seed_leads),
    ("leads_list_callcenter", "callcenter", WEB, lambda p: reverse("leads:list"), seed_leads),
    ("leads_office", "office", WEB, lambda p: reverse("leads:office"), seed_office_queue),
    (
        "lead_merge_page",
        "rop.msk",
        WEB,
        lambda p: reverse("leads:merge", args=[_first_lead_named("Дублёва Ольга").pk]),
        seed_duplicate_leads,
    ),
    (
        "client_merge_page",
        "office",
        WEB,
        lambda p: reverse("leads:client_merge", args=[_first_client_named("Дублёва").pk]),
        seed_duplicate_clients,
    ),
    ("deals_list", "manager.msk", WEB, lambda p: reverse("deals:list"), seed_deals),
    ("deals_list_director", "director", WEB, lambda p: reverse("deals:list"), seed_deals),
    ("deals_board_du", "manager.msk", WEB, lambda p: reverse("deals:board", args=["du"]), seed_du_deals),
    ("deals_board_db_head", "rop.msk", WEB, lambda p: reverse("deals:board", args=["db"]), seed_deals),
    ("payments_table", "manager.msk", WEB, lambda p: reverse("deals:payments_table"), seed_payments),
    ("payments_register", "manager.msk", WEB, lambda p: reverse("payments:register"), seed_payments),
    ("payments_register_director", "director", WEB, lambda p: reverse("payments:register"), seed_payments),
    ("incoming_register", "manager.msk", WEB, lambda p: reverse("incoming:register"), seed_incoming),
    ("incoming_register_director", "director", WEB, lambda p: reverse("incoming:register"), seed_incoming),
    ("tasks_mine", "rop.msk", WEB, lambda p: reverse("tasks:list") + "?tab=mine", seed_tasks),
    ("tasks_assigned", "rop.msk", WEB, lambda p: reverse("tasks:list") + "?tab=assigned", seed_tasks),
    ("tasks_co", "rop.msk", WEB, lambda p: reverse("tasks:list") + "?tab=co", seed_tasks),
    ("tasks_watching", "rop.msk", WEB, lambda p: reverse("tasks:list") + "?tab=watching", seed_tasks),
    ("tasks_branch", "rop.msk", WEB, lambda p: reverse("tasks:list") + "?tab=branch", seed_tasks),
    ("tasks_all", "director", WEB, lambda p: reverse("tasks:list") + "?tab=all", seed_tasks),
    ("tasks_reports", "rop.msk", WEB, lambda p: reverse("tasks:reports"), seed_reports),
    ("tasks_efficiency", "rop.msk", WEB, lambda p: reverse("tasks:efficiency"), seed_manager_tasks),
    ("my_day", "manager.msk", WEB, lambda p: reverse("activities:my_day"), seed_my_day),
    (
        "calendar_day",
        "manager.msk",
        WEB,
        lambda p: reverse("activities:calendar_of", args=[p["manager.msk"].pk]) + f"?date={_tomorrow()}",
        _meetings,
    ),
    (
        "calendar_week",
        "rop.msk",
        WEB,
        lambda p: reverse("activities:calendar_of", args=[p["manager.msk"].pk]) + f"?view=week&date={_tomorrow()}",
        _meetings,
    ),
    (
        "booking",
        "callcenter",
        WEB,
        lambda p: reverse("activities:booking") + f"?date={_tomorrow()}",
        _meetings,
    ),
    (
        "clients_abandoned",
        "rop.msk",
        WEB,
        lambda p: reverse("activities:clients_state", args=["abandoned"]),
        seed_clients_state(Client.Status.ABANDONED),
    ),
    (
        "clients_pool",
        "rop.msk",
        WEB,
        lambda p: reverse("activities:clients_state", args=["pool"]),
        seed_clients_state(Client.Status.POOL),
    ),
    (
        "clients_lost",
        "rop.msk",
        WEB,
        lambda p: reverse("activities:clients_state", args=["lost"]),
        seed_clients_state(Client.Status.LOST),
    ),
    (
        "calendar_branch",
        "rop.msk",
        WEB,
        lambda p: reverse("activities:calendar_branch") + f"?date={_tomorrow()}",
        _meetings,
    ),
    (
        "calendar_lawyer",
        "lawyer.msk",
        WEB,
        lambda p: reverse("activities:calendar_of", args=[p["lawyer.msk"].pk]) + f"?view=week&date={_tomorrow()}",
        _hearings,
    ),
    ("disk_status", "admin", WEB, lambda p: reverse("integrations:disk_status"), seed_outbox),
    (
        "caldav_connections",
        "admin",
        WEB,
        lambda p: reverse("integrations:caldav_connections"),
        seed_calendar_connections,
    ),
    *[
        (f"home_{who}", who, WEB, lambda p: reverse("home"), seed_manager_tasks)
        for who in ("admin", "lawyer.msk", "office")
    ],
    ("clients_list", "manager.msk", WEB, lambda p: reverse("clients:list"), seed_deals),
    ("clients_list_director", "director", WEB, lambda p: reverse("clients:list") + "?status=active", seed_deals),
    ("search_page", "manager.msk", WEB, lambda p: reverse("search") + "?q=поисков", seed_search),
    ("search_page_director", "director", WEB, lambda p: reverse("search") + "?q=903+55", seed_search),
    ("search_page_callcenter", "callcenter", WEB, lambda p: reverse("search") + "?q=903+55", seed_search),
    ("search_box", "rop.msk", WEB, lambda p: reverse("search_box") + "?q=поисков", seed_search),
    ("api_search", "manager.msk", API, lambda p: "/api/v1/search/?q=поисков", seed_search),
    ("api_users", "director", API, lambda p: "/api/v1/users/", seed_staff),
    ("api_leads", "rop.msk", API, lambda p: "/api/v1/leads/", seed_leads),
    ("api_clients", "manager.msk", API, lambda p: "/api/v1/clients/", seed_deals),
    ("api_deals", "manager.msk", API, lambda p: "/api/v1/deals/", seed_deals),
    ("api_payments", "manager.msk", API, lambda p: "/api/v1/payments/", seed_payments),
    ("api_incoming_documents", "manager.msk", API, lambda p: "/api/v1/incoming-documents/", seed_incoming),
    ("api_tasks", "manager.msk", API, lambda p: "/api/v1/tasks/", seed_manager_tasks),
    ("api_activities", "manager.msk", API, lambda p: "/api/v1/activities/", seed_activities),
    ("daily_reports_branch", "rop.msk", WEB, lambda p: reverse("reports:branch"), seed_daily_reports),
    ("daily_reports_director", "director", WEB, lambda p: reverse("reports:branch"), seed_daily_reports),
    ("report_questions", "rop.msk", WEB, lambda p: reverse("reports:questions"), seed_report_questions),
    ("api_daily_reports", "rop.msk", API, lambda p: "/api/v1/daily-reports/", seed_daily_reports),
    *[
        (f"{prefix}analytics_{slug}_{who}", who, how, _analytics(slug, how), seed_analytics)
        for slug in ("funnel", "efficiency", "payments")
        for who in ("rop.msk", "director")
        for prefix, how in (("", WEB), ("api_", API))
    ],
]

# Exact counts; a dict is {vendor: count} where SQLite and PostgreSQL differ.
EXPECTED: dict = {
    "staff_list": 6,
    "audit_list": 4,
    "notifications": 4,
    "calendar_branch": 7,
    "calendar_lawyer": 8,
    "leads_list_head": 4,
    "leads_list_callcenter": 4,
    "leads_office": 5,
    "lead_merge_page": 5,
    "client_merge_page": 7,
    "deals_list": 5,
    "deals_list_director": 7,
    "deals_board_du": 9,
    "deals_board_db_head": 11,
    "payments_table": 3,
    "payments_register": 7,
    "payments_register_director": 9,
    "incoming_register": 4,  # session, user, counters, one keyset page with its deals, files and tasks
    "incoming_register_director": 6,  # + the filters' branches and managers
    "tasks_mine": 5,
    "tasks_assigned": 5,
    "tasks_co": 5,
    "tasks_watching": 5,
    "tasks_branch": 5,
    "tasks_all": 5,
    "tasks_reports": 6,
    "tasks_efficiency": 5,  # the whole month by default: the seeded tasks are in it, + the employees
    "my_day": 9,
    "calendar_day": 7,
    "calendar_week": 7,
    "booking": 9,
    "clients_abandoned": 6,
    "clients_pool": 7,
    "clients_lost": 4,
    "disk_status": 10,
    "caldav_connections": 4,  # session, user, counters, the connections with their users
    "home_admin": 7,
    "home_lawyer.msk": 6,
    "home_office": 6,
    "clients_list": 5,
    "clients_list_director": 7,
    "search_page": 7,
    "search_page_director": 7,
    "search_page_callcenter": 6,
    "search_box": 7,
    "api_search": 5,
    "api_users": 2,
    "api_leads": 3,
    "api_clients": 3,
    "api_deals": 3,
    "api_payments": 2,
    "api_incoming_documents": 2,
    "api_tasks": 2,
    "api_activities": 2,
    "report_questions": 5,  # session, user, counters, the head's branch, its questions
    "daily_reports_branch": 7,  # session, user, counters, branches ×2, the branch's managers, the reports
    "daily_reports_director": 7,
    "api_daily_reports": 2,
    # The dashboards: a fixed number of grouped queries each, whatever the rows (the funnel's stuck list
    # asks once per open stage). The page adds session, user, counters, the filters' branches and
    # managers; for a head, the one-branch select once more (its first choice decides Django's
    # «required» attribute) and the branch's name in the heading. The API adds the token's user.
    # The rollup's figures cost three queries each (watermark, sums, rows past it); the firm's medians on
    # PostgreSQL (the firm's or the branch's) read the duration buckets and the middle rows instead of one
    # PERCENTILE_CONT (+3).
    # The funnel's requests by source and its lost requests come from their rollups by day: stale days, sums,
    # those days' rows, for each (+5: in place of two grouped counts).
    "analytics_funnel_rop.msk": {"sqlite": 41, "postgresql": 44},
    "api_analytics_funnel_rop.msk": {"sqlite": 35, "postgresql": 38},
    "analytics_funnel_director": {"sqlite": 36, "postgresql": 39},
    "api_analytics_funnel_director": {"sqlite": 32, "postgresql": 35},
    # The efficiency's «дела» of past days come from their rollup: the stale days, the sums, those days' rows.
    "analytics_efficiency_rop.msk": 25,
    "api_analytics_efficiency_rop.msk": 19,
    "analytics_efficiency_director": 23,
    "api_analytics_efficiency_director": 19,
    # The payments' months: the instalments' two facts read together (stale days, sums, those days' rows of
    # each) in place of one grouped count (+3).
    "analytics_payments_rop.msk": 17,
    "api_analytics_payments_rop.msk": 11,
    "analytics_payments_director": 15,
    "api_analytics_payments_director": 11,
}


def _expected(case_id):
    pin = EXPECTED.get(case_id)
    if isinstance(pin, dict):
        return pin[connection.vendor]
    return pin


@pytest.mark.parametrize(
    "case_id, who, how, url, seed",
    [pytest.param(*case, id=case[0]) for case in CASES],
)
def test_list_query_count_does_not_grow(everyone, msk, case_id, who, how, url, seed, django_assert_num_queries):
    people = {**everyone, "msk": msk}
    user = everyone[who]
    if how == WEB:
        from django.test import Client as WebClient

        client = WebClient()
        client.force_login(user)
    else:
        client = token_client(user)
    seed(people, N)
    target = url(people)
    assert client.get(target).status_code == 200  # warm: session, caches
    expected = _expected(case_id)
    with django_assert_num_queries(expected):
        response = client.get(target)
    assert response.status_code == 200
    seed(people, 2 * N)
    with django_assert_num_queries(expected):
        response = client.get(target)
    assert response.status_code == 200
