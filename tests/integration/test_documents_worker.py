"""Documents made by real Celery worker processes from the outbox: one on its own and twenty at once
by two workers converting in parallel — none lost, none mixed up, each with its own number and sum."""

import os
import time
import uuid
from decimal import Decimal

import pytest

from crm.models import OutboxJob
from crm.tasks import outbox_redrive_task
from deals.models import Creditor
from deals.services import creditor_add, deal_move_to_stage
from integrations.documents import services
from integrations.models import ClientFolder, GeneratedDocument
from integrations.yandex_disk import services as disk_services
from tests.celery_workers import WORKER_READY_TIMEOUT, Worker, forget_worker_queues, worker_database_url
from tests.documents.helpers import flat, pdf_text, qr_codes
from tests.factories import contract_data, make_deal
from tests.integration import test_disk_worker as disk_worker
from tests.integration.test_disk_worker import tree as disk_tree

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

TIMEOUT = 120

# The Disk stand-in and the mirror's workers, shared with the Disk worker tests.
standin = disk_worker.standin
mirror = disk_worker.mirror


@pytest.fixture
def workers(settings, tmp_path, transactional_db):
    queue = f"test-documents-{uuid.uuid4().hex}"
    settings.DOCUMENTS_QUEUE = queue
    settings.MEDIA_ROOT = tmp_path
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "crm.settings",
        "DATABASE_URL": worker_database_url(),
        "PYTHONUNBUFFERED": "1",
        "DOCUMENTS_QUEUE": queue,
        "MEDIA_ROOT": str(tmp_path),
    }
    started = [Worker(queue, env, name=f"documents{n}") for n in range(2)]
    try:
        for w in started:
            if w.wait_for_line(" ready.", WORKER_READY_TIMEOUT) is None:
                pytest.fail(f"worker did not get ready:\n{w.output}")
        yield started
    finally:
        for w in started:
            w.stop()
            forget_worker_queues(w)


def _wait_ready(ids, workers) -> float:
    started = time.monotonic()
    while time.monotonic() - started < TIMEOUT:
        states = set(GeneratedDocument.objects.filter(pk__in=ids).values_list("status", flat=True))
        if states == {GeneratedDocument.Status.READY}:
            return time.monotonic() - started
        if GeneratedDocument.Status.FAILED in states:
            break
        outbox_redrive_task()  # the beat's minute, sooner: a hint lost to a busy broker is resent
        time.sleep(0.3)
    rows = list(GeneratedDocument.objects.filter(pk__in=ids).values_list("number", "status", "error"))
    output = "\n".join(w.output[-3000:] for w in workers)
    pytest.fail(f"documents not ready in {TIMEOUT} s: {rows}\n{output}")


def test_one_invoice_then_twenty_documents_at_once(workers, manager_msk, firm):
    deal = make_deal(manager=manager_msk, last_name="Воркерова", first_name="Анна", patronymic="Сергеевна")
    deal = deal_move_to_stage(deal=deal, stage="db_prep_court", by=manager_msk, data=contract_data())

    one = services.document_request(deal=deal, by=manager_msk, kind="invoice", amount="120000")
    seconds_one = _wait_ready([one.pk], workers)
    one.refresh_from_db()
    pdf = one.pdf.file.read()
    text = flat(pdf_text(pdf))
    assert "Воркерова Анна Сергеевна" in text and "сто двадцать тысяч рублей 00 копеек" in text
    [code] = qr_codes(pdf)
    assert code.startswith("ST00012|Name=ООО «Решение»|") and "|Sum=12000000|" in code

    # Twenty at once: every other kind once, and sixteen invoices with different sums.
    bank = "АО «Кредитный банк»"
    creditor_add(deal=deal, by=manager_msk, name=bank, kind=Creditor.Kind.BANK, amount=Decimal("99000"))
    others = {
        "contract": "Договор № ДБ-17/2026",
        "act": "Акт №",
        "power_of_attorney": "Доверенность",
        "creditor_list": bank,
    }
    asked_others = {
        kind: services.document_request(deal=deal, by=manager_msk, kind=kind, amount="5000" if kind == "act" else None)
        for kind in others
    }
    sums = [Decimal(1000 + n) for n in range(16)]
    asked = [services.document_request(deal=deal, by=manager_msk, kind="invoice", amount=s) for s in sums]
    seconds_twenty = _wait_ready([d.pk for d in asked] + [d.pk for d in asked_others.values()], workers)
    print(f"\none document: {seconds_one:.1f} s; twenty at once with two workers: {seconds_twenty:.1f} s")

    for kind, expected in others.items():
        document = asked_others[kind]
        document.refresh_from_db()
        text = flat(pdf_text(document.pdf.file.read()))
        assert expected in text and "Воркерова Анна Сергеевна" in text, kind
    numbers = set()
    for document, amount in zip(asked, sums, strict=True):
        document.refresh_from_db()
        text = flat(pdf_text(document.pdf.file.read()))
        figures = f"{amount:,.2f}".replace(",", " ").replace(".", ",")
        assert f"Счёт на оплату № {document.number}" in text and figures in text, document.number
        assert document.docx.name.startswith(f"Счёт № {document.number}")
        numbers.add(document.number)
    assert len(numbers) == 16
    assert not OutboxJob.objects.filter(kind=services.KIND).exclude(status=OutboxJob.Status.DONE).exists()
    # Both workers took a share of the work: the conversions ran side by side.
    assert all("documents.make" in w.output or "outbox_deliver" in w.output for w in workers)


@pytest.fixture
def media_for_workers(monkeypatch, settings, tmp_path):
    """Set before the mirror's workers start, so they read the files this test's services write."""
    monkeypatch.setenv("MEDIA_ROOT", str(tmp_path))
    settings.MEDIA_ROOT = tmp_path


def test_made_documents_land_in_the_clients_disk_folder(
    media_for_workers, mirror, standin, settings, manager_msk, firm
):
    # One worker serves both queues' work here: the documents go on the Disk mirror's queue.
    settings.DOCUMENTS_QUEUE = settings.YANDEX_DISK_QUEUE
    os.environ["DOCUMENTS_QUEUE"] = settings.YANDEX_DISK_QUEUE
    try:
        worker = mirror()
    finally:
        del os.environ["DOCUMENTS_QUEUE"]
    deal = make_deal(manager=manager_msk, last_name="Дисковая", first_name="Вера", patronymic="Павловна")
    deal = deal_move_to_stage(deal=deal, stage="db_prep_court", by=manager_msk, data=contract_data())
    document = services.document_request(deal=deal, by=manager_msk, kind="contract")
    _wait_ready([document.pk], [worker])
    folder = ClientFolder.objects.get(client=deal.client)
    expected = {f"{disk_services.expected_path(deal.client, folder)}/{name}" for name in (
        "Договор № ДБ-17-2026.docx", "Договор № ДБ-17-2026.pdf"
    )}  # fmt: skip
    started = time.monotonic()
    while not expected <= disk_tree(standin):
        if time.monotonic() - started > TIMEOUT:
            pytest.fail(f"not on the Disk: {sorted(expected - disk_tree(standin))}\n{worker.output[-3000:]}")
        outbox_redrive_task()
        time.sleep(0.3)
