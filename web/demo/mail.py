"""Demo mail: a correspondence on two of manager.msk's clients, as the mail worker leaves it.

Белов wrote a question with a scan attached (an inbound «Письмо» in the manager's «Мои дела», the scan
among his documents), the manager answered from the card; a letter to Громова could not be sent
(Yandex refused it), so the card shows «Не отправлено» with «Повторить». No mailbox is connected in the
demo (there is no mail server to check it against): the card offers to connect one. The section shows
when the CRM runs with MAIL_ENABLED=1.

Idempotent: skipped once any letter exists.
"""

from datetime import timedelta

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from activities.models import Activity
from activities.services import activity_plan
from clients.models import Client
from clients.services import client_update, document_add
from crm.models import User
from integrations.models import MailAttachment, MailMessage

MANAGER_DOMAIN = "crm-demo.test"


@transaction.atomic
def seed_mail() -> list[str]:
    if MailMessage.objects.exists():
        return []
    manager = User.objects.filter(username="manager.msk").first()
    belov = Client.objects.filter(manager=manager, last_name="Белов").first()
    gromova = Client.objects.filter(manager=manager, last_name="Громова").first()
    if manager is None or belov is None or gromova is None:
        return []
    for client, address in ((belov, "a.belov@yandex.ru"), (gromova, "s.gromova@mail.test")):
        if not client.email:
            client_update(client=client, by=manager, data={"email": address})
    now = timezone.now()
    mine = f"manager.msk@{MANAGER_DOMAIN}"

    asked = now - timedelta(hours=3)
    question = MailMessage.objects.create(
        message_id="<demo-question-1@yandex.ru>",
        direction=MailMessage.Direction.INBOUND,
        from_address="a.belov@yandex.ru",
        from_name="Андрей Белов",
        to=mine,
        subject="Справка 2-НДФЛ",
        text="Добрый день! Прикладываю справку о доходах, которую вы просили. Что ещё нужно для суда?",
        sent_at=asked,
        received_at=asked,
        thread="<demo-question-1@yandex.ru>",
        client=belov,
    )
    scan = document_add(
        client=belov, by=manager, upload=ContentFile(b"%PDF-1.4 demo scan\n", name="Справка 2-НДФЛ.pdf"), kind="scan"
    )
    MailAttachment.objects.create(
        message=question, filename=scan.name, content_type="application/pdf", size=scan.size, document=scan
    )
    question.activity = activity_plan(
        by=manager,
        kind=Activity.Kind.EMAIL,
        planned_at=asked,
        responsible=manager,
        client=belov,
        subject="от a.belov@yandex.ru: Справка 2-НДФЛ",
        direction=Activity.Direction.INBOUND,
    )
    question.save(update_fields=["activity"])

    MailMessage.objects.create(
        message_id=f"<demo-answer-1@{MANAGER_DOMAIN}>",
        direction=MailMessage.Direction.OUTBOUND,
        state=MailMessage.State.SENT,
        from_address=mine,
        from_name=manager.full_name,
        to="a.belov@yandex.ru",
        subject="Re: Справка 2-НДФЛ",
        text="Андрей Викторович, спасибо, справка получена. Осталась выписка из банка за три года.",
        sent_at=asked + timedelta(minutes=40),
        received_at=asked + timedelta(minutes=40),
        in_reply_to=question.message_id,
        references=question.message_id,
        thread=question.message_id,
        client=belov,
        author=manager,
    )
    MailMessage.objects.create(
        message_id=f"<demo-failed-1@{MANAGER_DOMAIN}>",
        direction=MailMessage.Direction.OUTBOUND,
        state=MailMessage.State.FAILED,
        from_address=mine,
        from_name=manager.full_name,
        to="s.gromova@mail.test",
        subject="Документы для заявления",
        text="Светлана Игоревна, направляю список документов для заявления о банкротстве.",
        received_at=now - timedelta(hours=1),
        thread=f"<demo-failed-1@{MANAGER_DOMAIN}>",
        client=gromova,
        author=manager,
        error="Сервер SMTP smtp.yandex.ru отказал: 554 5.7.1 Message rejected under suspicion of SPAM",
    )
    return ["письма: вопрос клиента со справкой, ответ, неотправленное"]
