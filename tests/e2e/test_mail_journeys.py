"""A client's letter through Yandex.Mail as the manager sees it: a real browser, the mail test servers (pymap,
aiosmtpd) on loopback and a real Celery worker on this test's own queue.

The manager connects their mailbox in «Моя почта» (a wrong password is explained and saves nothing); the
client's letter with a PDF becomes an inbound «Письмо» in «Мои дела» and, with its file, the card's
«Письма»; «Ответить» there reaches the SMTP server as exactly one letter threaded to the client's; closing
the «Письмо» with a result takes it off «Мои дела».
"""

from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from activities.models import Activity
from integrations.mail import services
from integrations.models import Mailbox, MailMessage
from tests.celery_workers import wait_for
from tests.e2e.helpers import enter_as
from tests.factories import make_client
from tests.standins.mail_fixtures import MANAGER_ADDRESS, MANAGER_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# The worker on its own queue with the MAIL_* environment: the shared `mail_worker` fixture.

TIMEOUT = 60
CLIENT_ADDRESS = "client.journey@client.test"
CLIENT_MESSAGE_ID = "<journey-1@client.test>"
SUBJECT = "Документы по делу"
PDF_NAME = "справка.pdf"
PDF = b"%PDF-1.4\n% a certificate of income\n%%EOF\n"
ANSWER = "Спасибо, справку получили. Приходите в четверг в 11:00 подписать заявление."


def settle(page: Page) -> None:
    """Let the page's own requests (the bell, htmx) finish before leaving it, so none is aborted."""
    page.wait_for_load_state("networkidle")


def alert(page: Page, text: str) -> Locator:
    return page.get_by_role("alert").filter(has_text=text)


def client_letter() -> bytes:
    message = EmailMessage()
    message["From"] = f"Письмова Анна <{CLIENT_ADDRESS}>"
    message["To"] = MANAGER_ADDRESS
    message["Subject"] = SUBJECT
    message["Message-ID"] = CLIENT_MESSAGE_ID
    message.set_content("Здравствуйте! Высылаю справку о доходах, как вы просили.")
    message.add_attachment(PDF, maintype="application", subtype="pdf", filename=PDF_NAME)
    return message.as_bytes()


def fill_mailbox_form(page: Page, imap_server, smtp_server, password: str) -> None:
    form = page.get_by_test_id("mail-form")
    form.get_by_label("Адрес почты (он же логин)", exact=True).fill(MANAGER_ADDRESS)
    form.get_by_label("Пароль приложения", exact=True).fill(password)
    fold = form.locator("details")
    if fold.get_attribute("open") is None:
        fold.locator("summary", has_text="Дополнительно").click()
    expect(fold).to_have_attribute("open", "")
    form.get_by_label("IMAP-сервер", exact=True).fill(imap_server.host)
    form.get_by_label("IMAP-порт", exact=True).fill(str(imap_server.port))
    form.get_by_label("SMTP-сервер", exact=True).fill(smtp_server.host)
    form.get_by_label("SMTP-порт", exact=True).fill(str(smtp_server.port))
    form.get_by_label("Шифрование", exact=True).select_option(Mailbox.Security.PLAIN)
    form.get_by_role("button", name="Проверить и подключить", exact=True).click()


def test_manager_connects_the_mailbox_reads_the_clients_letter_on_the_card_replies_and_closes_the_letter(
    page: Page, live_server, mail_worker, imap_server, smtp_server, manager_msk, page_problems, screenshot
):
    client = make_client(
        manager=manager_msk, last_name="Письмова", first_name="Анна", patronymic="Викторовна", email=CLIENT_ADDRESS
    )
    enter_as(page, live_server, manager_msk.username)
    settle(page)

    # «Моя почта» from the user menu: a wrong app password is explained, and nothing is saved.
    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("menu-my-mail").click()
    page.wait_for_url(live_server.url + reverse("integrations:mail_mine"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Моя почта")
    expect(page.get_by_test_id("mail-state")).to_have_count(0)
    fill_mailbox_form(page, imap_server, smtp_server, "not-the-app-password")
    error = page.get_by_test_id("mail-error-password")
    expect(error).to_contain_text("Нужен пароль приложения для почты")
    expect(error).to_contain_text("включите доступ по IMAP")
    expect(page.get_by_test_id("mail-state")).to_have_count(0)
    assert not Mailbox.objects.exists()
    screenshot(page, "mail-connect-wrong-password")

    # The right one: checked over IMAP and SMTP, saved, and the mailbox works.
    fill_mailbox_form(page, imap_server, smtp_server, MANAGER_PASSWORD)
    page.wait_for_url(live_server.url + reverse("integrations:mail_mine"))
    expect(alert(page, "Почта подключена")).to_be_visible()
    expect(page.get_by_test_id("mail-state")).to_have_text("Работает")
    expect(page.get_by_test_id("mail-address")).to_have_text(MANAGER_ADDRESS)
    mailbox = Mailbox.objects.get()
    assert (mailbox.owner, mailbox.security, mailbox.imap_port, mailbox.smtp_port) == (
        manager_msk,
        Mailbox.Security.PLAIN,
        imap_server.port,
        smtp_server.port,
    )
    assert services.decrypt(mailbox.password_encrypted) == MANAGER_PASSWORD
    screenshot(page, "mail-connected")
    settle(page)

    # The first look only notes where the mailbox is; the client's letter comes after it, and the beat reads it.
    wait_for(
        "first look", lambda: Mailbox.objects.filter(pk=mailbox.pk, uidvalidity__isnull=False).exists(), mail_worker
    )
    imap_server.deliver(MANAGER_ADDRESS, MANAGER_PASSWORD, client_letter())
    services.poll_all()
    wait_for(
        "letter read",
        lambda: MailMessage.objects.filter(message_id=CLIENT_MESSAGE_ID, activity__isnull=False).exists(),
        mail_worker,
    )
    letter = MailMessage.objects.get(message_id=CLIENT_MESSAGE_ID)
    pismo = letter.activity
    assert (pismo.kind, pismo.direction, pismo.status, pismo.responsible, pismo.client) == (
        Activity.Kind.EMAIL,
        Activity.Direction.INBOUND,
        Activity.Status.PLANNED,
        manager_msk,
        client,
    )

    # «Мои дела»: the inbound «Письмо», and the client's card from it.
    page.get_by_role("navigation").get_by_role("link", name="Мои дела", exact=True).click()
    page.wait_for_url(f"{live_server.url}/my-day/")
    row = page.get_by_test_id("inbound").get_by_test_id("activity")
    expect(row).to_have_count(1)
    expect(row.locator(".badge")).to_have_text("Письмо")
    expect(row).to_contain_text(f"Письмова Анна Викторовна · от {CLIENT_ADDRESS}: {SUBJECT}")
    screenshot(page, "mail-my-day-letter")
    settle(page)
    row.get_by_role("link", name="Письмова Анна Викторовна", exact=True).click()
    page.wait_for_url(f"{live_server.url}/clients/{client.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Письмова Анна Викторовна")
    section = page.get_by_test_id("mail-section")
    received = section.get_by_test_id(f"letter-{letter.pk}")
    expect(received).to_contain_text(f"Письмова Анна <{CLIENT_ADDRESS}> → {MANAGER_ADDRESS}")
    expect(received).to_contain_text(SUBJECT)
    expect(received).to_contain_text("Высылаю справку о доходах")
    [attachment] = letter.attachments.all()
    expect(received.get_by_test_id(f"letter-file-{attachment.pk}")).to_have_text(PDF_NAME)
    expect(section.get_by_test_id("mail-connect-hint")).to_have_count(0)
    screenshot(page, "mail-client-card-letter")
    settle(page)

    # «Ответить»: «Re:», the client's address ticked, the letter quoted; the answer goes with the PDF.
    received.get_by_role("link", name="Ответить", exact=True).click()
    compose = reverse("integrations:mail_compose", args=[client.pk])
    page.wait_for_url(f"{live_server.url}{compose}?reply_to={letter.pk}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Письмо клиенту")
    expect(page.locator(".breadcrumb")).to_contain_text("Ответ на письмо")
    form = page.get_by_test_id("mail-compose-form")
    expect(form.get_by_label("Тема", exact=True)).to_have_value(f"Re: {SUBJECT}")
    expect(form.get_by_label(CLIENT_ADDRESS, exact=True)).to_be_checked()
    text = form.get_by_label("Текст", exact=True)
    quoted = text.input_value()
    assert "Письмова Анна пишет:\n> Здравствуйте! Высылаю справку о доходах, как вы просили." in quoted
    text.fill(ANSWER + quoted)
    form.get_by_label(PDF_NAME).check()
    screenshot(page, "mail-compose-reply")
    form.get_by_role("button", name="Отправить", exact=True).click()
    page.wait_for_url(f"{live_server.url}/clients/{client.pk}/#mail")
    expect(alert(page, "Письмо отправляется")).to_be_visible()
    reply = MailMessage.objects.get(direction=MailMessage.Direction.OUTBOUND)
    expect(page.get_by_test_id("mail-section").get_by_test_id(f"letter-{reply.pk}")).to_contain_text(f"Re: {SUBJECT}")
    settle(page)

    # The worker sends it through the manager's own mailbox: one letter, threaded to the client's.
    wait_for(
        "reply sent",
        lambda: not MailMessage.objects.filter(pk=reply.pk, state=MailMessage.State.PENDING).exists(),
        mail_worker,
    )
    reply.refresh_from_db()
    assert reply.state == MailMessage.State.SENT, f"not sent: {reply.error}"
    [captured] = smtp_server.messages
    sent = message_from_bytes(captured.data, policy=policy.default)
    assert (captured.login, captured.mail_from, captured.rcpt_tos) == (
        MANAGER_ADDRESS,
        MANAGER_ADDRESS,
        [CLIENT_ADDRESS],
    )
    assert (sent["In-Reply-To"], sent["References"], sent["Subject"]) == (
        CLIENT_MESSAGE_ID,
        CLIENT_MESSAGE_ID,
        f"Re: {SUBJECT}",
    )
    assert sent.get_body(preferencelist=("plain",)).get_content().startswith(ANSWER)
    assert [(p.get_filename(), p.get_content()) for p in sent.iter_attachments()] == [(PDF_NAME, PDF)]
    page.reload()
    section = page.get_by_test_id("mail-section")
    expect(section.get_by_test_id(f"letter-state-{reply.pk}")).to_have_text("Отправлено")
    expect(section).to_contain_text(f"Переписка «{SUBJECT}», писем: 2")
    screenshot(page, "mail-client-card-sent")
    # The copy in the mailbox's Sent folder is the worker's last step; the journey ends once it is there.
    wait_for(
        "copied to Sent", lambda: any(reply.message_id.encode() in m for m in sent_folder(imap_server)), mail_worker
    )
    settle(page)

    # The manager closes the «Письмо» with a result on its page; «Мои дела» has no inbound left.
    page.goto("/my-day/")
    row = page.get_by_test_id("inbound").get_by_test_id("activity")
    when = timezone.localtime(pismo.planned_at)
    row.get_by_role("link", name=f"{when:%d.%m %H:%M}", exact=True).click()
    page.wait_for_url(f"{live_server.url}/activities/{pismo.pk}/")
    expect(page.get_by_test_id("activity-title")).to_have_text("Письмо: Письмова Анна Викторовна")
    done = page.get_by_test_id("activity")
    done.locator("summary", has_text="Выполнено").click()
    done.get_by_label("Результат", exact=True).fill("Ответил: ждём в четверг в 11:00 подписать заявление")
    done.get_by_role("button", name="Закрыть дело", exact=True).click()
    page.wait_for_url(f"{live_server.url}/my-day/")
    expect(alert(page, "Дело закрыто")).to_have_text("Дело закрыто.")
    expect(page.get_by_test_id("inbound")).to_contain_text("Входящих нет.")
    expect(page.get_by_test_id("activity").filter(has_text=f"от {CLIENT_ADDRESS}")).to_have_count(0)
    screenshot(page, "mail-my-day-closed")

    pismo.refresh_from_db()
    assert (pismo.status, pismo.result) == (
        Activity.Status.DONE,
        "Ответил: ждём в четверг в 11:00 подписать заявление",
    )
    assert len(smtp_server.messages) == 1
    assert page_problems == []


def sent_folder(imap_server) -> list[bytes]:
    try:
        return imap_server.messages(MANAGER_ADDRESS, MANAGER_PASSWORD, "Sent")
    except Exception:  # the folder is made with the first copy
        return []
