"""Reads for mail: the user's mailbox, a client's letters and addresses, a letter the user may open."""

from django.http import Http404

from clients.models import Client, ClientDocument
from clients.selectors import client_get_for_user
from crm.models import User
from crm.phones import normalize_email
from integrations.models import MailAttachment, Mailbox, MailMessage
from leads.selectors import lead_get_for_user

RECENT_LETTERS = 30  # the card shows the latest; Yandex.Mail holds the rest


def personal_mailbox(user: User) -> Mailbox | None:
    return Mailbox.objects.filter(kind=Mailbox.Kind.PERSONAL, owner=user).first()


def client_addresses(client: Client) -> list[str]:
    """Where a client may be written to: the card's e-mail and its contact persons'."""
    found = [client.email, *client.contact_persons.exclude(email="").values_list("email", flat=True)]
    return [a for i, a in enumerate(found) if a and normalize_email(a) not in map(normalize_email, found[:i])]


def may_write(user) -> bool:
    """«Написать письмо» is offered only through a mailbox that works; a broken one is mended first."""
    mailbox = personal_mailbox(user)
    return mailbox is not None and mailbox.state == Mailbox.State.OK


def client_letters(client) -> list[MailMessage]:
    """The client's latest letters, newest first, with their files: two queries however many letters."""
    return list(
        MailMessage.objects.filter(client=client)
        .prefetch_related("attachments")
        .order_by("-received_at", "-id")[:RECENT_LETTERS]
    )


def client_letter(client, pk: int) -> MailMessage | None:
    """One of the client's letters (to answer it); None for anyone else's."""
    return MailMessage.objects.filter(client=client, pk=pk).first()


def client_documents(client, *, limit: int) -> list[ClientDocument]:
    """The client's documents to attach to a letter, newest first."""
    return list(client.documents.order_by("-uploaded_at", "-id")[:limit])


def by_thread(letters: list[MailMessage]) -> list[list[MailMessage]]:
    """Letters of one correspondence together, the thread with the newest letter first."""
    threads: dict[str, list[MailMessage]] = {}
    for letter in letters:
        threads.setdefault(letter.thread or letter.message_id, []).append(letter)
    return list(threads.values())


def letter_get_for_user(user, pk) -> MailMessage:
    """A client's letter whose client `user` may open; 404 otherwise (a private or a lead's letter too)."""
    letter = MailMessage.objects.filter(pk=pk, client__isnull=False).select_related("client").first()
    if letter is None:
        raise Http404("Письмо не найдено")
    client_get_for_user(user, letter.client_id)
    return letter


def lead_letters(lead) -> list[MailMessage]:
    """A request's letters (it came by mail, or wrote again), newest first, with their files."""
    return list(
        MailMessage.objects.filter(lead=lead)
        .prefetch_related("attachments")
        .order_by("-received_at", "-id")[:RECENT_LETTERS]
    )


def attachment_get_for_user(user: User, pk) -> MailAttachment:
    """A letter's file `user` may open: a client's letter by the client's rule, a request's by the leads' rule,
    a letter that is nobody's (private mail) only by its mailbox's owner; 404 otherwise."""
    attachment = (
        MailAttachment.objects.select_related("message__mailbox", "document").filter(pk=pk).first()
        if str(pk).isdigit()
        else None
    )
    if attachment is None:
        raise Http404("Вложение не найдено")
    letter = attachment.message
    if letter.client_id:
        client_get_for_user(user, letter.client_id)
    elif letter.lead_id:
        lead_get_for_user(user, letter.lead_id)
    elif not (letter.mailbox_id and letter.mailbox.owner_id == user.pk):
        raise Http404("Вложение не найдено")
    if not (attachment.document_id or attachment.file):
        raise Http404("Вложение не сохранено")
    return attachment
