"""Median server time and query count for the board, the filtered list, the deal card, the search
(header box, results page, API), the client list and the heads' analytics dashboards.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench .venv/bin/python -m bench.run

Pages are rendered in-process by Django's test client (the whole request:
middleware, session, queries, template), after a warm-up request, N times each.
"""

import argparse
import os
import statistics
import time
from datetime import timedelta

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
django.setup()

from django.db import connection  # noqa: E402
from django.test import Client as WebClient  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from clients.models import Client  # noqa: E402
from crm.models import User  # noqa: E402
from deals.models import Deal  # noqa: E402
from reports.analytics.registry import DASHBOARDS  # noqa: E402

# rop.msk is the demo head (a small branch: 2 of 203 managers); rop.b01 heads a generated branch of 20.
HEADS = ["rop.msk", "rop.b01"]


def dashboard_cases() -> list[tuple[str, str, str]]:
    """Every registered dashboard for the director (all branches) and the demo head, over the current month,
    the last 90 and the last 365 days; a big branch's head over 365 days; the funnel's Excel file."""
    today = timezone.localdate()
    periods = [
        ("месяц", today.replace(day=1)),
        ("90 дн.", today - timedelta(days=89)),
        ("365 дн.", today - timedelta(days=364)),
    ]
    cases = []
    for slug in DASHBOARDS:
        for who in ["director", "rop.msk"]:
            for label, start in periods:
                cases.append(
                    (who, f"аналитика {slug}: {label}", f"/reports/analytics/{slug}/?date_from={start}&date_to={today}")
                )
        label, start = periods[-1]
        cases.append(
            ("rop.b01", f"аналитика {slug}: {label}", f"/reports/analytics/{slug}/?date_from={start}&date_to={today}")
        )
    cases.append(
        (
            "director",
            "аналитика funnel: Excel, 365 дн.",
            f"/reports/analytics/funnel/?date_from={periods[-1][1]}&date_to={today}&export=xlsx",
        )
    )
    return cases


def measure(client: WebClient, url: str, runs: int) -> tuple[float, int, int]:
    client.get(url)  # warm caches and the connection
    times = []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
    assert response.status_code == 200, (url, response.status_code)
    return statistics.median(times), len(ctx.captured_queries), response.status_code


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--only", default="", help="measure only the pages whose label contains this text")
    args = parser.parse_args()
    # Migrations applied after the data was generated (a new column, a new index) leave the planner
    # with stale statistics; autovacuum would catch up in production, here we do it at once.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    users = {u.username: u for u in User.objects.filter(username__in=["director", "manager.msk", *HEADS])}
    total = Deal.objects.count()
    own = Deal.objects.filter(manager=users["manager.msk"]).order_by("-id").first()
    court = Deal.objects.filter(stage="db_in_court").order_by("id").first()
    phone = "8 916 " + str(court.client_id).zfill(7)
    part = "916 " + str(court.client_id).zfill(7)[:4]  # «916 0012»: a thousand numbers share it
    branch = users["rop.msk"].branch_id
    broad = Client.objects.filter(search_key__contains=court.client.last_name.lower()).count()
    cases = [
        ("director", "доска ДБ (все филиалы)", "/deals/board/db/"),
        ("director", "доска ДУ, один филиал", f"/deals/board/du/?branch={branch}"),
        ("rop.msk", "доска ДБ филиала", "/deals/board/db/"),
        ("manager.msk", "доска ДБ менеджера", "/deals/board/db/"),
        ("director", "список: филиал + стадия + источник", f"/deals/?branch={branch}&stage=db_in_court&source=call"),
        ("director", "список: период создания", "/deals/?created_from=2026-01-01&created_to=2026-03-31"),
        ("director", f"список: подстрока ФИО ({broad} совп.)", "/deals/?q=" + court.client.last_name.lower()),
        ("director", "список: поиск по фамилии и имени", "/deals/?q=" + f"{court.client.last_name}+Иван".lower()),
        ("director", "список: поиск по телефону", "/deals/?q=" + phone.replace(" ", "+")),
        ("director", "список: поиск по номеру дела", "/deals/?q=" + court.case_number[:8]),
        ("rop.msk", "список филиала по смене стадии", "/deals/?sort=stage"),
        ("manager.msk", "список менеджера", "/deals/"),
        ("director", "список: часть телефона", "/deals/?q=" + part.replace(" ", "+")),
        ("director", "список: номер договора", "/deals/?q=" + court.contract_number),
        ("director", "поиск: часть телефона", "/search/?q=" + part.replace(" ", "+")),
        ("director", "поиск: телефон полностью", "/search/?q=" + phone.replace(" ", "+")),
        ("director", f"поиск: подстрока ФИО ({broad} совп.)", "/search/?q=" + court.client.last_name.lower()),
        ("director", "поиск: имя и фамилия", "/search/?q=" + f"Иван+{court.client.last_name}"),
        ("director", "поиск: номер договора", "/search/?q=" + court.contract_number),
        ("director", "поиск: номер дела", "/search/?q=" + court.case_number[:8]),
        ("manager.msk", "поиск менеджера: фамилия", "/search/?q=" + own.client.last_name[:-1].lower()),
        ("rop.msk", "поле в шапке: часть телефона", "/search/box/?q=" + part.replace(" ", "+")),
        ("director", "API поиска: фамилия и имя", "/api/v1/search/?q=" + f"{court.client.last_name}+иван"),
        ("director", "клиенты: все", "/clients/"),
        ("director", "клиенты: филиал + заброшенные", f"/clients/?branch={branch}&status=abandoned"),
        ("rop.msk", "клиенты филиала", "/clients/"),
        ("manager.msk", "клиенты менеджера", "/clients/"),
        ("director", "клиенты: часть телефона", "/clients/?q=" + part.replace(" ", "+")),
        ("director", "карточка сделки", f"/deals/{court.pk}/"),
        ("manager.msk", "карточка своей сделки", f"/deals/{own.pk}/"),
        *dashboard_cases(),
    ]
    print(f"Сделок в базе: {total:,}".replace(",", " "))
    print(f"{'кто':<12} {'страница':<48} {'медиана, мс':>12} {'запросов':>9}")
    clients = {}
    for who, label, url in cases:
        if args.only not in label:
            continue
        client = clients.get(who)
        if client is None:
            client = clients[who] = WebClient()
            client.force_login(users[who])
        median, queries, _ = measure(client, url, args.runs)
        print(f"{who:<12} {label:<48} {median:>12.1f} {queries:>9}")


if __name__ == "__main__":
    main()
