"""Demo documents: the rule that «Подготовка к АС» needs the signed contract, and a handful of
incoming papers on the demo deals (one court ruling with a reply deadline and its task).

Idempotent: each part is skipped when its rows exist. The signed contracts themselves are attached
by the demo pipeline (web/demo/pipeline.py) before it moves a deal into that stage.
"""

from datetime import timedelta

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from clients.models import ClientDocument
from crm.models import User
from crm.pipelines import Stage
from crm.workdays import add_working_days
from deals.models import Deal, IncomingDocument, StageDocumentRule
from deals.services import incoming_register

# (stage, the client document it requires)
DOCUMENT_RULES = [(Stage.DB_PREP_COURT, ClientDocument.Kind.SIGNED_CONTRACT)]

# (client's surname, who registers, days ago, sender, kind, summary, scan name, reply in working days, responsible)
INCOMING = [
    ("Данилов", "lawyer.msk", 2, "Арбитражный суд г. Москвы", IncomingDocument.Kind.COURT_RULING,
     "Определение о принятии заявления к производству; отзыв и документы — к заседанию.",
     "Определение о принятии.pdf", 2, "lawyer.msk"),
    ("Данилов", "manager.msk", 6, "ГУФССП России по г. Москве", IncomingDocument.Kind.BAILIFF,
     "Постановление об окончании исполнительного производства.", "Постановление ФССП.pdf", None, None),
    ("Громова", "manager.msk", 4, "ПАО Сбербанк", IncomingDocument.Kind.CREDITOR_LETTER,
     "Ответ на запрос о сумме задолженности по кредитной карте.", "Письмо Сбербанка.pdf", None, None),
    ("Громова", "manager.msk", 1, "Громова С. И.", IncomingDocument.Kind.CLIENT_CERTIFICATE,
     "Справка о доходах за 2025 год.", "Справка о доходах.pdf", None, None),
    ("Осипова", "manager.spb", 3, "Арбитражный суд г. Санкт-Петербурга и Ленинградской области",
     IncomingDocument.Kind.COURT_NOTICE, "Извещение о заседании по делу.", "Извещение.pdf", None, None),
]  # fmt: skip


def scan(name: str) -> ContentFile:
    """A tiny PDF standing in for a scanned paper."""
    return ContentFile(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", name=name)


@transaction.atomic
def seed_stage_document_rules() -> list[str]:
    if StageDocumentRule.objects.exists():
        return []
    StageDocumentRule.objects.bulk_create(
        [StageDocumentRule(stage=stage, document_kind=kind) for stage, kind in DOCUMENT_RULES]
    )
    return [f"документы для стадий: {len(DOCUMENT_RULES)}"]


@transaction.atomic
def seed_incoming() -> list[str]:
    if IncomingDocument.objects.exists():
        return []
    users = {u.username: u for u in User.objects.filter(is_active=True)}
    deals = {d.client.last_name: d for d in Deal.objects.select_related("client").filter(client__manager__isnull=False)}
    today = timezone.localdate()
    created = 0
    for surname, login, days_ago, sender, kind, summary, name, reply_days, responsible in INCOMING:
        deal, by = deals.get(surname), users.get(login)
        if deal is None or by is None:
            continue
        incoming_register(
            deal=deal,
            by=by,
            received_on=today - timedelta(days=days_ago),
            sender=sender,
            kind=kind,
            upload=scan(name),
            summary=summary,
            reply_deadline=add_working_days(today, reply_days) if reply_days else None,
            responsible=users.get(responsible) if responsible else None,
        )
        created += 1
    return [f"входящие документы: {created}"] if created else []
