"""Mail through a real Celery worker and real servers on loopback (pymap, aiosmtpd): the beat's «check mail»
turns a client's letter into one inbound «Письмо», the IMAP server down for a while loses nothing, and a
reply written on the card reaches the SMTP server threaded and lands in the mailbox's Sent folder."""

import time
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest

from activities.models import Activity
from crm.models import OutboxJob
from integrations.mail import services
from integrations.models import Mailbox, MailMessage
from tests.celery_workers import wait_for
from tests.factories import make_client
from tests.standins.mail_fixtures import MANAGER_ADDRESS, MANAGER_PASSWORD, connect_mailbox

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _letter(sender, subject, message_id) -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, MANAGER_ADDRESS, subject
    message["Message-ID"] = message_id
    message.set_content("Здравствуйте!")
    return message.as_bytes()


def test_the_beat_reads_a_letter_and_a_server_down_loses_nothing(mail_worker, manager_msk, imap_server, smtp_server):
    client = make_client(manager=manager_msk, last_name="Почтов", email="pochtov@client.test")
    mailbox = connect_mailbox(manager_msk, imap_server, smtp_server)
    wait_for(
        "first look", lambda: Mailbox.objects.filter(pk=mailbox.pk, uidvalidity__isnull=False).exists(), mail_worker
    )

    imap_server.deliver(MANAGER_ADDRESS, MANAGER_PASSWORD, _letter("pochtov@client.test", "Первое", "<w-1@c.test>"))
    started = time.monotonic()
    services.poll_all()  # what the beat runs every MAIL_POLL_SECONDS
    wait_for("letter read", lambda: Activity.objects.filter(client=client, kind="email").exists(), mail_worker)
    print(f"\nletter in the mailbox to «Письмо» in «Мои дела»: {time.monotonic() - started:.2f} s")

    # The server goes away; the poll fails and is retried with backoff; the letter comes once it is back.
    imap_server.deliver(MANAGER_ADDRESS, MANAGER_PASSWORD, _letter("pochtov@client.test", "Второе", "<w-2@c.test>"))
    imap_server.stop()
    services.poll_all()
    wait_for(
        "the failure kept for a retry",
        lambda: OutboxJob.objects.filter(kind=services.POLL_KIND, status="pending", attempts__gte=1).exists(),
        mail_worker,
    )
    assert "недоступен" in Mailbox.objects.get(pk=mailbox.pk).last_error
    imap_server.start()
    wait_for("second letter read", lambda: MailMessage.objects.filter(message_id="<w-2@c.test>").exists(), mail_worker)
    assert Activity.objects.filter(client=client, kind="email").count() == 2
    assert MailMessage.objects.filter(direction="inbound").count() == 2


def test_a_reply_from_the_card_reaches_smtp_and_sent(mail_worker, manager_msk, imap_server, smtp_server):
    client = make_client(manager=manager_msk, last_name="Ответный", email="otvetny@client.test")
    mailbox = connect_mailbox(manager_msk, imap_server, smtp_server)
    wait_for(
        "first look", lambda: Mailbox.objects.filter(pk=mailbox.pk, uidvalidity__isnull=False).exists(), mail_worker
    )
    imap_server.deliver(MANAGER_ADDRESS, MANAGER_PASSWORD, _letter("otvetny@client.test", "Вопрос", "<q@c.test>"))
    services.poll_all()
    wait_for("question read", lambda: MailMessage.objects.filter(message_id="<q@c.test>").exists(), mail_worker)
    question = MailMessage.objects.get(message_id="<q@c.test>")

    reply = services.letter_compose(
        by=manager_msk, client=client, to=["otvetny@client.test"], subject="Re: Вопрос", text="Ответ", reply_to=question
    )
    wait_for("sent", lambda: MailMessage.objects.filter(pk=reply.pk, state="sent").exists(), mail_worker)
    [captured] = smtp_server.messages
    assert message_from_bytes(captured.data, policy=policy.default)["In-Reply-To"] == "<q@c.test>"
    wait_for(
        "copied to Sent",
        lambda: any(reply.message_id.encode() in m for m in _sent(imap_server)),
        mail_worker,
    )


def _sent(imap_server) -> list[bytes]:
    try:
        return imap_server.messages(MANAGER_ADDRESS, MANAGER_PASSWORD, "Sent")
    except Exception:  # the folder is made with the first copy
        return []
