"""The Disk mirror against the stand-in with the real yadisk client: each event moves the tree as the firm keeps it."""

from datetime import date

import pytest
import requests
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import load_workbook

from clients.services import client_update, document_add
from crm import outbox
from crm.models import AuditEntry, OutboxJob
from deals.services import deal_move_to_stage, deal_reassign, payment_record
from integrations.models import ClientFolder, DiskImportRun
from integrations.yandex_disk import services
from integrations.yandex_disk.importer import disk_import
from tests.factories import contract_data, court_data, make_deal
from tests.standins.yadisk_server import StandinServer

IVANOV = "/Москва - Иванов Сергей Николаевич"
PETROVA = "/Москва - Петрова Анна Игоревна"


@pytest.fixture
def disk(settings):
    server = StandinServer(token="t0k3n").start()
    settings.YANDEX_DISK_ENABLED = True
    settings.YANDEX_DISK_API_URL = server.base_url
    settings.YANDEX_DISK_TOKEN = "t0k3n"
    settings.YANDEX_DISK_BACKOFF_SECONDS = 0.1
    yield server
    server.stop()


def tree(server) -> set[str]:
    return set(requests.get(f"{server.base_url}/_standin/tree", timeout=5).json())


def calls(server) -> int:
    return sum(requests.get(f"{server.base_url}/_standin/calls", timeout=5).json().values())


def faults(server, **spec):
    requests.post(f"{server.base_url}/_standin/faults", json=spec, timeout=5).raise_for_status()


def sync(client) -> str:
    """What a worker does with the client's outbox rows."""
    return outbox.deliver(services.CLIENT_KIND, str(client.pk))


def disk_jobs():
    return OutboxJob.objects.filter(kind__startswith="disk.")


def test_a_new_deal_creates_the_folder_with_the_questionnaire(disk, manager_msk):
    deal = make_deal(manager=manager_msk, last_name="Белов", first_name="Андрей", patronymic="Викторович")
    job = disk_jobs().get()
    assert (job.kind, job.key, job.status, job.reason) == (
        "disk.client",
        str(deal.client_id),
        "pending",
        "новая сделка",
    )
    assert sync(deal.client) == "synced"
    folder = f"{IVANOV}/ДБ/В работе (не заключенные)/Белов А.В."
    assert ClientFolder.objects.get().synced_path == folder
    assert {folder, f"{folder}/Анкета.xlsx"} <= tree(disk)
    assert disk_jobs().get().status == "done"
    sheet = load_workbook(services.file_download(ClientFolder.objects.get(), "Анкета.xlsx")).active
    assert sheet["B2"].value == "Белов Андрей Викторович"


def test_stage_rename_and_handover_move_the_folder(disk, manager_msk, manager2_msk, head_msk):
    deal = make_deal(manager=manager_msk, last_name="Белов", first_name="Андрей", patronymic="Викторович")
    sync(deal.client)
    deal_move_to_stage(deal=deal, stage="db_prep_court", by=manager_msk, data=contract_data())
    sync(deal.client)
    assert f"{IVANOV}/ДБ/Подготовка к АС/Белов А.В./Анкета.xlsx" in tree(disk)
    assert f"{IVANOV}/ДБ/В работе (не заключенные)/Белов А.В." not in tree(disk)

    client_update(client=deal.client, by=manager_msk, data={"last_name": "Белов-Серый"})
    sync(deal.client)
    assert f"{IVANOV}/ДБ/Подготовка к АС/Белов-Серый А.В." in tree(disk)

    deal_reassign(deal=deal, manager=manager2_msk, by=head_msk)
    sync(deal.client)
    assert f"{PETROVA}/ДБ/Подготовка к АС/Белов-Серый А.В./Анкета.xlsx" in tree(disk)
    assert not any(p.startswith(f"{IVANOV}/ДБ/Подготовка к АС/Белов") for p in tree(disk))
    assert disk_jobs().filter(status="pending", kind="disk.client").count() == 0


def test_du_folder_moves_into_the_contract_year(disk, manager_msk):
    deal = make_deal(manager=manager_msk, service_line="du", last_name="Зимина", first_name="Ольга", patronymic="")
    sync(deal.client)
    assert f"{IVANOV}/ДУ/В работе (не заключенные)/Зимина О." in tree(disk)
    deal_move_to_stage(deal=deal, stage="du_contracted", by=manager_msk, data=contract_data())
    sync(deal.client)
    assert f"{IVANOV}/ДУ/2026/Зимина О." in tree(disk)


def test_namesakes_get_distinct_stable_names(disk, manager_msk):
    first = make_deal(manager=manager_msk, last_name="Иванов", first_name="Иван", patronymic="Иванович")
    second = make_deal(
        manager=manager_msk, last_name="Иванов", first_name="Игорь", patronymic="Ильич", phones=["+79160000077"]
    )
    sync(first.client)
    sync(second.client)
    waiting = f"{IVANOV}/ДБ/В работе (не заключенные)"
    assert {f"{waiting}/Иванов И.И.", f"{waiting}/Иванов И.И. (2)"} <= tree(disk)
    # The first leaving does not rename the second.
    deal_move_to_stage(deal=first, stage="db_prep_court", by=manager_msk, data=contract_data())
    sync(first.client)
    sync(second.client)
    assert f"{IVANOV}/ДБ/Подготовка к АС/Иванов И.И." in tree(disk)
    assert f"{IVANOV}/ДБ/В работе (не заключенные)/Иванов И.И. (2)" in tree(disk)


def test_running_a_job_twice_changes_nothing(disk, manager_msk):
    deal = make_deal(manager=manager_msk)
    sync(deal.client)
    before, made = tree(disk), calls(disk)
    services.client_sync(client_id=deal.client_id)
    assert tree(disk) == before
    assert calls(disk) - made == 1  # one mkdir answered «already there»


def test_documents_go_into_the_folder(disk, manager_msk):
    deal = make_deal(manager=manager_msk, last_name="Белов", first_name="Андрей", patronymic="Викторович")
    sync(deal.client)
    document_add(
        client=deal.client, by=manager_msk, upload=SimpleUploadedFile("Договор.pdf", b"%PDF-1.4"), kind="contract"
    )
    sync(deal.client)
    assert f"{IVANOV}/ДБ/В работе (не заключенные)/Белов А.В./Договор.pdf" in tree(disk)
    assert deal.client.documents.get().on_disk_at is not None


def test_payments_table_is_refreshed(disk, manager_msk):
    deal = make_deal(manager=manager_msk)
    deal_move_to_stage(deal=deal, stage="db_prep_court", by=manager_msk, data=contract_data())
    payment_record(deal=deal, by=manager_msk, paid_on=date(2026, 11, 3), amount=40000, method="cash")
    assert services.payments_sync(manager_id=manager_msk.pk).outcome == "synced"
    path = "/CRM - Москва - Иванов Сергей Николаевич/Платежи.xlsx"
    assert path in tree(disk)
    assert AuditEntry.objects.filter(action="export", actor=None, target_repr__contains="Яндекс.Диск").count() == 1


def test_503_and_429_are_retried_with_backoff_then_succeed(disk, manager_msk):
    deal = make_deal(manager=manager_msk)
    faults(disk, next=[503, 429])
    for expected_attempts in (1, 2):
        started = timezone.now()
        assert sync(deal.client) == "retry"
        job = disk_jobs().get()
        assert (job.status, job.attempts) == ("pending", expected_attempts)
        assert job.next_attempt_at > started  # backoff: the redrive leaves it alone until then
    assert "TooManyRequestsError" in job.last_error
    assert sync(deal.client) == "synced"
    assert disk_jobs().get().status == "done"


@pytest.mark.parametrize("code, error", [(507, "InsufficientStorageError"), (401, "UnauthorizedError")])
def test_permanent_errors_wait_for_an_admin(disk, web, admin_user, manager_msk, code, error):
    deal = make_deal(manager=manager_msk)
    faults(disk, next=[code])
    assert sync(deal.client) == "failed"
    job = disk_jobs().get()
    assert job.status == "failed" and error in job.last_error
    web.force_login(admin_user)
    page = web.get("/integrations/disk/")
    assert [j.pk for j in page.context["failed"]] == [job.pk]
    assert web.post(f"/integrations/disk/jobs/{job.pk}/retry/").status_code == 302
    assert disk_jobs().get().status == "pending"
    assert sync(deal.client) == "synced"


def test_only_the_director_and_admin_see_the_sync_page(web, everyone):
    for who, status in [("admin", 200), ("director", 200), ("rop.msk", 403), ("manager.msk", 403)]:
        web.force_login(everyone[who])
        assert web.get("/integrations/disk/").status_code == status, who


def test_reconciliation_repairs_a_folder_removed_by_hand(disk, manager_msk):
    deal = make_deal(manager=manager_msk, last_name="Белов", first_name="Андрей", patronymic="Викторович")
    sync(deal.client)
    folder = f"{IVANOV}/ДБ/В работе (не заключенные)/Белов А.В."
    services.build_client().remove(folder, permanently=True)
    assert services.reconcile() == {"checked": 1, "drifted": 1}
    sync(deal.client)
    assert {folder, f"{folder}/Анкета.xlsx"} <= tree(disk)
    assert services.reconcile() == {"checked": 1, "drifted": 0}


def test_folder_listing_and_download_through_the_crm(disk, web, manager_msk, manager_spb, lawyer_msk):
    deal = make_deal(manager=manager_msk)
    sync(deal.client)
    web.force_login(manager_msk)
    listing = web.get(f"/integrations/disk/clients/{deal.client_id}/")
    assert [i.name for i in listing.context["items"]] == ["Анкета.xlsx"]
    assert listing.context["web_url"].startswith("https://disk.yandex.ru/client/disk/")
    got = web.get(f"/integrations/disk/clients/{deal.client_id}/file/?name=Анкета.xlsx")
    assert got.status_code == 200 and b"".join(got.streaming_content)[:2] == b"PK"
    assert AuditEntry.objects.filter(action="view_pd", actor=manager_msk, target_id=str(deal.client_id)).count() == 1
    # Another branch, and a lawyer before the contract: not theirs to open.
    for outsider in (manager_spb, lawyer_msk):
        web.force_login(outsider)
        assert web.get(f"/integrations/disk/clients/{deal.client_id}/").status_code == 404
        assert web.get(f"/integrations/disk/clients/{deal.client_id}/file/?name=Анкета.xlsx").status_code == 404
    # Once contracted, the branch's lawyer opens it.
    deal_move_to_stage(deal=deal, stage="db_prep_court", by=manager_msk, data=contract_data())
    deal_move_to_stage(deal=deal, stage="db_in_court", by=manager_msk, data=court_data())
    sync(deal.client)
    web.force_login(lawyer_msk)
    assert web.get(f"/integrations/disk/clients/{deal.client_id}/").status_code == 200
    assert web.get(f"/integrations/disk/clients/{deal.client_id}/file/?name=../x").status_code == 404


def test_import_of_todays_tree_places_clients_and_runs_twice_safely(disk, manager_msk, head_msk):
    client = services.build_client()
    for path in [
        IVANOV,
        f"{IVANOV}/ДБ",
        f"{IVANOV}/ДБ/В суде",
        f"{IVANOV}/ДБ/В суде/Орлов П.С.",
        f"{IVANOV}/ДБ/Архив (завершенные)",
        f"{IVANOV}/ДБ/Архив (завершенные)/Сомов К.К.",
        f"{IVANOV}/ДУ",
        f"{IVANOV}/ДУ/2025",
        f"{IVANOV}/ДУ/2025/Лисина М.А.",
        f"{IVANOV}/Разное",
        "/Казань - Гарипов Ильдар Ринатович",
        "/Казань - Гарипов Ильдар Ринатович/ДБ",
        "/Казань - Гарипов Ильдар Ринатович/ДБ/Подготовка к АС",
        "/Казань - Гарипов Ильдар Ринатович/ДБ/Подготовка к АС/Хакимов Р.Р.",
        "/Старое",
    ]:
        client.mkdir(path)
    run = disk_import(run=DiskImportRun.objects.create())
    assert (run.status, run.folders_seen, run.clients_created, run.already_known) == ("done", 4, 4, 0)
    from deals.models import Deal

    placed = sorted(Deal.objects.values_list("client__display_name", "service_line", "stage", "manager__full_name"))
    assert placed == [
        ("Лисина М.А.", "du", "du_contracted", "Иванов Сергей Николаевич"),
        ("Орлов П.С.", "db", "db_in_court", "Иванов Сергей Николаевич"),
        ("Сомов К.К.", "db", "db_archive", "Иванов Сергей Николаевич"),
        ("Хакимов Р.Р.", "db", "db_prep_court", "Гарипов Ильдар Ринатович"),
    ]
    assert {p["path"] for p in run.problems} == {
        f"{IVANOV}/Разное",
        "/Старое",
        "/Казань - Гарипов Ильдар Ринатович",  # a manager the CRM did not know: created, needs a password
    }
    again = disk_import(run=DiskImportRun.objects.create())
    assert (again.clients_created, again.already_known) == (0, 4)
    # The mirror leaves imported folders where they are.
    lisina = ClientFolder.objects.get(folder_name="Лисина М.А.")
    assert services.expected_path(lisina.client, lisina) == f"{IVANOV}/ДУ/2025/Лисина М.А."


def test_a_half_done_job_is_continued_from_where_the_folder_is(disk, manager_msk):
    """The folder is made, the questionnaire upload fails, the deal moves on: one folder, in the new place."""
    deal = make_deal(manager=manager_msk, last_name="Белов", first_name="Андрей", patronymic="Викторович")
    for path in (IVANOV, f"{IVANOV}/ДБ", f"{IVANOV}/ДБ/В работе (не заключенные)"):
        services.build_client().mkdir(path)
    calls_before = calls(disk)
    faults(disk, next=[0, 503])  # the folder is made, the upload link fails
    assert sync(deal.client) == "retry"
    assert calls(disk) - calls_before == 2
    assert f"{IVANOV}/ДБ/В работе (не заключенные)/Белов А.В." in tree(disk)
    deal_move_to_stage(deal=deal, stage="db_prep_court", by=manager_msk, data=contract_data())
    sync(deal.client)
    belov = {p for p in tree(disk) if "Белов" in p}
    assert belov == {f"{IVANOV}/ДБ/Подготовка к АС/Белов А.В.", f"{IVANOV}/ДБ/Подготовка к АС/Белов А.В./Анкета.xlsx"}


def test_a_later_success_clears_the_clients_old_failures(disk, manager_msk):
    deal = make_deal(manager=manager_msk)
    faults(disk, next=[507])
    assert sync(deal.client) == "failed"
    assert disk_jobs().get().last_error.startswith("На Диске кончилось место (507)")
    deal_move_to_stage(deal=deal, stage="db_prep_court", by=manager_msk, data=contract_data())
    assert sync(deal.client) == "synced"
    assert set(disk_jobs().values_list("status", flat=True)) == {"done"}
