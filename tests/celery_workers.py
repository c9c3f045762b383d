"""Real Celery worker processes for the tests: started on a queue of their own, against the test database.

Works on both set-ups: SQLite + the file broker (no env vars) and PostgreSQL + Redis
(DATABASE_URL, REDIS_URL). The worker listens on a queue of its own, so a worker
already running on this machine never takes the test's message.
"""

import contextlib
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from kombu import Exchange, Queue

from crm.celery import app as celery_app

WORKER_READY_TIMEOUT = 60
TASK_TIMEOUT = 30
CELERY = Path(sys.executable).with_name("celery")


def worker_database_url() -> str:
    """DATABASE_URL of the database this test process is using (the test database, not the real one)."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    if db["ENGINE"] == "django.db.backends.postgresql":
        credentials = quote(db["USER"] or "", safe="")
        if db["PASSWORD"]:
            credentials += ":" + quote(db["PASSWORD"], safe="")
        netloc = (f"{credentials}@" if credentials else "") + (db["HOST"] or "127.0.0.1")
        if db["PORT"]:
            netloc += f":{db['PORT']}"
        return f"postgres://{netloc}/{quote(db['NAME'], safe='')}"
    raise NotImplementedError(f"no DATABASE_URL for {db['ENGINE']}")


class Worker:
    """A `celery -A crm worker` subprocess with its output collected line by line.

    Failing assertions quote `output`, so a failure shows what the worker said.
    """

    def __init__(self, queue: str, env: dict, *, name: str = "test"):
        self.queue = queue
        # Several workers may share a queue (parallel work); each needs its own node name.
        self.nodename = f"{queue}@{name}"
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self.process = subprocess.Popen(
            [
                str(CELERY),
                "-A",
                "crm",
                "worker",
                "--pool",
                "solo",
                "-Q",
                queue,
                "-n",
                self.nodename,
                "--loglevel",
                "INFO",
                # No chatter with other workers: faster start, full isolation.
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=settings.BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.process.stdout:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for_line(self, fragment: str, timeout: float) -> str | None:
        """The first output line containing `fragment`, or None if the worker exits or time runs out."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for line in self.lines:
                    if fragment in line:
                        return line
                remaining = deadline - time.monotonic()
                if remaining <= 0 or (self.process.poll() is not None and not self._reader.is_alive()):
                    return None
                self._changed.wait(min(remaining, 0.5))

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()  # warm shutdown
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self._reader.join(timeout=5)
        self.process.stdout.close()


def forget_worker_queues(worker: Worker) -> None:
    """Unbind the worker's task queue and its remote-control (pidbox) queue in the broker.

    Workers leave these bindings behind; with the file broker each dead pidbox binding
    would then receive a copy of every later broadcast, so a test run cleans up after itself.
    """
    queues = [
        Queue(worker.queue, Exchange(worker.queue), routing_key=worker.queue),
        Queue(f"{worker.nodename}.celery.pidbox", Exchange("celery.pidbox", type="fanout"), auto_delete=True),
    ]
    with celery_app.connection_for_write() as conn:
        for queue in queues:
            bound = queue(conn.default_channel)
            bound.declare()  # makes the binding known to this connection, so delete() removes it
            bound.delete()
        if conn.transport.driver_type == "filesystem":
            # The file broker keeps the (now empty) table of the test's exchange as a file.
            (Path(conn.transport_options["control_folder"]) / f"{worker.queue}.exchange").unlink(missing_ok=True)


@contextlib.contextmanager
def running_worker(queue: str, env: dict | None = None):
    """A real worker on `queue`, with the test database and `env` on top of this process's environment;
    stopped and its queues forgotten afterwards."""
    full_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "crm.settings",
        "DATABASE_URL": worker_database_url(),
        "PYTHONUNBUFFERED": "1",
        **(env or {}),
    }
    worker = Worker(queue, full_env)
    try:
        if worker.wait_for_line(" ready.", WORKER_READY_TIMEOUT) is None:
            pytest.fail(
                f"Celery worker did not get ready (waited up to {WORKER_READY_TIMEOUT} s, "
                f"exit code {worker.process.poll()}):\n{worker.output}"
            )
        yield worker
    finally:
        worker.stop()
        forget_worker_queues(worker)


@pytest.fixture
def celery_worker(transactional_db):
    with running_worker(f"test-{uuid.uuid4().hex}") as worker:
        yield worker


def wait_for(what: str, check, worker: Worker, *, timeout: float = 60, every: float = 0.2) -> None:
    """Until `check()` holds, re-driving the outbox as the beat would; fails with the worker's output."""
    from crm.tasks import outbox_redrive_task

    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {timeout} s\n{worker.output[-3000:]}")
        outbox_redrive_task()
        time.sleep(every)
