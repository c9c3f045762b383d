"""Fill a PostgreSQL database with a large pipeline for the benchmarks.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench \
        .venv/bin/python -m bench.generate --deals 1000000

Set-based SQL (generate_series), so a million deals take minutes, not hours.
The demo accounts (manager.msk, rop.msk, director…) are created first and get
their share of the deals, so the runner can log in as them.

Besides clients, phones and deals it writes what the heads' dashboards read: each deal's
stage history (consistent with its current stage), leads (1.5 per deal), five million
activities, fee schedules with the payments made against them, and a few per cent of
clients abandoned, in the pool or lost. Every figure is derived from row ids (and the day it runs)
by fixed arithmetic, so two runs produce the same pipeline.
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
from reports.analytics import rollup  # noqa: E402

# The routes deals take, with their share in per cent and the mean days spent in each stage before the
# next (crm.pipelines.allowed_targets: one step at a time, termination only from a contracted, open stage).
# A deal follows its route, chosen by the client id, for as long as the time since its creation allows:
# its current stage is the last one it has reached by now, so young deals sit in the early stages and the
# moves of any year are as many as of the year before (a firm at a steady pace, not one that just began).
ROUTES = [
    (18, ["db_in_work"], []),
    (6, ["db_in_work", "db_prep_court", "db_terminated"], [21, 45]),
    (6, ["db_in_work", "db_prep_court", "db_in_court", "db_terminated"], [21, 60, 90]),
    (25, ["db_in_work", "db_prep_court", "db_in_court", "db_archive"], [21, 60, 180]),
    (15, ["du_in_work"], []),
    (7, ["du_in_work", "du_contracted", "du_terminated"], [10, 30]),
    (23, ["du_in_work", "du_contracted", "du_done"], [10, 60]),
]
CLOSED = ("db_archive", "db_terminated", "du_done", "du_terminated")
# Deal.Source values with their share in per cent (cumulative bounds are taken in order).
SOURCES = [("call", 35), ("site", 25), ("referral", 12), ("mail", 5), ("partner", 10), ("walk_in", 8), ("other", 5)]
# Activity.Kind values with their share in per cent; meetings, consultations and busy time have an end.
KINDS = [("call", 45), ("meeting", 12), ("remote", 8), ("email", 15), ("message", 12), ("other", 5), ("busy", 3)]
SUBJECTS = {
    "call": "Звонок клиенту",
    "meeting": "Встреча в офисе",
    "remote": "Дистанционная консультация",
    "email": "Письмо",
    "message": "Сообщение в мессенджере",
    "other": "Подготовить документы",
    "busy": "Занят",
}
TERMINATION_REASONS = [
    "Клиент отказался от услуг",
    "Неоплата по графику",
    "Долг погашен иначе",
    "Переезд в другой регион",
]
LOST_REASONS = ["Ушёл к конкурентам", "Дорого", "Решил не банкротиться", "Не выходит на связь"]
CLOSE_REASONS = ["Реклама, не клиент", "Не наш профиль", "Ошиблись номером", "Дорого", "Передумал", "Не дозвонились"]
NON_TARGET_REASONS = ["Спам", "Предлагают услуги", "Соискатель", "Коллекторы", "Не наш регион"]
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
# The generated history reaches this far back; activities also fill the next two weeks.
DAYS = 900
# Activities fill each manager's working day (09:00–18:00) in equal slots, from DAYS days ago to two weeks
# ahead: one manager's slots never overlap, so the calendar's exclusion constraint (crm migration 0008)
# holds for planned meetings. Five million activities for 203 managers are 27 a day, one per 20 minutes.
AHEAD_DAYS, WORKDAY_MINUTES = 14, 540
# The tables the pipeline fills, emptied first; CASCADE empties what points at them (tasks, timeline…).
TABLES = [
    "reports_fact",
    "reports_factwatermark",
    "crm_staleday",
    "deals_instalment",
    "deals_payment",
    "deals_creditor",
    "deals_hearing",
    "deals_dealstagecount",
    "deals_dealstagechange",
    "crm_activity",
    "crm_timelineentry",
    "leads_lead",
    "deals_deal",
    "crm_clientphone",
    "crm_contactperson",
    "crm_client",
]
# Their secondary indexes are dropped while the rows go in and built again at the end: building an
# index once is many times faster than keeping ten of them up to date through millions of inserts.
BULK_TABLES = [
    "crm_client",
    "crm_clientphone",
    "deals_deal",
    "deals_dealstagechange",
    "leads_lead",
    "crm_activity",
    "deals_instalment",
    "deals_payment",
]


def sql(statement: str, params=None) -> None:
    with connection.cursor() as cur:
        cur.execute(statement, params)


def scalar(statement: str, params=None):
    with connection.cursor() as cur:
        cur.execute(statement, params)
        return cur.fetchone()[0]


def array(values) -> str:
    return "ARRAY[" + ",".join(f"'{v}'" for v in values) + "]"


def pick(values, expr: str) -> str:
    """`values[expr mod len]` in SQL: a reason, a surname… chosen by a row's id."""
    return f"({array(values)})[1 + mod({expr}, {len(values)})::int]"


def hashed(expr: str, stream: int) -> str:
    """A number 0–99 from a row id, one independent stream per use: `id mod 100` in two places would tie,
    say, a deal's source to its route."""
    return f"mod(hashint8(({expr}) + {stream * 1000000007})::bigint + 2147483648, 100)"


def shares(choices, expr: str) -> str:
    """A CASE spreading rows over `choices` (value, per cent) by `expr` mod 100."""
    bound, arms = 0, []
    for value, share in choices[:-1]:
        bound += share
        arms.append(f"WHEN mod({expr}, 100) < {bound} THEN '{value}'")
    return f"CASE {' '.join(arms)} ELSE '{choices[-1][0]}' END"


def route_sql(client_id: str) -> tuple[str, str]:
    """SQL for a client's route (ROUTES by id): its stages, and the mean days in each (NULL past the end)."""
    bound, paths, means = 0, [], []
    for share, path, days in ROUTES:
        bound += share
        paths.append(f"WHEN {hashed(client_id, 1)} < {bound} THEN {array(path)}::varchar[]")
        means.append(f"WHEN {hashed(client_id, 1)} < {bound} THEN ARRAY[{', '.join(map(str, days))}]::float8[]")
    return f"CASE {' '.join(paths)} END", f"CASE {' '.join(means)} END"


def step(label: str, started: float) -> float:
    print(f"{label}: {time.monotonic() - started:.0f} s", flush=True)
    return time.monotonic()


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


def restore_indexes() -> None:
    """Build the indexes a bulk load dropped (also those a run stopped halfway left dropped)."""
    sql("CREATE TABLE IF NOT EXISTS bench_dropped_index (name text PRIMARY KEY, definition text NOT NULL)")
    with connection.cursor() as cur:
        cur.execute("SELECT name, definition FROM bench_dropped_index ORDER BY name")
        dropped = cur.fetchall()
    for name, definition in dropped:
        sql(definition.replace(" INDEX ", " INDEX IF NOT EXISTS ", 1))
        sql("DELETE FROM bench_dropped_index WHERE name = %s", [name])


def drop_indexes(tables: list[str]) -> None:
    """Drop the tables' secondary indexes (not those behind a primary key, unique or exclusion
    constraint), remembering their definitions in a table, so an interrupted run loses none."""
    restore_indexes()
    with connection.cursor() as cur:
        cur.execute(
            """
            SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
            FROM pg_index i
            WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
            """,
            [tables],
        )
        indexes = cur.fetchall()
    for name, definition in indexes:
        sql("INSERT INTO bench_dropped_index VALUES (%s, %s) ON CONFLICT DO NOTHING", [name, definition])
        sql(f"DROP INDEX {name}")


def pipeline(deals: int, activities: int) -> None:
    sql(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
    # Rows are consistent by construction: skip the foreign-key triggers (superuser, this session only),
    # which would otherwise queue one deferred check per row and key until each statement ends.
    sql("SET session_replication_role = replica")
    sql("SET maintenance_work_mem = '1GB'")
    drop_indexes(BULK_TABLES)
    sql("DROP TABLE IF EXISTS bench_mgr, bench_deal, bench_path")
    sql(
        "CREATE TABLE bench_mgr AS SELECT (row_number() OVER (ORDER BY id)) - 1 AS rn, id, branch_id, 0 AS deals "
        "FROM crm_user WHERE role = 'manager' AND is_active"
    )
    sql("CREATE UNIQUE INDEX ON bench_mgr (rn)")
    managers = scalar("SELECT count(*) FROM bench_mgr")
    t = time.monotonic()
    clients(deals, managers)
    t = step("clients", t)
    sql("""
        INSERT INTO crm_clientphone (client_id, number, number_norm, is_primary)
        SELECT id, '+7 916 ' || lpad(id::text, 7, '0'), '7916' || lpad(id::text, 7, '0'), true FROM crm_client
    """)
    t = step("phones", t)
    routes()
    deal_rows()
    # The stage a client was lost at (the losses table): its deal's, as the services copy it at the change.
    sql(
        "UPDATE crm_client c SET loss_stage = d.stage FROM deals_deal d "
        "WHERE d.client_id = c.id AND c.status <> 'active'"
    )
    t = step("deals", t)
    stage_history()
    t = step(f"stage history ({scalar('SELECT count(*) FROM deals_dealstagechange'):,} rows)", t)
    leads(deals, managers)
    t = step(f"leads ({scalar('SELECT count(*) FROM leads_lead'):,})", t)
    activity_rows(activities, managers)
    t = step(f"activities ({scalar('SELECT count(*) FROM crm_activity'):,})", t)
    schedules_and_payments()
    instalments, payments = (
        scalar("SELECT count(*) FROM deals_instalment"),
        scalar("SELECT count(*) FROM deals_payment"),
    )
    t = step(f"instalments ({instalments:,}) and payments ({payments:,})", t)
    sql("""
        INSERT INTO deals_dealstagecount (manager_id, branch_id, stage, count, fee_total)
        SELECT manager_id, branch_id, stage, count(*), coalesce(sum(fee), 0)
        FROM deals_deal GROUP BY manager_id, branch_id, stage
    """)
    sql("DROP TABLE bench_mgr, bench_deal, bench_path")
    sql("SET session_replication_role = origin")
    restore_indexes()
    t = step("counters and indexes", t)
    # The dashboards' sums by day and month, as the beat job keeps them (reports/analytics/rollup.py); the
    # requests, «дела» and instalments went in past the services, which would have marked their days.
    rollup.mark_all_stale("lead")
    rollup.mark_all_stale("activity")
    rollup.mark_all_stale("instalment")
    taken = rollup.refresh()
    facts = scalar("SELECT count(*) FROM reports_fact")
    t = step(f"rollup ({facts:,} rows from {sum(taken.values()):,} source rows)", t)
    # Freshly loaded tables have no visibility map: without VACUUM every index-only scan visits the
    # heap until autovacuum gets round to it, which a live database would long have done.
    sql("VACUUM ANALYZE")
    step("vacuum, analyze", t)


def clients(deals: int, managers: int) -> None:
    """Clients spread over the managers and, in id order like a live database, over the last DAYS days;
    3 % abandoned, 2 % in the pool, 1 % lost."""
    surname = pick(SURNAMES, "g")
    sql(
        f"""
        INSERT INTO crm_client (kind, last_name, first_name, patronymic, company_name, display_name, search_key,
            email, email_norm, address, region, passport, snils, inn, ogrn, consent_channel, consent_document,
            manager_id, branch_id, status, status_changed_at, lost_reason, loss_stage, created_at)
        SELECT 'person', s.surname || mod(g, 997), 'Иван', 'Петрович', '',
               s.surname || mod(g, 997) || ' Иван Петрович',
               lower(s.surname || mod(g, 997) || ' иван петрович') || ' 7916' || lpad(g::text, 7, '0'),
               '', '', '', '', '', '', '', '', '', '', m.id, m.branch_id, st.status,
               CASE WHEN st.status <> 'active'
                    THEN s.created_at + (now() - s.created_at) * (0.2 + 0.8 * mod(g * 37, 100) / 100.0)::float8
               END,
               CASE WHEN st.status = 'lost' THEN {pick(LOST_REASONS, "g / 100")} ELSE '' END, '',
               s.created_at
        FROM generate_series(1::bigint, %s) g
        CROSS JOIN LATERAL (
            SELECT {surname} AS surname,
                   now() - interval '{DAYS} days' * ((%s - g)::float8 / %s) AS created_at
        ) s
        CROSS JOIN LATERAL (
            SELECT CASE WHEN h.n < 3 THEN 'abandoned' WHEN h.n < 5 THEN 'pool'
                        WHEN h.n = 5 THEN 'lost' ELSE 'active' END AS status
            FROM (SELECT {hashed("g", 2)} AS n) h
        ) st
        JOIN bench_mgr m ON m.rn = mod(g, {managers})
    """,
        [deals, deals, deals],
    )


def routes() -> None:
    """bench_path: each client's deal as the stages it has entered by now and when it entered each. Every
    stay is its route's mean times 0.2–1.8, by the client id; the deal rows and the history both read it."""
    path, means = route_sql("c.id")
    stays = [f"r.means[{k}] * (0.2 + 1.6 * mod(c.id * {p}, 1000) / 1000.0) * interval '1 day'" for k, p in
             ((1, 131), (2, 137), (3, 139))]  # fmt: skip
    sql(f"""
        CREATE TABLE bench_path AS
        SELECT c.id AS client_id, (r.path)[1:n.n] AS path,
               (ARRAY[c.created_at, e.at2, e.at3, e.at4])[1:n.n] AS entered
        FROM crm_client c
        CROSS JOIN LATERAL (SELECT {path} AS path, {means} AS means) r
        CROSS JOIN LATERAL (
            SELECT c.created_at + {stays[0]} AS at2,
                   c.created_at + {stays[0]} + {stays[1]} AS at3,
                   c.created_at + {stays[0]} + {stays[1]} + {stays[2]} AS at4
        ) e
        CROSS JOIN LATERAL (
            SELECT 1 + coalesce((e.at2 <= now())::int, 0) + coalesce((e.at3 <= now())::int, 0)
                     + coalesce((e.at4 <= now())::int, 0) AS n
        ) n
    """)
    sql("CREATE UNIQUE INDEX ON bench_path (client_id)")


def deal_rows() -> None:
    """One deal per client at the last stage of its route it has reached; contract, court and outcome fields
    filled as the stages it passed through require."""
    sql(f"""
        INSERT INTO deals_deal (client_id, service_line, stage, title, manager_id, branch_id, source, created_at,
            stage_changed_at, closed_at, contract_number, contract_date, fee, court, case_number, filing_date,
            judge, financial_manager, deposit_paid, property_notes, outcome_written_off, outcome_date,
            termination_reason, search_key)
        SELECT x.id, left(x.stage, 2), x.stage, '', x.manager_id, x.branch_id, {shares(SOURCES, hashed("x.id", 3))},
               x.created_at, x.changed,
               CASE WHEN x.stage IN {CLOSED} THEN x.changed END,
               CASE WHEN x.n > 1 THEN 'Д-' || x.id ELSE '' END,
               CASE WHEN x.n > 1 THEN x.entered[2]::date END,
               CASE WHEN x.n > 1 THEN 60000 * (1 + mod(x.id * 37, 6)) END,
               CASE WHEN 'db_in_court' = ANY(x.path) THEN 'Арбитражный суд г. Москвы' ELSE '' END,
               CASE WHEN 'db_in_court' = ANY(x.path) THEN 'А40-' || x.id || '/2025' ELSE '' END,
               CASE WHEN 'db_in_court' = ANY(x.path) THEN x.entered[3]::date END,
               '', '', 'db_in_court' = ANY(x.path), '',
               CASE WHEN x.stage = 'db_archive' THEN mod(x.id, 10) <> 0 END,
               CASE WHEN x.stage IN ('db_archive', 'du_done') THEN x.changed::date END,
               CASE WHEN x.stage IN ('db_terminated', 'du_terminated') THEN {pick(TERMINATION_REASONS, "x.id / 9")}
                    ELSE '' END,
               x.search_key
        FROM (
            SELECT c.id, c.manager_id, c.branch_id, c.created_at, c.search_key, p.path, p.entered,
                   cardinality(p.path) AS n, p.path[cardinality(p.path)] AS stage,
                   p.entered[cardinality(p.path)] AS changed
            FROM crm_client c JOIN bench_path p ON p.client_id = c.id
        ) x
        ORDER BY x.id
    """)


def stage_history() -> None:
    """A row per stage each deal entered: the opening row (from_stage '' at created_at), then each move
    with the stage it left, when it had entered it and how long it sat there."""
    sql("""
        INSERT INTO deals_dealstagechange (deal_id, service_line, from_stage, to_stage, at, from_entered_at,
            seconds_in_from, source, manager_id, branch_id, fee, termination_reason)
        SELECT d.id, d.service_line, coalesce(p.path[k - 1], ''), p.path[k], p.entered[k], p.entered[k - 1],
               extract(epoch FROM p.entered[k] - p.entered[k - 1])::bigint, d.source, d.manager_id, d.branch_id,
               d.fee, CASE WHEN p.path[k] IN ('db_terminated', 'du_terminated') THEN d.termination_reason ELSE '' END
        FROM deals_deal d
        JOIN bench_path p ON p.client_id = d.client_id
        CROSS JOIN LATERAL generate_series(1, cardinality(p.path)) k
        ORDER BY p.entered[k]
    """)


def leads(deals: int, managers: int) -> None:
    """1.5 leads per deal, in id order by arrival: 60 % of the deals came from a lead (converted, linked to
    the deal and its client, hours before the deal); the rest never became a deal: new or in work when
    recent, otherwise closed with a reason (65 %) or non-target."""
    with connection.cursor() as cur:
        columns = {row.name for row in connection.introspection.get_table_description(cur, "leads_lead")}
    # The response time the efficiency dashboard reads, once the column exists: minutes to hours.
    response = "first_response_at" in columns
    linked = scalar(f"SELECT count(*) FROM deals_deal WHERE {hashed('id', 4)} < 60")
    sql(
        f"""
        INSERT INTO leads_lead (source, name, phone, phone_norm, email, email_norm, message, service_line, status,
            routed_to_office, non_target_reason, close_reason, closed_at, closed_by_id, created_at, assigned_to_id,
            branch_id, client_id, deal_id, idempotency_fingerprint,
            contract_signed{", first_response_at, response_seconds" if response else ""})
        SELECT source, name, '+7 ' || substr(phone, 2, 3) || ' ' || substr(phone, 5), phone, '', '', message,
               service_line, status, status = 'non_target', non_target_reason, close_reason, closed_at,
               closed_by_id, created_at, manager_id, branch_id, client_id, deal_id, '', contract_signed
               {
            ", first_response_at, EXTRACT(EPOCH FROM (first_response_at - created_at))::double precision"
            if response
            else ""
        }
        FROM (
            SELECT d.source, c.display_name AS name, '7916' || lpad(d.client_id::text, 7, '0') AS phone,
                   'Нужна консультация' AS message, d.service_line, 'converted' AS status,
                   '' AS non_target_reason, '' AS close_reason, NULL::timestamptz AS closed_at,
                   NULL::bigint AS closed_by_id, l.created_at, d.manager_id, d.branch_id, d.client_id, d.id AS deal_id,
                   d.contract_date IS NOT NULL AS contract_signed,
                   l.created_at + make_interval(mins => mod(d.id * 7, 60)::int) AS first_response_at
            FROM deals_deal d
            JOIN crm_client c ON c.id = d.client_id
            CROSS JOIN LATERAL (
                SELECT d.created_at - make_interval(hours => 1 + mod(d.id * 11, 72)::int) AS created_at
            ) l
            WHERE {hashed("d.id", 4)} < 60
            UNION ALL
            SELECT {shares(SOURCES, "g * 59")}, 'Обращение ' || g, '7903' || lpad(g::text, 7, '0'),
                   'Вопрос по долгам', CASE WHEN mod(g, 3) = 0 THEN 'du' ELSE 'db' END, st.status,
                   CASE WHEN st.status = 'non_target' THEN {pick(NON_TARGET_REASONS, "g / 7")} ELSE '' END,
                   CASE WHEN st.status = 'closed' THEN {pick(CLOSE_REASONS, "g / 7")} ELSE '' END,
                   CASE WHEN st.status = 'closed' THEN l.created_at + make_interval(hours => 1 + mod(g, 96)::int) END,
                   CASE WHEN st.status = 'closed' THEN m.id END,
                   l.created_at, m.id, m.branch_id, NULL, NULL, false,
                   CASE WHEN st.status <> 'new' THEN l.created_at + make_interval(mins => mod(g * 13, 600)::int) END
            FROM generate_series(1::bigint, %s) g
            JOIN bench_mgr m ON m.rn = mod(g * 31, {managers})
            CROSS JOIN LATERAL (
                SELECT now() - make_interval(mins => mod(g * 7919, {DAYS} * 1440)::int) AS created_at
            ) l
            CROSS JOIN LATERAL (
                SELECT CASE WHEN l.created_at > now() - interval '14 days'
                            THEN CASE WHEN mod(g, 2) = 0 THEN 'new' ELSE 'in_work' END
                            WHEN mod(g * 17, 100) < 65 THEN 'closed' ELSE 'non_target' END AS status
            ) st
        ) lead
        ORDER BY created_at
    """,
        [int(deals * 1.5) - linked],
    )


def activity_rows(activities: int, managers: int) -> None:
    """Activities spread evenly over the managers, in their own slots from DAYS days ago to AHEAD_DAYS
    ahead, each on a deal of that manager created before it (one in ten on the client only).
    Past ones mostly done, some cancelled, a few of the last month overdue; future ones planned."""
    sql("""
        CREATE TABLE bench_deal AS
        SELECT manager_id, row_number() OVER (PARTITION BY manager_id ORDER BY created_at, id) AS rn, id, client_id
        FROM deals_deal
    """)
    sql("CREATE UNIQUE INDEX ON bench_deal (manager_id, rn)")
    sql("UPDATE bench_mgr m SET deals = (SELECT count(*) FROM bench_deal d WHERE d.manager_id = m.id)")
    per_day = -(-activities // (managers * (DAYS + AHEAD_DAYS)))  # ceiling division
    slot = WORKDAY_MINUTES // per_day
    subject = "CASE a.kind " + " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in SUBJECTS.items()) + " END"
    sql(
        f"""
        INSERT INTO crm_activity (kind, direction, status, subject, client_id, deal_id, responsible_id, branch_id,
            planned_at, ends_at, place, location, result, external_uid, created_at, done_at)
        SELECT a.kind,
               CASE WHEN a.kind IN ('email', 'message') AND mod(a.g * 41, 100) < 60
                      OR a.kind = 'call' AND mod(a.g * 41, 100) < 30 THEN 'inbound' ELSE 'outbound' END,
               st.status, {subject}, bd.client_id,
               CASE WHEN mod(a.g * 17, 10) = 0 THEN NULL ELSE bd.id END,
               a.manager_id, a.branch_id, a.at,
               CASE WHEN a.kind IN ('meeting', 'remote', 'busy') THEN a.at + interval '{slot} minutes' END,
               CASE a.kind WHEN 'meeting' THEN 'office' WHEN 'remote' THEN 'remote' ELSE '' END,
               '', CASE WHEN st.status = 'done' THEN 'Состоялось' ELSE '' END, '',
               least(a.at, now()) - make_interval(days => mod(a.g * 3, 10)::int),
               CASE WHEN st.status = 'done' THEN least(a.at + interval '15 minutes', now()) END
        FROM (
            SELECT g, m.id AS manager_id, m.branch_id, m.deals, s.at, {shares(KINDS, "g * 29")} AS kind,
                   least(sl.slot / {per_day}, {DAYS}) / {DAYS}.0 AS elapsed
            FROM generate_series(0::bigint, %s - 1) g
            JOIN bench_mgr m ON m.rn = mod(g, {managers})
            CROSS JOIN LATERAL (SELECT g / {managers} AS slot) sl
            CROSS JOIN LATERAL (
                SELECT (date_trunc('day', now() AT TIME ZONE 'Europe/Moscow') - interval '{DAYS} days'
                        + (sl.slot / {per_day}) * interval '1 day' + interval '9 hours'
                        + mod(sl.slot, {per_day}) * interval '{slot} minutes') AT TIME ZONE 'Europe/Moscow'
                       AS at
            ) s
        ) a
        JOIN bench_deal bd ON bd.manager_id = a.manager_id
            AND bd.rn = greatest(1, ceil(a.elapsed * a.deals * (1 - 0.6 * mod(a.g * 7919, 1000) / 1000.0)))::bigint
        CROSS JOIN LATERAL (
            SELECT CASE WHEN a.at > now() THEN CASE WHEN mod(a.g * 13, 100) < 5 THEN 'cancelled' ELSE 'planned' END
                        WHEN a.at > now() - interval '30 days' AND mod(a.g * 13, 100) < 15 THEN 'planned'
                        WHEN mod(a.g * 19, 100) < 88 THEN 'done' ELSE 'cancelled' END AS status
        ) st
    """,
        [activities],
    )


def schedules_and_payments() -> None:
    """Every contracted deal pays its fee in 1–6 monthly instalments from the contract date (a terminated
    deal's schedule stops at the termination). Instalments of the last 90 days: 85 % paid, 5 % half paid,
    the rest overdue; older ones were mostly collected since (2 % still open); future ones: one in ten
    paid early. One payment per (partly) paid instalment, a week either side of its due date (an early
    one in the last three weeks), never before the contract."""
    sql(f"""
        INSERT INTO deals_instalment (deal_id, due_date, amount, branch_id, manager_id, source, service_line,
            paid_amount)
        SELECT d.id, i.due, d.fee / k.k, d.branch_id, d.manager_id, d.source, d.service_line,
               CASE WHEN i.due < current_date - 90 THEN
                        CASE WHEN p.n < 97 THEN d.fee / k.k
                             WHEN p.n < 98 THEN round(d.fee / k.k / 2, 2) ELSE 0 END
                    WHEN i.due < current_date THEN
                        CASE WHEN p.n < 85 THEN d.fee / k.k
                             WHEN p.n < 90 THEN round(d.fee / k.k / 2, 2) ELSE 0 END
                    WHEN p.n < 10 THEN d.fee / k.k ELSE 0 END
        FROM deals_deal d
        CROSS JOIN LATERAL (SELECT 1 + mod(d.id, 6)::int AS k) k
        CROSS JOIN LATERAL generate_series(0, k.k - 1) j
        CROSS JOIN LATERAL (SELECT (d.contract_date + j * interval '1 month')::date AS due) i
        CROSS JOIN LATERAL (SELECT {hashed("d.id * 8 + j", 5)} AS n) p
        WHERE d.fee IS NOT NULL
          AND (d.stage NOT IN ('db_terminated', 'du_terminated') OR i.due <= d.stage_changed_at::date)
        ORDER BY d.id, i.due
    """)
    sql("""
        INSERT INTO deals_payment (deal_id, paid_on, amount, method, comment, recorded_by_id, recorded_at,
            branch_id, manager_id, source, service_line)
        SELECT i.deal_id, p.paid_on, i.paid_amount,
               (ARRAY['transfer', 'card', 'cash', 'invoice'])[1 + mod(i.id, 4)::int], '', d.manager_id,
               (p.paid_on + time '12:00') AT TIME ZONE 'Europe/Moscow', d.branch_id, d.manager_id, d.source,
               d.service_line
        FROM deals_instalment i
        JOIN deals_deal d ON d.id = i.deal_id
        CROSS JOIN LATERAL (SELECT i.due_date + (mod(i.id * 7, 15)::int - 7) AS day) due
        CROSS JOIN LATERAL (
            SELECT greatest(d.contract_date, CASE WHEN due.day <= current_date THEN due.day
                                                  ELSE current_date - mod(i.id * 11, 20)::int END) AS paid_on
        ) p
        WHERE i.paid_amount > 0
        ORDER BY p.paid_on, i.id
    """)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--deals", type=int, default=1_000_000)
    parser.add_argument("--activities", type=int, default=5_000_000)
    parser.add_argument("--branches", type=int, default=10)
    parser.add_argument("--managers-per-branch", type=int, default=20)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("The benchmarks run on PostgreSQL: set DATABASE_URL.")
    started = time.monotonic()
    call_command("migrate", verbosity=0)
    staff(args.branches, args.managers_per_branch)
    pipeline(args.deals, args.activities)
    print(
        f"deals: {scalar('SELECT count(*) FROM deals_deal'):,}, activities: "
        f"{scalar('SELECT count(*) FROM crm_activity'):,}, total {time.monotonic() - started:.0f} s"
    )


if __name__ == "__main__":
    main()
