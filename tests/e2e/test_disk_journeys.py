"""The Yandex.Disk mirror seen from the desk: a real browser, a real Celery worker, the Disk stand-in.

The pages run in pytest-django's live server; the outbox rows they write go
after commit to a `celery -A crm worker` subprocess on this test's own queue,
which talks to the in-process stand-in with the real yadisk client. The
browser never reaches the Disk: the CRM reads it server-side.
"""

import io
import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import pytest
from django.template.defaultfilters import filesizeformat
from django.utils import translation
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from clients.services import client_update
from crm.models import AuditEntry, OutboxJob
from deals.models import Deal
from deals.services import deal_move_to_stage
from integrations.models import ClientFolder
from integrations.yandex_disk import services
from tests.e2e.helpers import enter_as
from tests.e2e.test_pipeline_journeys import column_cards, drag
from tests.factories import contract_data, court_data, make_deal
from tests.integration import test_disk_worker as disk_worker
from tests.integration.test_disk_worker import IVANOV, faults, tree

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# The stand-in Disk and the factory of real workers on this test's own queue, shared with the worker tests.
standin = disk_worker.standin
mirror = disk_worker.mirror

MOVE_BUDGET_SECONDS = 15
SETUP_TIMEOUT = 60
QUESTIONNAIRE = "Анкета.xlsx"
WEB_UI = "https://disk.yandex.ru/client/disk"
DISK_FULL = "На Диске кончилось место (507): освободите место или расширьте тариф. [InsufficientStorageError]"


def wait_until(condition, *, worker, what: str, timeout: float = SETUP_TIMEOUT) -> float:
    """Poll `condition` every 0.1 s; the seconds it took, or a failure quoting the worker's output."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            pytest.fail(f"{what}: not within {timeout} s\n{worker.output[-4000:]}")
        time.sleep(0.1)
    return time.monotonic() - started


def no_job_pending() -> bool:
    return not OutboxJob.objects.filter(status=OutboxJob.Status.PENDING).exists()


def folder_made(server, folder: str, worker) -> None:
    """Wait until the worker has made `folder` with the questionnaire and nothing is left in the queue."""
    wait_until(
        lambda: {folder, f"{folder}/{QUESTIONNAIRE}"} <= tree(server) and no_job_pending(),
        worker=worker,
        what=f"folder {folder}",
    )


def questionnaire_name(folder: ClientFolder) -> str:
    """Who the questionnaire in the client's folder is about, read back from the Disk."""
    return load_workbook(services.file_download(folder, QUESTIONNAIRE)).active["B2"].value


def test_moving_a_deal_on_the_board_moves_its_folder_on_the_disk_within_seconds(
    page: Page, live_server, mirror, standin, manager_msk, page_problems
):
    worker = mirror()
    deal = make_deal(manager=manager_msk, last_name="Гаврилов", first_name="Пётр", patronymic="Ильич")
    before = f"{IVANOV}/ДБ/В работе (не заключенные)/Гаврилов П.И."
    after = f"{IVANOV}/ДБ/Подготовка к АС/Гаврилов П.И."
    folder_made(standin, before, worker)

    enter_as(page, live_server, "manager.msk")
    page.goto("/deals/board/db/")
    card = column_cards(page, "db_in_work").filter(has_text="Гаврилов Пётр Ильич")
    expect(card).to_have_count(1)
    with page.expect_response(f"**/deals/{deal.pk}/move/") as answer:
        drag(page, card, page.get_by_test_id("column-db_prep_court").locator(".board-cards"))
    assert answer.value.status == 422  # the contract is asked for first

    modal = page.locator("#move-modal")
    expect(modal).to_be_visible()
    expect(modal.get_by_role("heading")).to_have_text("Гаврилов Пётр Ильич → «Подготовка к АС»")
    modal.get_by_label("Номер договора", exact=True).fill("ДБ-60/2026")
    modal.get_by_label("Дата договора", exact=True).fill("2026-11-02")
    modal.get_by_label("Стоимость услуг, ₽", exact=True).fill("130000")
    assert before in tree(standin) and after not in tree(standin)

    started = time.monotonic()
    with page.expect_response(f"**/deals/{deal.pk}/move/") as answer:
        modal.get_by_role("button", name="Перенести", exact=True).click()
    assert answer.value.status == 200
    wait_until(
        lambda: {after, f"{after}/{QUESTIONNAIRE}"} <= tree(standin) and before not in tree(standin),
        worker=worker,
        what=f"folder moved to {after}",
    )
    seconds = time.monotonic() - started  # from the manager's click, the page's own work included
    print(f"\nboard move → folder moved on the Disk in {seconds:.2f} s")
    assert seconds < MOVE_BUDGET_SECONDS, f"the folder took {seconds:.1f} s to follow the deal"

    expect(modal).to_be_hidden()
    expect(column_cards(page, "db_prep_court").filter(has_text="Гаврилов Пётр Ильич")).to_have_count(1)
    deal.refresh_from_db()
    assert (deal.stage, deal.contract_number, deal.contract_date, deal.fee) == (
        "db_prep_court",
        "ДБ-60/2026",
        date(2026, 11, 2),
        Decimal("130000.00"),
    )
    # Moved, not made afresh: one folder for the client, and the questionnaire went with it.
    assert {p for p in tree(standin) if "Гаврилов" in p} == {after, f"{after}/{QUESTIONNAIRE}"}
    wait_until(no_job_pending, worker=worker, what="the move's job done")  # it records the new place last
    folder = ClientFolder.objects.get(client=deal.client)
    assert (folder.folder_name, folder.synced_path, folder.lease_until) == ("Гаврилов П.И.", after, None)
    assert questionnaire_name(folder) == "Гаврилов Пётр Ильич"
    assert list(OutboxJob.objects.values_list("kind", "reason", "status")) == [
        ("disk.client", "новая сделка", "done"),
        ("disk.client", "смена стадии", "done"),
    ]
    assert page_problems == [f"422 {live_server.url}/deals/{deal.pk}/move/"]


def test_a_lawyer_opens_the_clients_folder_from_the_crm(
    page: Page, live_server, mirror, standin, manager_msk, lawyer_msk, manager_spb, page_problems, screenshot
):
    worker = mirror()
    deal = make_deal(manager=manager_msk, last_name="Кравцова", first_name="Елена", patronymic="Борисовна")
    deal = deal_move_to_stage(deal=deal, stage="db_prep_court", by=manager_msk, data=contract_data())
    deal = deal_move_to_stage(deal=deal, stage="db_in_court", by=manager_msk, data=court_data())
    client = deal.client
    path = f"{IVANOV}/ДБ/В суде/Кравцова Е.Б."
    folder_made(standin, path, worker)
    folder = ClientFolder.objects.get(client=client)
    assert folder.synced_path == path
    questionnaire = services.file_download(folder, QUESTIONNAIRE).read()
    with translation.override("ru"):
        size = filesizeformat(len(questionnaire))

    enter_as(page, live_server, "lawyer.msk")
    with page.expect_response(f"**/integrations/disk/clients/{client.pk}/") as listing_answer:
        page.goto(f"/clients/{client.pk}/")
    assert listing_answer.value.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text("Кравцова Елена Борисовна")
    section = page.locator("#disk")
    expect(section.locator(".card-header")).to_have_text("Папка на Яндекс.Диске")
    listing = section.get_by_test_id("disk-listing")
    expect(listing).to_be_visible()
    expect(listing.get_by_title(path)).to_have_text(path)
    rows = listing.locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.locator("td").nth(0)).to_have_text(QUESTIONNAIRE)
    expect(rows.locator("td").nth(1)).to_have_text(size)
    web_link = listing.get_by_test_id("disk-web-link")
    expect(web_link).to_have_text("Открыть на Диске")
    expect(web_link).to_have_attribute("href", WEB_UI + quote(path))
    expect(web_link).to_have_attribute("target", "_blank")
    screenshot(page, "disk-client-card-folder")

    with page.expect_download() as info:
        rows.get_by_role("link", name=QUESTIONNAIRE, exact=True).click()
    download = info.value
    assert download.suggested_filename == QUESTIONNAIRE
    content = Path(download.path()).read_bytes()
    assert content[:2] == b"PK"
    assert content == questionnaire
    assert load_workbook(io.BytesIO(content)).active["B2"].value == "Кравцова Елена Борисовна"
    views = AuditEntry.objects.filter(action="view_pd")
    assert list(views.values_list("actor", "target_id", "changes")) == [
        (lawyer_msk.pk, str(client.pk), {"disk_file": f"{path}/{QUESTIONNAIRE}"})
    ]

    # Another branch's manager: neither the card nor the folder nor the file.
    enter_as(page, live_server, "manager.spb")
    assert page.goto(f"/clients/{client.pk}/").status == 404
    expect(page.get_by_text("Кравцова")).to_have_count(0)
    assert page.request.get(f"/integrations/disk/clients/{client.pk}/").status == 404
    refused = page.request.get(f"/integrations/disk/clients/{client.pk}/file/?name={quote(QUESTIONNAIRE)}")
    assert refused.status == 404
    assert refused.body()[:2] != b"PK"
    assert views.count() == 1
    # The download itself (a navigation Chromium reports as aborted) is no page problem; the refusal is.
    assert page_problems == [f"404 {live_server.url}/clients/{client.pk}/"]


def test_the_admin_sees_a_permanent_error_and_retries_it(
    page: Page, live_server, mirror, standin, manager_msk, admin_user, page_problems, screenshot
):
    worker = mirror()
    deal = make_deal(manager=manager_msk, last_name="Ершова", first_name="Вера", patronymic="Петровна")
    before = f"{IVANOV}/ДБ/В работе (не заключенные)/Ершова В.П."
    after = f"{IVANOV}/ДБ/В работе (не заключенные)/Ершова-Лис В.П."
    folder_made(standin, before, worker)

    faults(standin, next=[507])  # the Disk is full
    client_update(client=deal.client, by=manager_msk, data={"last_name": "Ершова-Лис"})
    job = OutboxJob.objects.get(reason="переименование")
    wait_until(
        lambda: OutboxJob.objects.filter(pk=job.pk, status=OutboxJob.Status.FAILED).exists(),
        worker=worker,
        what="the rename's job failed",
    )
    job.refresh_from_db()
    assert job.last_error == DISK_FULL
    assert job.attempts == 1  # tried once: a 507 is not retried by itself
    assert {p for p in tree(standin) if "Ершова" in p} == {before, f"{before}/{QUESTIONNAIRE}"}

    enter_as(page, live_server, "admin")
    page.get_by_role("button", name="Ещё", exact=True).click()
    page.get_by_role("link", name="Диск", exact=True).click()
    page.wait_for_url(f"{live_server.url}/integrations/disk/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Яндекс.Диск")
    counts = page.get_by_test_id("disk-counts").locator(".h4")
    expect(counts).to_have_text(["1", "0", "1", "1"])  # folders, pending, failed, done
    section = page.locator("section").filter(has_text="Ошибки, которые не пройдут сами")
    failed = section.get_by_test_id("disk-failed").locator("tbody tr")
    expect(failed).to_have_count(1)
    expect(failed.locator("td").nth(0)).to_contain_text(f"#{job.pk} Папка клиента")
    expect(failed.locator("td").nth(0)).to_contain_text("переименование")
    expect(failed.locator("td").nth(1)).to_have_text("Ершова-Лис Вера Петровна")
    expect(failed.locator("td").nth(2)).to_have_text(DISK_FULL)
    screenshot(page, "disk-admin-failed-job")

    faults(standin, next=[])  # space freed
    failed.get_by_role("button", name="Повторить", exact=True).click()
    page.wait_for_url(f"{live_server.url}/integrations/disk/")
    expect(page.get_by_role("alert").filter(has_text="Задание снова в очереди.")).to_be_visible()
    wait_until(
        lambda: OutboxJob.objects.filter(pk=job.pk, status=OutboxJob.Status.DONE).exists(),
        worker=worker,
        what="the retried job done",
    )
    assert {p for p in tree(standin) if "Ершова" in p} == {after, f"{after}/{QUESTIONNAIRE}"}
    folder = ClientFolder.objects.get(client=deal.client)
    assert (folder.folder_name, folder.synced_path) == ("Ершова-Лис В.П.", after)
    job.refresh_from_db()
    assert (job.status, job.last_error) == ("done", "")
    retries = AuditEntry.objects.filter(actor=admin_user, target_type="crm.outboxjob")
    assert list(retries.values_list("action", "target_id", "changes")) == [
        ("update", str(job.pk), {"status": ["failed", "pending"]})
    ]

    page.reload()
    expect(failed).to_have_count(1)
    expect(failed).to_have_text("Ошибок нет.")
    expect(counts).to_have_text(["1", "0", "0", "2"])
    screenshot(page, "disk-admin-after-retry")
    assert page_problems == []
    assert Deal.objects.get().stage == "db_in_work"
