"""«Письма» on the client's card and «Написать письмо» from it, against the loopback IMAP and SMTP servers:
the letters listed with their files, a letter written and queued, sent by the worker's half, a refused one
retried, and the refusals (another branch, no mailbox) changing nothing."""

from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from clients.models import ClientDocument
from clients.services import document_add
from crm.models import OutboxJob
from crm.outbox import PermanentError
from integrations.mail import services
from integrations.models import Mailbox, MailMessage
from tests.factories import make_client, make_deal
from tests.standins.mail_fixtures import MANAGER_ADDRESS, connect_mailbox

pytestmark = pytest.mark.django_db


@pytest.fixture
def mailbox(mail_on, manager_msk, imap_server, smtp_server):
    return connect_mailbox(manager_msk, imap_server, smtp_server)


@pytest.fixture
def client(manager_msk):
    return make_client(manager=manager_msk, last_name="Письмов", email="pismov@client.test")


def _receive(mailbox, subject, *, sender="Иван Письмов <pismov@client.test>", text="Добрый день", attachment=None):
    message = EmailMessage()
    message["From"] = sender
    message["To"] = MANAGER_ADDRESS
    message["Subject"] = subject
    message["Message-ID"] = f"<{abs(hash((sender, subject)))}@client.test>"
    message.set_content(text)
    if attachment:
        message.add_attachment(attachment[1], maintype="application", subtype="pdf", filename=attachment[0])
    return services.letter_receive(mailbox=mailbox, uid=None, raw=message.as_bytes())


def _card(web, user, client) -> str:
    web.force_login(user)
    response = web.get(reverse("clients:client_detail", args=[client.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _compose_url(client) -> str:
    return reverse("integrations:mail_compose", args=[client.pk])


def _write(web, user, client, **data):
    web.force_login(user)
    return web.post(_compose_url(client), {"to": [client.email], "subject": "Договор", "text": "Во вложении", **data})


def test_the_card_lists_an_inbound_letter_and_its_attachment(web, manager_msk, mailbox, client):
    letter = _receive(mailbox, "Справка о доходах", attachment=("справка.pdf", b"%PDF-1.4 test"))
    [attachment] = letter.attachments.all()
    page = _card(web, manager_msk, client)
    assert 'data-testid="mail-section"' in page and 'id="mail"' in page
    assert "Справка о доходах" in page and "↙" in page and "Иван Письмов &lt;pismov@client.test&gt;" in page
    download = reverse("clients:document_download", args=[client.pk, attachment.document_id])
    assert f'href="{download}" data-testid="letter-file-{attachment.pk}">справка.pdf</a>' in page
    assert 'data-testid="mail-write"' in page and 'data-testid="mail-connect-hint"' not in page
    assert f"{_compose_url(client)}?reply_to={letter.pk}" in page
    # The link is the card's audited download: the client's document as it came.
    response = web.get(download)
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"%PDF-1.4 test"


def test_no_section_while_mail_is_off(web, manager_msk, client):
    page = _card(web, manager_msk, client)
    assert 'data-testid="mail-section"' not in page
    web.force_login(manager_msk)
    assert web.get(_compose_url(client)).status_code == 404


def test_a_written_letter_is_queued_then_sent_and_the_card_says_so(web, manager_msk, mailbox, client, smtp_server):
    document = document_add(client=client, by=manager_msk, upload=ContentFile(b"%PDF", name="договор.pdf"))
    web.force_login(manager_msk)
    form = web.get(_compose_url(client)).content.decode()
    assert 'value="pismov@client.test"' in form and "договор.pdf" in form
    response = _write(web, manager_msk, client, documents=[document.pk])
    assert response.status_code == 302
    assert response.url == reverse("clients:client_detail", args=[client.pk]) + "#mail"
    [letter] = MailMessage.objects.filter(direction=MailMessage.Direction.OUTBOUND)
    assert (letter.state, letter.client, letter.author, letter.mailbox) == ("pending", client, manager_msk, mailbox)
    assert (letter.to, letter.subject, letter.text) == ("pismov@client.test", "Договор", "Во вложении")
    assert [a.document for a in letter.attachments.all()] == [document]
    assert list(OutboxJob.objects.filter(kind=services.SEND_KIND).values_list("key", flat=True)) == [str(letter.pk)]
    page = _card(web, manager_msk, client)
    assert "Письмо отправляется…" in page
    assert f'data-testid="letter-state-{letter.pk}">Отправляется<' in page and "↗" in page

    assert services.letter_send(letter.pk) == "sent"
    [captured] = smtp_server.messages
    sent = message_from_bytes(captured.data, policy=policy.default)
    assert captured.rcpt_tos == ["pismov@client.test"] and sent["Subject"] == "Договор"
    assert [p.get_filename() for p in sent.iter_attachments()] == ["договор.pdf"]
    page = _card(web, manager_msk, client)
    assert f'data-testid="letter-state-{letter.pk}">Отправлено<' in page
    assert f'data-testid="letter-retry-{letter.pk}"' not in page


def test_a_reply_is_prefilled_and_threaded(web, manager_msk, mailbox, client):
    question = _receive(mailbox, "Вопрос по делу", text="Когда суд?\nСпасибо")
    web.force_login(manager_msk)
    form = web.get(f"{_compose_url(client)}?reply_to={question.pk}").content.decode()
    assert 'value="Re: Вопрос по делу"' in form
    assert "&gt; Когда суд?\n&gt; Спасибо" in form and f'name="reply_to" value="{question.pk}"' in form
    response = _write(web, manager_msk, client, subject="Re: Вопрос по делу", text="Через месяц", reply_to=question.pk)
    assert response.status_code == 302
    reply = MailMessage.objects.get(direction=MailMessage.Direction.OUTBOUND)
    assert reply.in_reply_to == question.message_id and reply.thread == question.thread


def test_a_reply_to_another_clients_letter_is_refused(web, manager_msk, mailbox, client):
    other = make_client(manager=manager_msk, last_name="Другой", email="other@client.test", phones=("+79160000001",))
    foreign = _receive(mailbox, "Чужое", sender="other@client.test")
    assert foreign.client == other
    web.force_login(manager_msk)
    assert web.get(f"{_compose_url(client)}?reply_to={foreign.pk}").status_code == 404
    response = _write(web, manager_msk, client, reply_to=foreign.pk)
    assert response.status_code == 400
    assert "Ответ возможен только на письмо этого клиента." in response.content.decode()
    assert not MailMessage.objects.filter(direction=MailMessage.Direction.OUTBOUND).exists()


def test_a_refused_letter_says_so_and_is_retried(web, manager_msk, mailbox, client, smtp_server, settings):
    _write(web, manager_msk, client)
    letter = MailMessage.objects.get(direction=MailMessage.Direction.OUTBOUND)
    smtp_server.refuse_next("554 5.7.1 Message rejected under suspicion of SPAM")
    with pytest.raises(PermanentError):
        services.letter_send(letter.pk)
    page = _card(web, manager_msk, client)
    assert f'data-testid="letter-state-{letter.pk}">Не отправлено<' in page
    assert "Message rejected under suspicion of SPAM" in page
    retry = reverse("integrations:mail_retry", args=[letter.pk])
    assert f'action="{retry}"' in page

    # With mail switched off nothing is queued (the worker would send it anyway).
    settings.MAIL_ENABLED = False
    assert web.post(retry).status_code == 404
    assert OutboxJob.objects.filter(kind=services.SEND_KIND, key=str(letter.pk)).count() == 1
    settings.MAIL_ENABLED = True
    response = web.post(retry)
    assert response.status_code == 302 and response.url.endswith("#mail")
    letter.refresh_from_db()
    assert (letter.state, letter.error) == ("pending", "")
    assert OutboxJob.objects.filter(kind=services.SEND_KIND, key=str(letter.pk)).count() == 2
    assert services.letter_send(letter.pk) == "sent"
    assert len(smtp_server.messages) == 1


def test_another_branchs_manager_gets_404_and_nothing_changes(web, manager_msk, manager_spb, mailbox, client):
    _write(web, manager_msk, client)
    letter = MailMessage.objects.get(direction=MailMessage.Direction.OUTBOUND)
    MailMessage.objects.filter(pk=letter.pk).update(state=MailMessage.State.FAILED, error="Отказ")
    jobs = OutboxJob.objects.count()
    web.force_login(manager_spb)
    assert web.get(_compose_url(client)).status_code == 404
    assert _write(web, manager_spb, client).status_code == 404
    assert web.post(reverse("integrations:mail_retry", args=[letter.pk])).status_code == 404
    assert MailMessage.objects.count() == 1 and OutboxJob.objects.count() == jobs
    letter.refresh_from_db()
    assert (letter.state, letter.error) == ("failed", "Отказ")


def test_without_a_mailbox_the_card_hints_and_the_form_refuses(web, head_msk, manager_msk, mailbox, client):
    page = _card(web, head_msk, client)
    assert 'data-testid="mail-connect-hint"' in page and 'data-testid="mail-write"' not in page
    assert f'<a href="{reverse("integrations:mail_mine")}">подключите свою почту</a>' in page
    response = _write(web, head_msk, client)
    assert response.status_code == 400
    assert "Подключите свою почту" in response.content.decode()
    assert not MailMessage.objects.exists()


def test_a_broken_mailbox_offers_no_button(web, manager_msk, mailbox, client):
    Mailbox.objects.filter(pk=mailbox.pk).update(state=Mailbox.State.FAILED)
    page = _card(web, manager_msk, client)
    assert 'data-testid="mail-connect-hint"' in page and 'data-testid="mail-write"' not in page


def test_the_deal_card_offers_a_letter_to_its_client(web, manager_msk, mailbox, client):
    deal = make_deal(manager=manager_msk, client=client)
    web.force_login(manager_msk)
    page = web.get(reverse("deals:detail", args=[deal.pk])).content.decode()
    assert f'href="{_compose_url(client)}" data-testid="deal-mail-write"' in page


def test_the_card_costs_the_same_however_many_letters(web, manager_msk, mailbox, client, query_count):
    _receive(mailbox, "Первое", attachment=("1.pdf", b"%PDF-1"))
    web.force_login(manager_msk)
    url = reverse("clients:client_detail", args=[client.pk])
    # The card's ten, and the section's three: the letters, their files, the user's mailbox.
    with query_count(13):
        web.get(url)
    for n in range(5):
        _receive(mailbox, f"Ещё {n}", attachment=(f"{n}.pdf", b"%PDF-n"))
        _write(web, manager_msk, client, subject=f"Ответ {n}")
    assert MailMessage.objects.filter(client=client).count() == 11
    assert ClientDocument.objects.filter(client=client).count() == 6
    with query_count(13):
        web.get(url)
