"""Documents made on real Celery workers: the time for one, and for N asked for at once.

    psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE crm_documents_bench"
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_documents_bench REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python -m bench.documents --documents 20 --concurrency 2

The database is emptied and migrated first; media go to a temporary directory. One worker process
with `--concurrency` prefork children takes the documents queue (as `./run` does). The script prints
the time from the request to «готов» for one invoice, then for N invoices of different sums asked
for in one go, the median request-to-ready time per document, and checks that every PDF carries its
own number and sum.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

QUEUE = f"bench-documents-{uuid.uuid4().hex[:8]}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--timeout", type=int, default=600)
    args = parser.parse_args()

    media = tempfile.mkdtemp(prefix="crm-bench-media-")
    os.environ.update({"DOCUMENTS_QUEUE": QUEUE, "MEDIA_ROOT": media})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from crm import services as crm_services
    from crm.roles import Role
    from crm.tasks import outbox_redrive_task
    from deals.services import deal_move_to_stage
    from integrations.documents import services
    from integrations.models import GeneratedDocument
    from tests.documents.helpers import flat, pdf_text
    from tests.factories import contract_data, make_deal, make_firm

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    branch = crm_services.branch_create(by=None, name="Москва", city="Москва")
    manager = crm_services.user_create(
        by=None, username="bench.m", full_name="Иванов Сергей Николаевич", role=Role.MANAGER, branch=branch,
        password="x" * 12,
    )  # fmt: skip
    make_firm()
    deal = make_deal(manager=manager, last_name="Скоростная")
    deal = deal_move_to_stage(deal=deal, stage="db_prep_court", by=manager, data=contract_data())

    worker = subprocess.Popen(
        [str(Path(sys.executable).with_name("celery")), "-A", "crm", "worker", "-Q", QUEUE, "-n", f"{QUEUE}@bench",
         "--concurrency", str(args.concurrency), "--loglevel", "WARNING", "--without-gossip", "--without-mingle"],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "crm.settings"},
    )  # fmt: skip

    def wait(ids) -> float:
        started = time.monotonic()
        while GeneratedDocument.objects.filter(pk__in=ids).exclude(status="ready").exists():
            if GeneratedDocument.objects.filter(pk__in=ids, status="failed").exists():
                raise SystemExit("a document failed")
            if time.monotonic() - started > args.timeout or worker.poll() is not None:
                raise SystemExit("not ready in time (or the worker died)")
            if int(time.monotonic() - started) % 15 == 14:
                outbox_redrive_task()
            time.sleep(0.1)
        return time.monotonic() - started

    try:
        time.sleep(5)  # the worker's start is not what is measured
        warm = services.document_request(deal=deal, by=manager, kind="invoice", amount="100")
        wait([warm.pk])
        one = services.document_request(deal=deal, by=manager, kind="invoice", amount="120000")
        seconds_one = wait([one.pk])
        sums = [Decimal(1000 + n) for n in range(args.documents)]
        started = time.monotonic()
        asked = [services.document_request(deal=deal, by=manager, kind="invoice", amount=s) for s in sums]
        asked_in = time.monotonic() - started
        seconds_all = wait([d.pk for d in asked])
        rows = GeneratedDocument.objects.filter(pk__in=[d.pk for d in asked]).select_related("pdf")
        each = [(r.ready_at - r.requested_at).total_seconds() for r in rows]
        mixed = 0
        for row in rows:
            text = flat(pdf_text(row.pdf.file.read()))
            figures = f"{row.amount:,.2f}".replace(",", " ").replace(".", ",")
            mixed += not (f"№ {row.number}" in text and figures in text)
        print(f"one invoice, request to ready: {seconds_one:.2f} s")
        print(
            f"{args.documents} invoices at once ({args.concurrency} conversions in parallel): asked in "
            f"{asked_in:.2f} s, all ready {seconds_all:.2f} s after the last request; "
            f"per document request to ready median {statistics.median(each):.2f} s, max {max(each):.2f} s"
        )
        print(f"numbers distinct: {len({r.number for r in rows}) == args.documents}, PDFs with wrong content: {mixed}")
        if mixed:
            raise SystemExit(1)
    finally:
        worker.terminate()
        worker.wait(timeout=30)


if __name__ == "__main__":
    main()
