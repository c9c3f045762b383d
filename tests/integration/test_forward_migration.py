"""A database made and filled by the wave-1 code migrates forward to the new layout with every row kept.

The wave-1 tree (the last commit before clients/, activities/ and the generic
outbox) is unpacked from git, migrates a fresh SQLite file and loads the demo;
a Disk job that failed is added as an admin would have found it. Then today's
code migrates the same file, and every table keeps its rows.
"""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
WAVE1 = "a065c09"  # «Review mends…», the last commit of the old layout


def run(cwd: Path, db: Path, var: Path, *args: str) -> str:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "crm.settings",
        "DATABASE_URL": f"sqlite:///{db}",
        "CRM_VAR_DIR": str(var),
        "YANDEX_DISK_ENABLED": "0",
        "EMAIL_ENABLED": "0",
    }
    env.pop("REDIS_URL", None)
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    return done.stdout


def counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {t: conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}


def test_wave1_database_migrates_forward_with_every_row_kept(tmp_path):
    old = tmp_path / "wave1"
    old.mkdir()
    archive = subprocess.run(["git", "archive", WAVE1], cwd=ROOT, capture_output=True, timeout=60)
    assert archive.returncode == 0, archive.stderr.decode()
    subprocess.run(["tar", "-x", "-C", str(old)], input=archive.stdout, check=True, timeout=60)
    db, var = tmp_path / "crm.sqlite3", tmp_path / "var"

    run(old, db, var, "migrate", "--noinput")
    run(old, db, var, "seed_demo")
    with sqlite3.connect(db) as conn:
        client_id, manager_id = conn.execute("SELECT id, manager_id FROM crm_client ORDER BY id LIMIT 1").fetchone()
        conn.execute(
            "INSERT INTO integrations_diskjob (kind, client_id, reason, status, attempts, next_attempt_at,"
            " last_error, created_at) VALUES ('client', ?, 'смена стадии', 'failed', 3, '2026-11-20 10:00:00',"
            " 'На Диске кончилось место (507)', '2026-11-20 09:00:00')",
            (client_id,),
        )
        conn.execute(
            "INSERT INTO integrations_diskjob (kind, manager_id, reason, status, attempts, next_attempt_at,"
            " last_error, created_at) VALUES ('payments', ?, 'платежи', 'pending', 0, '2026-11-20 10:00:00', '',"
            " '2026-11-20 09:00:00')",
            (manager_id,),
        )
        audited_clients = conn.execute("SELECT COUNT(*) FROM crm_auditentry WHERE target_type='crm.client'").fetchone()
    before = counts(db)
    assert before["crm_client"] > 10 and before["crm_activity"] > 5 and before["crm_timelineentry"] > 10

    run(ROOT, db, var, "migrate", "--noinput")
    after = counts(db)

    moved_away = {"integrations_diskjob"}  # its rows live on in the outbox (checked below)
    # The stage history is built from the timelines (a new table gets its first rows and so its
    # autoincrement counter in sqlite_sequence); every other table keeps its rows.
    grown = {"django_migrations", "django_content_type", "auth_permission", "sqlite_sequence"}
    for table, rows in before.items():
        if table in moved_away or table in grown:
            continue
        assert after.get(table) == rows, f"{table}: {rows} rows before, {after.get(table)} after"
    with sqlite3.connect(db) as conn:
        jobs = conn.execute("SELECT kind, key, status, attempts, last_error FROM crm_outboxjob ORDER BY id").fetchall()
        assert jobs == [
            ("disk.client", str(client_id), "failed", 3, "На Диске кончилось место (507)"),
            ("disk.payments", str(manager_id), "pending", 0, ""),
        ]
        assert conn.execute("SELECT COUNT(*) FROM crm_auditentry WHERE target_type='crm.client'").fetchone() == (0,)
        assert (
            conn.execute("SELECT COUNT(*) FROM crm_auditentry WHERE target_type='clients.client'").fetchone()
            == audited_clients
        )
    # Today's code reads the kept rows through the moved models.
    check = run(
        ROOT,
        db,
        var,
        "shell",
        "-c",
        "from clients.models import Client; from activities.models import Activity; "
        "print(Client.objects.count(), Activity.objects.count(), Client.objects.filter(deals__isnull=False).count())",
    )
    clients, activities, with_deals = map(int, check.strip().splitlines()[-1].split())
    assert (clients, activities) == (before["crm_client"], before["crm_activity"]) and with_deals > 0
    assert "No changes detected" in run(ROOT, db, var, "makemigrations", "--check", "--dry-run")
