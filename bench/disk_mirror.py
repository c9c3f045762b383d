"""The Disk mirror under load: N clients created and moved while the Disk stand-in fails a share of calls.

    psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE crm_disk_bench"
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_disk_bench REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python -m bench.disk_mirror --clients 1000 --fail-rate 0.2 --workers 4

The database is emptied and migrated first. A Yandex.Disk stand-in runs in
this process; real `celery worker` processes do the work from the outbox. The
script prints how long the tree took to converge, how many Disk calls each
client cost (failed ones included), and checks that the tree on the "Disk"
equals the tree the database expects and that no job was lost.
"""

import argparse
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

QUEUE = f"bench-disk-{uuid.uuid4().hex[:8]}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--fail-rate", type=float, default=0.2)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--timeout", type=int, default=1800)
    args = parser.parse_args()

    from tests.standins.yadisk_server import StandinServer

    standin = StandinServer(token="bench").start()
    mirror_env = {
        "YANDEX_DISK_ENABLED": "1",
        "YANDEX_DISK_API_URL": standin.base_url,
        "YANDEX_DISK_TOKEN": "bench",
        "YANDEX_DISK_QUEUE": QUEUE,
        "YANDEX_DISK_BACKOFF_SECONDS": "0.5",
    }
    os.environ.update(mirror_env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    import requests
    from django.core.management import call_command
    from django.db.models import Sum

    from clients.services import client_update
    from crm import services as crm_services
    from crm.models import OutboxJob
    from crm.roles import Role
    from deals.services import deal_move_to_stage, deal_reassign
    from integrations.models import ClientFolder
    from integrations.yandex_disk import services
    from tests.factories import contract_data, make_deal

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    branch = crm_services.branch_create(by=None, name="Москва", city="Москва")
    managers = [
        crm_services.user_create(
            by=None, username=f"bench.m{i}", full_name=name, role=Role.MANAGER, branch=branch, password="x" * 12
        )
        for i, name in enumerate(["Иванов Сергей Николаевич", "Петрова Анна Игоревна", "Кузьмин Олег Петрович"])
    ]
    head = crm_services.user_create(
        by=None, username="bench.head", full_name="Кузнецов Дмитрий", role=Role.HEAD_OF_SALES, branch=branch,
        password="x" * 12,
    )  # fmt: skip

    worker = subprocess.Popen(
        [str(Path(sys.executable).with_name("celery")), "-A", "crm", "worker", "-Q", QUEUE, "-n", f"{QUEUE}@bench",
         "--concurrency", str(args.workers), "--loglevel", "WARNING", "--without-gossip", "--without-mingle"],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "crm.settings"},
    )  # fmt: skip
    try:
        requests.post(
            f"{standin.base_url}/_standin/faults", json={"rate": args.fail_rate, "codes": [429, 500, 502, 503]}
        ).raise_for_status()
        started = time.monotonic()
        deals = []
        for i in range(args.clients):
            deals.append(
                make_deal(
                    manager=managers[i % 2],
                    last_name=f"Клиент{i:05d}",
                    first_name="Иван",
                    patronymic="Петрович",
                    phones=[f"+7918{i:07d}"],
                )
            )
        for deal in deals[::2]:
            deal_move_to_stage(deal=deal, stage="db_prep_court", by=deal.manager, data=contract_data())
        for deal in deals[1::10]:
            client_update(client=deal.client, by=deal.manager, data={"last_name": deal.client.last_name + "-Новый"})
        for deal in deals[2::10]:
            deal_reassign(deal=deal, manager=managers[2], by=head)
        changes_done = time.monotonic()
        print(f"{args.clients} clients and their moves written in {changes_done - started:.1f} s", flush=True)
        while OutboxJob.objects.filter(status="pending").exists():
            if time.monotonic() - started > args.timeout:
                raise SystemExit("did not converge in time")
            if worker.poll() is not None:
                raise SystemExit("worker died")
            # What beat's redrive does every minute, a bit more often here.
            if int(time.monotonic() - started) % 20 == 0:
                from crm.tasks import outbox_redrive_task

                outbox_redrive_task.apply_async(queue=QUEUE)
            time.sleep(1)
        converged = time.monotonic()
        expected = set()
        for folder in ClientFolder.objects.select_related("client"):
            target = services.expected_path(folder.client, folder)
            expected |= {target, f"{target}/Анкета.xlsx"}
        on_disk = {p for p in requests.get(f"{standin.base_url}/_standin/tree").json() if "/Клиент" in p}
        calls = sum(requests.get(f"{standin.base_url}/_standin/calls").json().values())
        jobs = OutboxJob.objects.filter(kind="disk.client")
        failed = OutboxJob.objects.exclude(status="done").count()
        retries = jobs.aggregate(n=Sum("attempts"))["n"] or 0
        after_first, after_last = converged - started, converged - changes_done
        print(f"converged {after_first:.1f} s after the first change, {after_last:.1f} s after the last")
        print(f"Disk calls: {calls} in all, {calls / args.clients:.1f} per client (failed ones included)")
        print(f"client jobs: {jobs.count()}, retried attempts recorded: {retries}, not done: {failed}")
        print(f"folders expected {len(expected) // 2}, tree equal to expected: {on_disk == expected}")
        if on_disk != expected or failed:
            print("DIFF", sorted(on_disk ^ expected)[:20])
            raise SystemExit(1)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        standin.stop()


if __name__ == "__main__":
    main()
