"""Mail against real servers on loopback (pymap for IMAP, aiosmtpd for SMTP), services called as a worker
calls them: connecting with a check, a client's letter becoming one inbound «Письмо» with its attachment,
unknown and non-target senders, a reply from the card with the right threading, and the Sent copy."""

import dataclasses
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from django.core.files.base import ContentFile

from activities.models import Activity
from clients.models import ClientDocument
from clients.services import document_add
from crm.errors import DomainError
from crm.models import AuditEntry, Notification, OutboxJob, User
from crm.outbox import PermanentError, TransientError
from integrations.mail import services
from integrations.models import MailAttachment, Mailbox, MailMessage
from leads.models import Lead
from leads.services import lead_create, lead_mark_non_target
from tests.factories import make_client
from tests.standins.mail_fixtures import MANAGER_ADDRESS, MANAGER_PASSWORD, connect_mailbox

pytestmark = pytest.mark.django_db


def _letter(sender: str, subject: str, *, text="Добрый день", message_id=None, attachment=None, **headers) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = MANAGER_ADDRESS
    message["Subject"] = subject
    message["Message-ID"] = message_id or f"<{abs(hash((sender, subject)))}@client.test>"
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(text)
    if attachment:
        message.add_attachment(attachment[1], maintype="application", subtype="pdf", filename=attachment[0])
    return message.as_bytes()


def test_connect_checks_both_servers_and_explains_a_wrong_password(mail_on, manager_msk, imap_server, smtp_server):
    with pytest.raises(DomainError) as refused:
        connect_mailbox(manager_msk, imap_server, smtp_server, password="wrong")
    assert "пароль приложения" in refused.value.message and "IMAP" in refused.value.message
    assert not Mailbox.objects.exists()
    mailbox = connect_mailbox(manager_msk, imap_server, smtp_server)
    assert mailbox.state == Mailbox.State.OK and mailbox.owner == manager_msk
    assert MANAGER_PASSWORD not in mailbox.password_encrypted
    # Only Yandex's servers (and this machine's, for tests): the CRM connects nowhere else.
    with pytest.raises(DomainError, match="не разрешён"):
        services.check(dataclasses.replace(services.account_of(mailbox), imap_host="10.0.0.5"))
    # Plain text is only for a server on this machine.
    with pytest.raises(DomainError, match="только тестовый сервер"):
        services.check(dataclasses.replace(services.account_of(mailbox), imap_host="imap.yandex.ru"))


def test_a_clients_letter_becomes_one_inbound_letter_with_its_attachment(
    mail_on, manager_msk, imap_server, smtp_server
):
    client = make_client(manager=manager_msk, last_name="Письмов", email="Ivan.Pismov@YA.ru")
    mailbox = connect_mailbox(manager_msk, imap_server, smtp_server)
    # Connected now: the mailbox's old letters are nobody's «дело»; reading starts from here.
    imap_server.deliver(MANAGER_ADDRESS, MANAGER_PASSWORD, _letter("old@client.test", "Старое"))
    assert services.poll(mailbox.pk) == "started"
    raw = _letter(
        "Иван Письмов <ivan-pismov@yandex.ru>",
        "Справка о доходах",
        attachment=("справка.pdf", b"%PDF-1.4 test"),
        message_id="<letter-1@client.test>",
    )
    imap_server.deliver(MANAGER_ADDRESS, MANAGER_PASSWORD, raw)
    assert services.poll(mailbox.pk) == "1 new"
    # Fetched again (the UIDs re-read after the server renumbered, another mailbox): still one.
    Mailbox.objects.filter(pk=mailbox.pk).update(last_uid=0)
    services.poll(mailbox.pk)
    # (Re-read from UID 1 the old letter is stored too, as nobody's: its sender is no client.)
    assert MailMessage.objects.filter(subject="Старое", client=None, activity=None).count() == 1
    [letter] = MailMessage.objects.filter(direction="inbound", client__isnull=False)
    assert letter.client == client and letter.subject == "Справка о доходах" and letter.text == "Добрый день"
    [activity] = Activity.objects.filter(client=client, kind="email")
    assert activity.direction == "inbound" and activity.responsible == manager_msk and activity.status == "planned"
    assert letter.activity == activity
    [document] = ClientDocument.objects.filter(client=client)
    assert document.name == "справка.pdf" and document.file.read() == b"%PDF-1.4 test"
    assert letter.attachments.get().document == document


def test_unknown_sender_to_the_shared_box_is_a_lead_and_to_a_personal_box_is_kept(
    mail_on, manager_msk, manager_spb, admin_user, call_centre, imap_server, smtp_server, web
):
    imap_server.add_user("info@crm.test", "info-password")
    smtp_server.add_user("info@crm.test", "info-password")
    shared = connect_mailbox(
        admin_user,
        imap_server,
        smtp_server,
        kind=Mailbox.Kind.SHARED,
        address="info@crm.test",
        password="info-password",
    )
    personal = connect_mailbox(manager_msk, imap_server, smtp_server)
    services.poll(shared.pk), services.poll(personal.pk)
    imap_server.deliver(
        "info@crm.test",
        "info-password",
        _letter("new@person.test", "Хочу банкротство", attachment=("долги.pdf", b"%PDF debts")),
    )
    imap_server.deliver(MANAGER_ADDRESS, MANAGER_PASSWORD, _letter("friend@person.test", "Обед"))
    services.poll(shared.pk), services.poll(personal.pk)
    [lead] = Lead.objects.all()
    assert lead.source == "mail" and lead.email == "new@person.test" and lead.assigned_to is None
    assert "Хочу банкротство" in lead.message
    private = MailMessage.objects.get(subject="Обед")
    assert private.lead is None and private.client is None and private.activity is None
    # The call-centre handles the shared box when the admin named nobody: told, with the request's link.
    note = Notification.objects.get(user=call_centre)
    assert note.text == "Письмо в info@crm.test от new@person.test: Хочу банкротство"
    assert note.url == f"/leads/{lead.pk}/"

    # The request's card shows the letter; its file opens for whoever sees the request, audited.
    [attachment] = MailAttachment.objects.filter(message__lead=lead)
    web.force_login(call_centre)
    assert "Хочу банкротство" in web.get(f"/leads/{lead.pk}/").content.decode()
    response = web.get(f"/integrations/mail/attachments/{attachment.pk}/")
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"%PDF debts"
    assert AuditEntry.objects.filter(actor=call_centre, action="view_pd", target_repr="долги.pdf").count() == 1
    # A manager who does not see the request, or someone else's private letter: 404, nothing logged.
    web.force_login(manager_spb)
    assert web.get(f"/integrations/mail/attachments/{attachment.pk}/").status_code == 404
    assert not AuditEntry.objects.filter(actor=manager_spb, action="view_pd").exists()


def test_a_non_target_sender_lands_with_the_office_manager(
    mail_on, manager_msk, office_manager, imap_server, smtp_server
):
    spam, _ = lead_create(by=manager_msk, source="mail", email="promo@spam.test", assigned_to=manager_msk)
    lead_mark_non_target(lead=spam, by=manager_msk, reason="Реклама")
    mailbox = connect_mailbox(manager_msk, imap_server, smtp_server)
    services.poll(mailbox.pk)
    imap_server.deliver(MANAGER_ADDRESS, MANAGER_PASSWORD, _letter("promo@spam.test", "Скидки"))
    services.poll(mailbox.pk)
    letter = MailMessage.objects.get(subject="Скидки")
    assert letter.lead.routed_to_office and letter.lead.assigned_to == office_manager
    assert letter.activity is None
    assert not Activity.objects.filter(responsible=manager_msk, kind="email").exists()


def test_a_reply_from_the_card_is_threaded_sent_and_copied_to_sent(mail_on, manager_msk, imap_server, smtp_server):
    client = make_client(manager=manager_msk, last_name="Ответов", email="otvetov@client.test")
    mailbox = connect_mailbox(manager_msk, imap_server, smtp_server)
    services.poll(mailbox.pk)
    imap_server.deliver(
        MANAGER_ADDRESS,
        MANAGER_PASSWORD,
        _letter("otvetov@client.test", "Вопрос", message_id="<q-1@client.test>", References="<q-0@client.test>"),
    )
    services.poll(mailbox.pk)
    question = MailMessage.objects.get(message_id="<q-1@client.test>")
    assert question.thread == "<q-0@client.test>"
    document = document_add(client=client, by=manager_msk, upload=ContentFile(b"%PDF", name="счёт.pdf"))
    with pytest.raises(DomainError, match="нет в карточке"):
        services.letter_compose(by=manager_msk, client=client, to=["stranger@x.test"], subject="Re", text="x")
    reply = services.letter_compose(
        by=manager_msk,
        client=client,
        to=["otvetov@client.test"],
        subject="Re: Вопрос",
        text="Ответ по делу. " * 200,  # longer than one SMTP line: CRLF line ends or the server refuses
        documents=[document],
        reply_to=question,
    )
    assert OutboxJob.objects.filter(kind=services.SEND_KIND, key=str(reply.pk)).exists()
    assert services.letter_send(reply.pk) == "sent"
    [captured] = smtp_server.messages
    sent = message_from_bytes(captured.data, policy=policy.default)
    assert captured.rcpt_tos == ["otvetov@client.test"] and captured.login == MANAGER_ADDRESS
    assert sent["In-Reply-To"] == "<q-1@client.test>"
    assert sent["References"] == "<q-0@client.test> <q-1@client.test>"
    assert [p.get_filename() for p in sent.iter_attachments()] == ["счёт.pdf"]
    assert services.sent_copy(reply.pk).startswith("copied to")
    folder = Mailbox.objects.get(pk=mailbox.pk).sent_folder or "Sent"
    copies = imap_server.messages(MANAGER_ADDRESS, MANAGER_PASSWORD, folder)
    assert any(b"q-1@client.test" in c for c in copies)
    reply.refresh_from_db()
    assert reply.state == "sent" and reply.thread == "<q-0@client.test>"


def test_a_server_down_is_retried_and_nothing_is_lost(mail_on, manager_msk, imap_server, smtp_server):
    client = make_client(manager=manager_msk, last_name="Терпелив", email="terpeliv@client.test")
    mailbox = connect_mailbox(manager_msk, imap_server, smtp_server)
    services.poll(mailbox.pk)
    imap_server.deliver(MANAGER_ADDRESS, MANAGER_PASSWORD, _letter("terpeliv@client.test", "Первое"))
    imap_server.stop()
    with pytest.raises(TransientError):
        services.poll(mailbox.pk)
    imap_server.start()
    imap_server.deliver(MANAGER_ADDRESS, MANAGER_PASSWORD, _letter("terpeliv@client.test", "Второе"))
    assert services.poll(mailbox.pk) == "2 new"
    assert Activity.objects.filter(client=client, kind="email").count() == 2


def test_a_password_that_stops_working_is_told_to_the_owner(mail_on, manager_msk, imap_server, smtp_server):
    mailbox = connect_mailbox(manager_msk, imap_server, smtp_server)
    Mailbox.objects.filter(pk=mailbox.pk).update(password_encrypted=services.encrypt("revoked"))
    with pytest.raises(PermanentError):
        services.poll(mailbox.pk)
    mailbox.refresh_from_db()
    assert mailbox.state == Mailbox.State.FAILED and "пароль приложения" in mailbox.last_error


def test_tls_is_checked_against_the_certificate(mail_on, manager_msk, settings):
    """Yandex's way (implicit TLS on both servers): connects when the server's certificate is trusted,
    refuses with a Russian reason when it is not."""
    from tests.standins.mail_servers import ImapServer, SmtpServer

    users = {MANAGER_ADDRESS: MANAGER_PASSWORD}
    with ImapServer(users, tls="implicit") as imap, SmtpServer(users, tls="implicit") as smtp:
        connect = {
            "by": manager_msk,
            "username": MANAGER_ADDRESS,
            "password": MANAGER_PASSWORD,
            "imap_host": imap.host,
            "imap_port": imap.port,
            "smtp_host": smtp.host,
            "smtp_port": smtp.port,
            "security": "ssl",
        }
        with pytest.raises(DomainError, match="сертификат сервера не проверен"):
            services.mailbox_connect(**connect)
        assert not Mailbox.objects.exists()
        settings.MAIL_CA_FILE = str(imap.ca_path)
        if smtp.ca_path != imap.ca_path:
            # Two throwaway CAs: one bundle holding both, as a system store would.
            bundle = imap.ca_path.parent / "both.pem"
            bundle.write_bytes(imap.ca_path.read_bytes() + smtp.ca_path.read_bytes())
            settings.MAIL_CA_FILE = str(bundle)
        mailbox = services.mailbox_connect(**connect)
        assert mailbox.state == Mailbox.State.OK and mailbox.security == "ssl"


def test_a_clients_file_is_kept_when_nobody_can_file_it(
    mail_on, manager_msk, manager2_msk, admin_user, imap_server, smtp_server, web
):
    """The client's manager has left and the shared box has no owner: the letter's file stays with the letter,
    openable from the card by whoever may open the client."""
    client = make_client(manager=manager2_msk, last_name="Ничейный", email="nicheyny@client.test")
    User.objects.filter(pk=manager2_msk.pk).update(is_active=False)
    imap_server.add_user("info@crm.test", "info-password")
    smtp_server.add_user("info@crm.test", "info-password")
    shared = connect_mailbox(
        admin_user, imap_server, smtp_server, kind="shared", address="info@crm.test", password="info-password"
    )
    services.poll(shared.pk)
    letter = _letter("nicheyny@client.test", "Паспорт", attachment=("паспорт.pdf", b"%PDF passport"))
    imap_server.deliver("info@crm.test", "info-password", letter)
    services.poll(shared.pk)
    stored = MailMessage.objects.get(subject="Паспорт")
    assert stored.client == client and stored.activity is None
    [kept] = stored.attachments.all()
    assert kept.document is None and kept.file.read() == b"%PDF passport"
    web.force_login(admin_user)
    assert f"/integrations/mail/attachments/{kept.pk}/" in web.get(f"/clients/{client.pk}/").content.decode()
