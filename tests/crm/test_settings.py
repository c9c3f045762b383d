"""Settings come from the environment; production passes Django's deploy check."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from crm.env import env_bool, env_int, env_list

ROOT = Path(__file__).resolve().parents[2]
PROD_ENV = {
    "DJANGO_SETTINGS_MODULE": "crm.settings",
    "SECRET_KEY": "x" * 30 + "-production-secret-key-for-the-check-" + "y" * 20,
    "DEBUG": "0",
    "HTTPS": "1",
    "ALLOWED_HOSTS": "crm.example.ru",
    "DATABASE_URL": "postgres://crm:crm@db:5432/crm",
    "REDIS_URL": "redis://redis:6379/0",
}


def run_django(args, env_overrides, tmp_path):
    # A production environment: none of the test run's own switches (the browser
    # tests set DJANGO_ALLOW_ASYNC_UNSAFE for the whole session).
    dropped = {"DATABASE_URL", "REDIS_URL", "DEBUG", "HTTPS", "DJANGO_ALLOW_ASYNC_UNSAFE", "DJANGO_SETTINGS_MODULE"}
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(env_overrides)
    env["CRM_VAR_DIR"] = str(tmp_path)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_production_configuration_passes_check_deploy(tmp_path):
    result = run_django(["check", "--deploy", "--fail-level", "WARNING"], PROD_ENV, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_plain_http_configuration_fails_check_deploy(tmp_path):
    result = run_django(["check", "--deploy", "--fail-level", "WARNING"], {**PROD_ENV, "HTTPS": "0"}, tmp_path)
    assert result.returncode != 0
    assert "SESSION_COOKIE_SECURE" in result.stdout + result.stderr


SHOW = (
    "from django.conf import settings as s;"
    "print(s.DATABASES['default']['ENGINE']);print(s.CELERY_BROKER_URL);print(s.TIME_ZONE, s.LANGUAGE_CODE)"
)


def test_defaults_run_on_one_pc_without_servers(tmp_path):
    result = run_django(["shell", "-v", "0", "-c", SHOW], {"DJANGO_SETTINGS_MODULE": "crm.settings"}, tmp_path)
    assert result.stdout.split("\n")[:3] == ["django.db.backends.sqlite3", "filesystem://", "Europe/Moscow ru"]
    assert (tmp_path / "secret_key").exists()


def test_redis_url_switches_the_broker(tmp_path):
    env = {"DJANGO_SETTINGS_MODULE": "crm.settings", "REDIS_URL": "redis://127.0.0.1:6379/5"}
    result = run_django(["shell", "-v", "0", "-c", SHOW], env, tmp_path)
    assert result.stdout.split("\n")[1] == "redis://127.0.0.1:6379/5"


def test_env_helpers(monkeypatch):
    monkeypatch.setenv("FLAG", "yes")
    monkeypatch.setenv("NUM", "42")
    monkeypatch.setenv("HOSTS", "a, b,,c")
    assert env_bool("FLAG") is True
    assert env_int("NUM", 1) == 42
    assert env_list("HOSTS") == ["a", "b", "c"]
    assert env_int("MISSING_NUM", 7) == 7
    monkeypatch.setenv("FLAG", "maybe")
    with pytest.raises(ValueError, match="FLAG must be a boolean"):
        env_bool("FLAG")
