"""Mango's events through the real endpoint and a real Celery worker: how many events a second the CRM
takes without losing one, and the time from a call's last event to its «Звонок» in «Мои дела».

    psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE crm_mango_bench"
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_mango_bench REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python -m bench.mango --calls 1000 --senders 16

The database is emptied and migrated first. The CRM is served by gunicorn (`--web-workers` processes,
as production runs it) and one Celery worker process (`--concurrency` children) takes the Mango queue.
The Mango stand-in (tests/standins/mango_server.py) signs every event as Mango does.

1. Latency: `--latency-calls` calls, one after another; for each, the time from posting its summary
   (the last event) to its inbound «Звонок» being in the database.
2. Throughput: `--calls` calls from the clients' numbers (Appeared, Connected, Disconnected and the
   summary: four events each, every call's states sent in reverse order), posted by `--senders` threads
   at once; events a second while posting, then the time until every call is logged. Every event must be
   answered 200 and stored once, and every call must end as one «Звонок»: the script fails otherwise.
"""

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

KEY, SALT = "bench-key", "bench-salt"
QUEUE = f"bench-mango-{uuid.uuid4().hex[:8]}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url: str, timeout: float = 60) -> None:
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.3)
    raise SystemExit(f"{url} did not answer")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--senders", type=int, default=16)
    parser.add_argument("--latency-calls", type=int, default=20)
    parser.add_argument("--web-workers", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--timeout", type=int, default=900)
    args = parser.parse_args()

    port = _free_port()
    os.environ.update(
        {
            "MANGO_ENABLED": "1",
            "MANGO_API_KEY": KEY,
            "MANGO_API_SALT": SALT,
            "MANGO_QUEUE": QUEUE,
            "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        }
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from activities.models import Activity
    from clients.models import Client
    from crm import services as crm_services
    from crm.roles import Role
    from crm.tasks import outbox_redrive_task
    from integrations.models import MangoCall, MangoEvent
    from tests.factories import make_client
    from tests.standins.mango_server import MangoServer

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    branch = crm_services.branch_create(by=None, name="Москва", city="Москва")
    manager = crm_services.user_create(
        by=None, username="bench.m", full_name="Иванов Сергей Николаевич", role=Role.MANAGER, branch=branch,
        password="x" * 12,
    )  # fmt: skip
    crm_services.user_update(user=manager, by=None, data={"mango_extension": "101"})
    numbers = [f"7916{n:07d}" for n in range(args.clients)]
    for n, number in enumerate(numbers):
        make_client(manager=manager, last_name=f"Звонков{n}", phones=(f"+{number}",))

    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings"}
    web = subprocess.Popen(
        [str(bin_dir / "gunicorn"), "crm.wsgi:application", "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}",
         "--workers", str(args.web_workers), "--log-level", "warning"],
        env=env,
    )  # fmt: skip
    worker = subprocess.Popen(
        [str(bin_dir / "celery"), "-A", "crm", "worker", "-Q", QUEUE, "-n", f"{QUEUE}@bench",
         "--concurrency", str(args.concurrency), "--loglevel", "WARNING", "--without-gossip", "--without-mingle"],
        env=env,
    )  # fmt: skip
    mango = MangoServer(api_key=KEY, api_salt=SALT, crm_events_url=f"http://127.0.0.1:{port}/integrations/mango/")
    mango.start()

    def calls_logged(entries) -> int:
        return MangoCall.objects.filter(entry_id__in=entries, logged=True).count()

    def wait_logged(entries, started) -> float:
        last_redrive = time.monotonic()
        while calls_logged(entries) < len(entries):
            if time.monotonic() - started > args.timeout or worker.poll() is not None:
                raise SystemExit(f"only {calls_logged(entries)} of {len(entries)} calls logged in time")
            if time.monotonic() - last_redrive > 10:
                outbox_redrive_task()  # the beat's part: hints lost under load are found by the redrive
                last_redrive = time.monotonic()
            time.sleep(0.05)
        return time.monotonic() - started

    def call_events(number: str, start: int):
        entry, leg = mango.new_ids()
        states = mango.call_events(entry, leg, number, "101", start=start, step=20)
        summary = mango.summary_event(
            entry, number, "101", create_time=start, talk_time=start + 20, end_time=start + 40, answered=True
        )
        return entry, [("events/call", e) for e in reversed(states)] + [("events/summary", summary)]

    try:
        _wait_http(f"http://127.0.0.1:{port}/login/")
        time.sleep(3)  # the worker's start is not what is measured
        now = int(time.time())

        latencies = []
        for n in range(args.latency_calls + 1):
            entry, events = call_events(numbers[n % len(numbers)], now - 600 + n)
            for path, payload in events[:-1]:
                mango.post_event(path, payload)
            started = time.monotonic()
            assert mango.post_event(*events[-1]).status_code == 200
            seconds = wait_logged([entry], started)
            if n:  # the first call warms the worker up
                latencies.append(seconds)

        batch = [call_events(numbers[n % len(numbers)], now - 3600 + n) for n in range(args.calls)]
        entries = [entry for entry, _ in batch]
        events = [event for _, call in batch for event in call]
        before = MangoEvent.objects.count()
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=args.senders) as pool:
            statuses = list(pool.map(lambda e: mango.post_event(*e).status_code, events))
        posted_in = time.monotonic() - started
        all_logged_in = wait_logged(entries, started)
        stored = MangoEvent.objects.count() - before
        zvonki = Activity.objects.filter(kind="call", direction="inbound", client__in=Client.objects.all()).count()
        refused = sum(1 for s in statuses if s != 200)
        print(
            f"event to «Звонок»: median {statistics.median(latencies) * 1000:.0f} ms, "
            f"max {max(latencies) * 1000:.0f} ms over {len(latencies)} calls"
        )
        print(
            f"{args.calls} calls = {len(events)} events from {args.senders} senders: posted in {posted_in:.1f} s "
            f"({len(events) / posted_in:.0f} events/s), every call logged {all_logged_in:.1f} s after the first event"
        )
        print(
            f"answered non-200: {refused}, events stored: {stored} of {len(events)}, "
            f"«Звонок» activities: {zvonki} for {args.calls + args.latency_calls + 1} calls"
        )
        if refused or stored != len(events) or zvonki != args.calls + args.latency_calls + 1:
            raise SystemExit(1)
    finally:
        mango.stop()
        worker.terminate()
        web.terminate()
        worker.wait(timeout=30)
        web.wait(timeout=30)


if __name__ == "__main__":
    main()
