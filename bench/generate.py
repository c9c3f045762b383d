"""Fill a PostgreSQL database with a large pipeline for the benchmarks.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench \
        .venv/bin/python -m bench.generate --deals 1000000

Set-based SQL (generate_series), so a million deals take minutes, not hours.
The demo accounts (manager.msk, rop.msk, director…) are created first and get
their share of the deals, so the runner can log in as them.
"""

import argparse
import os
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from crm import services  # noqa: E402
from crm.models import Branch, User  # noqa: E402
from crm.roles import Role  # noqa: E402

STAGES = [
    "db_in_work",
    "db_prep_court",
    "db_in_court",
    "db_archive",
    "db_terminated",
    "du_in_work",
    "du_contracted",
    "du_done",
    "du_terminated",
]
SURNAMES = [
    "Иванов",
    "Смирнов",
    "Кузнецов",
    "Попов",
    "Васильев",
    "Петров",
    "Соколов",
    "Михайлов",
    "Новиков",
    "Фёдоров",
    "Морозов",
    "Волков",
    "Алексеев",
    "Лебедев",
    "Семёнов",
    "Егоров",
    "Павлов",
    "Козлов",
    "Степанов",
    "Николаев",
    "Орлов",
    "Андреев",
    "Макаров",
    "Никитин",
    "Захаров",
]


def sql(statement: str, params=None) -> None:
    with connection.cursor() as cur:
        cur.execute(statement, params)


def staff(branches: int, managers_per_branch: int) -> None:
    call_command("seed_demo", verbosity=0)
    director = User.objects.get(username="director")
    for b in range(1, branches + 1):
        branch, _ = Branch.objects.get_or_create(name=f"Филиал {b:02d}", defaults={"city": f"Город {b:02d}"})
        head = User.objects.filter(username=f"rop.b{b:02d}").first() or services.user_create(
            by=None,
            username=f"rop.b{b:02d}",
            full_name=f"Руководитель Филиала {b:02d}",
            role=Role.HEAD_OF_SALES,
            password=None,
            branch=branch,
            supervisor=director,
        )
        for m in range(1, managers_per_branch + 1):
            login = f"m.b{b:02d}.{m:02d}"
            if not User.objects.filter(username=login).exists():
                services.user_create(
                    by=None,
                    username=login,
                    full_name=f"Менеджер {m:02d} Филиала {b:02d}",
                    role=Role.MANAGER,
                    password=None,
                    branch=branch,
                    supervisor=head,
                )


def pipeline(deals: int) -> None:
    sql(
        "TRUNCATE deals_instalment, deals_payment, deals_creditor, deals_hearing, deals_dealstagecount, "
        "crm_timelineentry, leads_lead, deals_deal, crm_clientphone, crm_contactperson, crm_client "
        "RESTART IDENTITY CASCADE"
    )
    sql("DROP TABLE IF EXISTS bench_mgr")
    sql(
        "CREATE TABLE bench_mgr AS SELECT (row_number() OVER (ORDER BY id)) - 1 AS rn, id, branch_id "
        "FROM crm_user WHERE role = 'manager' AND is_active"
    )
    sql("CREATE UNIQUE INDEX ON bench_mgr (rn)")
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM bench_mgr")
        managers = cur.fetchone()[0]
    surnames = "ARRAY[" + ",".join(f"'{s}'" for s in SURNAMES) + "]"
    stages = "ARRAY[" + ",".join(f"'{s}'" for s in STAGES) + "]"
    t = time.monotonic()
    sql(
        f"""
        INSERT INTO crm_client (kind, last_name, first_name, patronymic, company_name, display_name, search_key,
            email, address, region, passport, snils, inn, ogrn, consent_channel, consent_document,
            manager_id, branch_id, status, created_at)
        SELECT 'person', s.surname || mod(g, 997), 'Иван', 'Петрович', '',
               s.surname || mod(g, 997) || ' Иван Петрович',
               lower(s.surname || mod(g, 997) || ' иван петрович') || ' 7916' || lpad(g::text, 7, '0'),
               '', '', '', '', '', '', '', '', '', m.id, m.branch_id, 'active',
               now() - (mod(g, 900) || ' days')::interval
        FROM generate_series(1, %s) g
        CROSS JOIN LATERAL (SELECT ({surnames})[1 + mod(g, {len(SURNAMES)})] AS surname) s
        JOIN bench_mgr m ON m.rn = mod(g, {managers})
    """,
        [deals],
    )
    print(f"clients: {time.monotonic() - t:.0f} s")
    t = time.monotonic()
    sql("""
        INSERT INTO crm_clientphone (client_id, number, number_norm, is_primary)
        SELECT id, '+7 916 ' || lpad(id::text, 7, '0'), '7916' || lpad(id::text, 7, '0'), true FROM crm_client
    """)
    sql(f"""
        INSERT INTO deals_deal (client_id, service_line, stage, title, manager_id, branch_id, source, created_at,
            stage_changed_at, contract_number, contract_date, fee, court, case_number, filing_date, judge,
            financial_manager, deposit_paid, property_notes, termination_reason, search_key)
        SELECT c.id, left(st.stage, 2), st.stage, '', c.manager_id, c.branch_id, 'call', c.created_at,
               c.created_at + (mod(c.id, 60) || ' days')::interval,
               CASE WHEN st.stage IN ('db_in_work', 'du_in_work') THEN '' ELSE 'Д-' || c.id END,
               CASE WHEN st.stage IN ('db_in_work', 'du_in_work') THEN NULL ELSE c.created_at::date + 3 END,
               CASE WHEN st.stage IN ('db_in_work', 'du_in_work') THEN NULL ELSE 150000 END,
               CASE WHEN st.stage IN ('db_in_court', 'db_archive') THEN 'Арбитражный суд г. Москвы' ELSE '' END,
               CASE WHEN st.stage IN ('db_in_court', 'db_archive') THEN 'А40-' || c.id || '/2025' ELSE '' END,
               CASE WHEN st.stage IN ('db_in_court', 'db_archive') THEN c.created_at::date + 20 END,
               '', '', false, '', '', c.search_key
        FROM crm_client c
        CROSS JOIN LATERAL (SELECT ({stages})[1 + mod(c.id * 7, {len(STAGES)})] AS stage) st
    """)
    print(f"phones and deals: {time.monotonic() - t:.0f} s")
    t = time.monotonic()
    sql("""
        INSERT INTO deals_dealstagecount (manager_id, branch_id, stage, count, fee_total)
        SELECT manager_id, branch_id, stage, count(*), coalesce(sum(fee), 0)
        FROM deals_deal GROUP BY manager_id, branch_id, stage
    """)
    # Every tenth contracted deal has a schedule; some of it is overdue.
    sql("""
        INSERT INTO deals_instalment (deal_id, due_date, amount, paid_amount)
        SELECT d.id, current_date + (k * 30 - 45), 50000, CASE WHEN k = 0 THEN 50000 ELSE 0 END
        FROM deals_deal d CROSS JOIN generate_series(0, 2) k
        WHERE mod(d.id, 10) = 0 AND d.fee IS NOT NULL
    """)
    sql("DROP TABLE bench_mgr")
    sql("ANALYZE")
    print(f"counters, schedules, analyze: {time.monotonic() - t:.0f} s")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--deals", type=int, default=1_000_000)
    parser.add_argument("--branches", type=int, default=10)
    parser.add_argument("--managers-per-branch", type=int, default=20)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("The benchmarks run on PostgreSQL: set DATABASE_URL.")
    started = time.monotonic()
    call_command("migrate", verbosity=0)
    staff(args.branches, args.managers_per_branch)
    pipeline(args.deals)
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM deals_deal")
        print(f"deals: {cur.fetchone()[0]}, total {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
