"""A real Celery worker process picks a task off the configured broker and runs it against the test database.

Works on both set-ups: SQLite + the file broker (no env vars) and PostgreSQL + Redis
(DATABASE_URL, REDIS_URL). The worker listens on a queue of its own, so a worker
already running on this machine never takes the test's message.
"""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from crm.models import LoginFailure
from crm.tasks import purge_login_failures_task
from tests.celery_workers import TASK_TIMEOUT

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_worker_purges_old_login_failures_from_the_test_database(celery_worker):
    now = timezone.now()
    old = [
        LoginFailure.objects.create(username="manager.msk", ip="10.0.0.1", at=now - timedelta(days=40)),
        LoginFailure.objects.create(username="manager.spb", ip="10.0.0.2", at=now - timedelta(days=40, hours=3)),
    ]
    recent = LoginFailure.objects.create(username="manager.msk", ip="10.0.0.1", at=now - timedelta(days=1))

    purge_login_failures_task.apply_async(queue=celery_worker.queue)

    deadline = time.monotonic() + TASK_TIMEOUT
    while LoginFailure.objects.filter(pk__in=[f.pk for f in old]).exists():
        assert time.monotonic() < deadline, f"old failures still there after {TASK_TIMEOUT} s:\n{celery_worker.output}"
        assert celery_worker.process.poll() is None, f"worker exited:\n{celery_worker.output}"
        time.sleep(0.2)

    assert list(LoginFailure.objects.values_list("pk", flat=True)) == [recent.pk], celery_worker.output
    # The worker logs the task's return value: the number of rows it removed.
    succeeded = celery_worker.wait_for_line("succeeded in", timeout=5)
    assert succeeded is not None, celery_worker.output
    assert "Task crm.tasks.purge_login_failures_task[" in succeeded, celery_worker.output
    assert succeeded.endswith(": 2"), celery_worker.output
