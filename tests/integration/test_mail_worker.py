"""Mail through a real Celery worker and real servers on loopback (pymap, aiosmtpd): the beat's «check mail»
turns a client's letter into one inbound «Письмо», the IMAP server down for a while loses nothing, and a
reply written on the card reaches the SMTP server threaded and lands in the mailbox's Sent folder."""

import os
import time
import uuid
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from cryptography.fernet import Fernet

from activities.models import Activity
from crm.models import OutboxJob
from crm.tasks import outbox_redrive_task
from integrations.mail import services
from integrations.models import Mailbox, MailMessage
from tests.celery_workers import WORKER_READY_TIMEOUT, Worker, forget_worker_queues, worker_database_url
from tests.factories import make_client
from tests.standins.mail_fixtures import MANAGER_ADDRESS, MANAGER_PASSWORD, connect_mailbox

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

KEY = Fernet.generate_key().decode()
TIMEOUT = 60


@pytest.fixture
def worker(settings, transactional_db):
    queue = f"test-mail-{uuid.uuid4().hex}"
    settings.MAIL_ENABLED, settings.MAIL_SECRET_KEY, settings.MAIL_QUEUE = True, KEY, queue
    settings.MAIL_ALLOW_LOOPBACK = True
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "crm.settings",
        "DATABASE_URL": worker_database_url(),
        "PYTHONUNBUFFERED": "1",
        "MAIL_ENABLED": "1",
        "MAIL_SECRET_KEY": KEY,
        "MAIL_QUEUE": queue,
        "OUTBOX_BACKOFF_SECONDS": "1",
        "OUTBOX_BACKOFF_MAX_SECONDS": "2",
    }
    w = Worker(queue, env)
    if w.wait_for_line(" ready.", WORKER_READY_TIMEOUT) is None:
        pytest.fail(f"worker did not get ready:\n{w.output}")
    yield w
    w.stop()
    forget_worker_queues(w)


def _wait(what, check, worker):
    deadline = time.monotonic() + TIMEOUT
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {TIMEOUT} s\n{worker.output[-3000:]}")
        outbox_redrive_task()
        time.sleep(0.3)


def _letter(sender, subject, message_id) -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, MANAGER_ADDRESS, subject
    message["Message-ID"] = message_id
    message.set_content("Здравствуйте!")
    return message.as_bytes()


def test_the_beat_reads_a_letter_and_a_server_down_loses_nothing(worker, manager_msk, imap_server, smtp_server):
    client = make_client(manager=manager_msk, last_name="Почтов", email="pochtov@client.test")
    mailbox = connect_mailbox(manager_msk, imap_server, smtp_server)
    _wait("first look", lambda: Mailbox.objects.filter(pk=mailbox.pk, uidvalidity__isnull=False).exists(), worker)

    imap_server.deliver(MANAGER_ADDRESS, MANAGER_PASSWORD, _letter("pochtov@client.test", "Первое", "<w-1@c.test>"))
    started = time.monotonic()
    services.poll_all()  # what the beat runs every MAIL_POLL_SECONDS
    _wait("letter read", lambda: Activity.objects.filter(client=client, kind="email").exists(), worker)
    print(f"\nletter in the mailbox to «Письмо» in «Мои дела»: {time.monotonic() - started:.2f} s")

    # The server goes away; the poll fails and is retried with backoff; the letter comes once it is back.
    imap_server.deliver(MANAGER_ADDRESS, MANAGER_PASSWORD, _letter("pochtov@client.test", "Второе", "<w-2@c.test>"))
    imap_server.stop()
    services.poll_all()
    _wait(
        "the failure kept for a retry",
        lambda: OutboxJob.objects.filter(kind=services.POLL_KIND, status="pending", attempts__gte=1).exists(),
        worker,
    )
    assert "недоступен" in Mailbox.objects.get(pk=mailbox.pk).last_error
    imap_server.start()
    _wait("second letter read", lambda: MailMessage.objects.filter(message_id="<w-2@c.test>").exists(), worker)
    assert Activity.objects.filter(client=client, kind="email").count() == 2
    assert MailMessage.objects.filter(direction="inbound").count() == 2


def test_a_reply_from_the_card_reaches_smtp_and_sent(worker, manager_msk, imap_server, smtp_server):
    client = make_client(manager=manager_msk, last_name="Ответный", email="otvetny@client.test")
    mailbox = connect_mailbox(manager_msk, imap_server, smtp_server)
    _wait("first look", lambda: Mailbox.objects.filter(pk=mailbox.pk, uidvalidity__isnull=False).exists(), worker)
    imap_server.deliver(MANAGER_ADDRESS, MANAGER_PASSWORD, _letter("otvetny@client.test", "Вопрос", "<q@c.test>"))
    services.poll_all()
    _wait("question read", lambda: MailMessage.objects.filter(message_id="<q@c.test>").exists(), worker)
    question = MailMessage.objects.get(message_id="<q@c.test>")

    reply = services.letter_compose(
        by=manager_msk, client=client, to=["otvetny@client.test"], subject="Re: Вопрос", text="Ответ", reply_to=question
    )
    _wait("sent", lambda: MailMessage.objects.filter(pk=reply.pk, state="sent").exists(), worker)
    [captured] = smtp_server.messages
    assert message_from_bytes(captured.data, policy=policy.default)["In-Reply-To"] == "<q@c.test>"
    _wait(
        "copied to Sent",
        lambda: any(reply.message_id.encode() in m for m in _sent(imap_server)),
        worker,
    )


def _sent(imap_server) -> list[bytes]:
    try:
        return imap_server.messages(MANAGER_ADDRESS, MANAGER_PASSWORD, "Sent")
    except Exception:  # the folder is made with the first copy
        return []
