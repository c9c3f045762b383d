"""The Disk mirror end to end: real Celery worker processes, the outbox, the stand-in, faults and a killed worker.

The test process changes clients and deals through the services (as a page
would); the outbox rows go out after commit to a worker listening on the
test's own queue; the worker talks to the stand-in with the real yadisk client.
"""

import os
import signal
import time
import uuid

import pytest
import requests
from django.conf import settings as django_settings

from clients.services import client_update
from crm.models import OutboxJob
from crm.tasks import outbox_redrive_task
from deals.services import deal_move_to_stage, deal_reassign
from integrations.models import ClientFolder
from integrations.yandex_disk import services
from tests.celery_workers import WORKER_READY_TIMEOUT, Worker, forget_worker_queues, worker_database_url
from tests.factories import contract_data, make_deal
from tests.standins.yadisk_server import StandinServer

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

CONVERGE_TIMEOUT = 90
IVANOV = "/Москва - Иванов Сергей Николаевич"


@pytest.fixture
def standin():
    server = StandinServer(token="t0k3n").start()
    yield server
    server.stop()


@pytest.fixture
def mirror(settings, standin, transactional_db):
    """Settings for this process and a factory of workers that share them."""
    queue = f"test-disk-{uuid.uuid4().hex}"
    settings.YANDEX_DISK_ENABLED = True
    settings.YANDEX_DISK_API_URL = standin.base_url
    settings.YANDEX_DISK_TOKEN = "t0k3n"
    settings.YANDEX_DISK_QUEUE = queue
    settings.YANDEX_DISK_BACKOFF_SECONDS = 0.2
    settings.YANDEX_DISK_BACKOFF_MAX_SECONDS = 2
    settings.YANDEX_DISK_LEASE_SECONDS = 3
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "crm.settings",
        "DATABASE_URL": worker_database_url(),
        "PYTHONUNBUFFERED": "1",
        "YANDEX_DISK_ENABLED": "1",
        "YANDEX_DISK_API_URL": standin.base_url,
        "YANDEX_DISK_TOKEN": "t0k3n",
        "YANDEX_DISK_QUEUE": queue,
        "YANDEX_DISK_BACKOFF_SECONDS": "0.2",
        # A client unlucky many times in a row at 20% faults must not wait out a long backoff in CI.
        "YANDEX_DISK_BACKOFF_MAX_SECONDS": "2",
        "YANDEX_DISK_LEASE_SECONDS": "3",
    }
    started: list[Worker] = []

    def start() -> Worker:
        worker = Worker(queue, env)
        started.append(worker)
        if worker.wait_for_line(" ready.", WORKER_READY_TIMEOUT) is None:
            pytest.fail(f"worker did not get ready:\n{worker.output}")
        return worker

    yield start
    for worker in started:
        worker.stop()
    if started:
        forget_worker_queues(started[0])


def tree(server) -> set[str]:
    return set(requests.get(f"{server.base_url}/_standin/tree", timeout=5).json())


def faults(server, **spec):
    requests.post(f"{server.base_url}/_standin/faults", json=spec, timeout=5).raise_for_status()


def calls(server) -> int:
    return sum(requests.get(f"{server.base_url}/_standin/calls", timeout=5).json().values())


def converge(server, expected: set[str], workers, timeout=CONVERGE_TIMEOUT) -> float:
    """Wait until the tree holds `expected` and no job is pending; returns the seconds it took."""
    started = time.monotonic()
    while True:
        pending = OutboxJob.objects.filter(status="pending").count()
        if expected <= tree(server) and pending == 0:
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            missing = sorted(expected - tree(server))[:10]
            output = "\n".join(w.output[-3000:] for w in workers)
            pytest.fail(f"not converged in {timeout} s: pending {pending}, missing {missing}\n{output}")
        time.sleep(0.3)


def expected_tree() -> set[str]:
    """Every client's folder where the database says it belongs, with its questionnaire."""
    paths = set()
    for folder in ClientFolder.objects.select_related("client"):
        target = services.expected_path(folder.client, folder)
        paths |= {target, f"{target}/Анкета.xlsx"}
    return paths


def test_create_move_rename_and_handover_reach_the_disk(mirror, standin, manager_msk, manager2_msk, head_msk):
    worker = mirror()
    deal = make_deal(manager=manager_msk, last_name="Белов", first_name="Андрей", patronymic="Викторович")
    converge(standin, {f"{IVANOV}/ДБ/В работе (не заключенные)/Белов А.В./Анкета.xlsx"}, [worker])
    deal_move_to_stage(deal=deal, stage="db_prep_court", by=manager_msk, data=contract_data())
    client_update(client=deal.client, by=manager_msk, data={"last_name": "Белов-Серый"})
    deal_reassign(deal=deal, manager=manager2_msk, by=head_msk)
    final = "/Москва - Петрова Анна Игоревна/ДБ/Подготовка к АС/Белов-Серый А.В."
    converge(standin, {final, f"{final}/Анкета.xlsx"}, [worker])
    assert not any("Белов" in p for p in tree(standin) if not p.startswith(final))
    # four folder jobs and the two managers' payments tables, all done
    assert set(OutboxJob.objects.values_list("status", flat=True)) == {"done"}
    assert OutboxJob.objects.count() == 6


def test_a_run_of_503s_and_429s_ends_with_the_tree_correct(mirror, standin, manager_msk):
    worker = mirror()
    faults(standin, next=[503, 429, 503, 429, 503])
    deals = [make_deal(manager=manager_msk, last_name=f"Клиентов{i}", phones=[f"+7916000{i:04d}"]) for i in range(3)]
    converge(standin, {"/"}, [worker])  # until no job is pending
    assert len(expected_tree()) == 6
    assert expected_tree() == {p for p in tree(standin) if "Клиентов" in p}
    assert len(deals) == 3
    assert "retry" in worker.output  # the worker did come back later


def test_a_worker_killed_mid_job_leaves_work_another_finishes(mirror, standin, manager_msk):
    first = mirror()
    faults(standin, delay=1.0)  # every Disk call takes a second: time to kill the worker mid-job
    deal = make_deal(manager=manager_msk, last_name="Прерванный", first_name="Иван", patronymic="Иванович")
    deadline = time.monotonic() + 30
    while calls(standin) == 0:
        assert time.monotonic() < deadline, first.output
        time.sleep(0.05)
    os.kill(first.process.pid, signal.SIGKILL)
    first.process.wait(timeout=10)
    assert OutboxJob.objects.get().status == "pending"
    faults(standin, delay=0)
    second = mirror()
    # The beat's redrive finds the job nobody finished (the lease runs out after 3 s).
    deadline = time.monotonic() + 60
    while OutboxJob.objects.filter(status="pending").exists():
        assert time.monotonic() < deadline, second.output
        outbox_redrive_task.apply_async(queue=django_settings.YANDEX_DISK_QUEUE)
        time.sleep(1.5)
    folder = f"{IVANOV}/ДБ/В работе (не заключенные)/Прерванный И.И."
    converge(standin, {folder, f"{folder}/Анкета.xlsx"}, [second])
    assert ClientFolder.objects.get(client=deal.client).synced_path == folder


def test_many_clients_with_one_call_in_five_failing_all_converge(mirror, standin, manager_msk, manager2_msk):
    """The issue's figure at a CI-sized scale (bench/disk_mirror.py runs 1,000): no job is lost."""
    workers = [mirror(), mirror()]
    faults(standin, rate=0.2, codes=[503, 429, 500, 502])
    count = 40
    deals = [
        make_deal(
            manager=manager_msk if i % 2 else manager2_msk, last_name=f"Массовый{i:03d}", phones=[f"+7917{i:07d}"]
        )
        for i in range(count)
    ]
    for deal in deals[::2]:
        deal_move_to_stage(deal=deal, stage="db_prep_court", by=deal.manager, data=contract_data())
    seconds = converge(standin, {"/"}, workers)
    expected = expected_tree()
    on_disk = {p for p in tree(standin) if "Массовый" in p}
    assert len(expected) == 2 * count
    assert on_disk == expected, sorted(on_disk ^ expected)[:10]
    assert OutboxJob.objects.exclude(status="done").count() == 0
    print(f"\n{count} clients, 20% faults: converged in {seconds:.1f} s, {calls(standin) / count:.1f} calls per client")


def test_the_admins_import_button_runs_on_the_worker(mirror, standin, web, admin_user, manager_msk):
    from integrations.models import DiskImportRun

    worker = mirror()
    disk = services.build_client()
    for path in [IVANOV, f"{IVANOV}/ДБ", f"{IVANOV}/ДБ/В суде", f"{IVANOV}/ДБ/В суде/Орлов П.С.", "/Старое"]:
        disk.mkdir(path)
    web.force_login(admin_user)
    assert web.post("/integrations/disk/import/").status_code == 302
    run = DiskImportRun.objects.get()
    deadline = time.monotonic() + 60
    while DiskImportRun.objects.get(pk=run.pk).status == "running":
        assert time.monotonic() < deadline, worker.output
        time.sleep(0.3)
    run.refresh_from_db()
    assert (run.status, run.clients_created, run.started_by) == ("done", 1, admin_user)
    assert [p["path"] for p in run.problems] == ["/Старое"]
    page = web.get("/integrations/disk/")
    assert "создано клиентов 1" in page.content.decode()
