"""Yandex.Mail in the CRM: mailboxes connected with a check, new letters read by UID on a worker and put on
the right card, letters from the card sent through the user's own mailbox.

Reading: the INBOX is opened read-only (nothing is marked read for the person who also reads it in
Yandex.Mail); UIDs above the last one read are fetched in batches, and `last_uid` moves after each batch,
so a server that goes away mid-way costs a retry, never a letter. A letter is stored once, by its
Message-ID, whichever mailbox it came through (a client writing to the manager and to info@ at once).

Where a letter goes:
- a sender marked non-target: a request in the office manager's queue (lead routing does it), never a
  sales manager's «дело»;
- a client's address (case, Yandex's domains, dots and hyphens in the login): an inbound «Письмо» in the
  responsible manager's «Мои дела» and on the client's history, attachments as the client's documents;
- a sender with an open request: the request's history (and an «Письмо» for whoever has it);
- anyone else writing to a shared mailbox: a new request (source «почта») for the call-centre;
- anyone else writing to a personal mailbox: kept with the mailbox, nobody's «дело» (private mail).
"""

import hashlib
import html
import logging
import mimetypes
import re
from datetime import UTC
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import formataddr, formatdate, getaddresses, make_msgid, parseaddr, parsedate_to_datetime

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from activities.models import Activity
from activities.services import activity_plan
from clients.models import Client, TimelineEntry
from clients.services import document_add, timeline_add
from crm import access, outbox
from crm.errors import DomainError
from crm.models import AuditEntry, OutboxJob, User
from crm.notifications import notify
from crm.phones import email_variants, normalize_email
from crm.secrets import SecretKeyMissing, SecretUnreadable, Vault
from crm.services import audit_record
from deals.models import Deal
from integrations.mail import client as mail
from integrations.mail import selectors
from integrations.models import MailAttachment, Mailbox, MailMessage
from leads.models import Lead
from leads.services import lead_create, non_target_match

logger = logging.getLogger(__name__)

POLL_KIND = "mail.poll"  # outbox: read one mailbox's new letters (key = mailbox id)
SEND_KIND = "mail.send"  # outbox: send one letter (key = message id)
YANDEX = {"imap_host": "imap.yandex.ru", "imap_port": 993, "smtp_host": "smtp.yandex.ru", "smtp_port": 465}

AUTH_HELP = (
    "Яндекс не принял логин или пароль. Нужен пароль приложения для почты (id.yandex.ru → Безопасность → "
    "Пароли приложений → «Почта»), а логин — адрес целиком. Если пароль верный, включите доступ по IMAP: "
    "Почта → Все настройки → Почтовые программы → «С сервера imap.yandex.ru по протоколу IMAP» — "
    "с выключенным IMAP Яндекс отвечает так же, как на неверный пароль."
)


_VAULT = Vault("MAIL_SECRET_KEY", "Не задан ключ шифрования MAIL_SECRET_KEY: подключить почту нельзя.")


def encrypt(password: str) -> str:
    return _VAULT.encrypt(password)


def decrypt(token: str) -> str:
    try:
        return _VAULT.decrypt(token)
    except SecretUnreadable:
        raise outbox.PermanentError(
            "Пароль почты не расшифровывается: ключ MAIL_SECRET_KEY сменился, подключите ящик заново."
        ) from None


def account_of(mailbox: Mailbox, password: str | None = None) -> mail.Account:
    return mail.Account(
        address=mailbox.address,
        password=password if password is not None else decrypt(mailbox.password_encrypted),
        imap_host=mailbox.imap_host,
        imap_port=mailbox.imap_port,
        smtp_host=mailbox.smtp_host,
        smtp_port=mailbox.smtp_port,
        security=mailbox.security,
    )


# --- connecting ----------------------------------------------------------------------------------


class CheckFailed(DomainError):
    pass


def _explain(exc: mail.MailError, server: str) -> str:
    if exc.kind == "auth":
        return AUTH_HELP
    if exc.kind == "network":
        if exc.args and str(exc.args[0]).startswith("TLS"):
            return f"Не удалось установить защищённое соединение с {server}: сертификат сервера не проверен."
        return f"Сервер {server} недоступен или не отвечает. Проверьте адрес и порт и попробуйте позже."
    return f"Сервер {server} отказал: {exc}"[:400]


def check(account: mail.Account) -> str:
    """Log in over IMAP (and find the Sent folder), then over SMTP; the Sent folder's name, or CheckFailed
    with the reason in Russian."""
    for host, field in ((account.imap_host, "imap_host"), (account.smtp_host, "smtp_host")):
        if mail.is_loopback(host):
            if not settings.MAIL_ALLOW_LOOPBACK:
                reason = "Сервер на этой машине разрешён только для тестов (MAIL_ALLOW_LOOPBACK)."
                raise CheckFailed(reason, field=field)
        elif host.lower() not in {h.lower() for h in settings.MAIL_ALLOWED_HOSTS}:
            allowed = ", ".join(settings.MAIL_ALLOWED_HOSTS)
            raise CheckFailed(f"Сервер {host} не разрешён; CRM подключает почту на серверах: {allowed}.", field=field)
    if account.security == Mailbox.Security.PLAIN and not (
        mail.is_loopback(account.imap_host) and mail.is_loopback(account.smtp_host)
    ):
        raise CheckFailed(
            "Без шифрования можно подключить только тестовый сервер на этой машине; для Яндекса — SSL.",
            field="security",
        )
    try:
        with mail.Imap(account) as imap:
            imap.select_inbox()
            sent = imap.sent_folder()
    except mail.MailError as exc:
        raise CheckFailed(_explain(exc, f"IMAP {account.imap_host}:{account.imap_port}"), field="password") from exc
    try:
        mail.smtp_login(account)
    except mail.MailError as exc:
        raise CheckFailed(_explain(exc, f"SMTP {account.smtp_host}:{account.smtp_port}"), field="password") from exc
    return sent


def mailbox_connect(
    *,
    by: User,
    username: str,
    password: str,
    owner: User | None = None,
    kind: str = Mailbox.Kind.PERSONAL,
    imap_host: str = YANDEX["imap_host"],
    imap_port: int = YANDEX["imap_port"],
    smtp_host: str = YANDEX["smtp_host"],
    smtp_port: int = YANDEX["smtp_port"],
    security: str = Mailbox.Security.SSL,
) -> Mailbox:
    """Connect (or reconnect) a mailbox: checked first, saved only when IMAP and SMTP both let us in.
    A personal mailbox is `by`'s own; a shared one is the admin's to connect."""
    if not settings.MAIL_ENABLED:
        raise DomainError("Почта в CRM выключена (MAIL_ENABLED).", code="unavailable")
    if kind == Mailbox.Kind.SHARED and not access.may_manage_shared_mailboxes(by):
        raise DomainError("Общие ящики подключает администратор.", code="forbidden")
    if kind == Mailbox.Kind.PERSONAL:
        owner = by
        if not access.may_connect_mailbox(by):
            raise DomainError("Подключить почту может действующий сотрудник.", code="forbidden")
    address = normalize_email(username)
    if "@" not in address:
        raise DomainError("Логин — адрес почты целиком, например ivanov@yandex.ru.", field="username")
    if security not in Mailbox.Security.values:
        raise DomainError("Выберите шифрование: ssl или plain.", field="security")
    taken = Mailbox.objects.filter(address=address).exclude(kind=kind, owner=owner).first()
    if taken is not None:
        raise DomainError("Этот ящик уже подключён в CRM.", field="username")
    account = mail.Account(address, password, imap_host, int(imap_port), smtp_host, int(smtp_port), security)
    try:
        secret = encrypt(password)
    except SecretKeyMissing as exc:
        raise DomainError(str(exc), code="unavailable") from None
    sent = check(account)
    with transaction.atomic():
        mailbox = (
            Mailbox.objects.select_for_update().filter(kind=kind, owner=owner).first()
            if kind == Mailbox.Kind.PERSONAL
            else Mailbox.objects.select_for_update().filter(address=address).first()
        ) or Mailbox(kind=kind, owner=owner)
        if mailbox.address != address:
            mailbox.uidvalidity, mailbox.last_uid = None, 0
        mailbox.address = address
        mailbox.password_encrypted = secret
        mailbox.imap_host, mailbox.imap_port = imap_host, int(imap_port)
        mailbox.smtp_host, mailbox.smtp_port = smtp_host, int(smtp_port)
        mailbox.security = security
        mailbox.sent_folder = sent
        mailbox.state, mailbox.last_error, mailbox.last_check_at = Mailbox.State.OK, "", timezone.now()
        mailbox.save()
        if mailbox.last_uid == 0 and mailbox.uidvalidity is None:
            # A newly connected mailbox starts from now: its years of old mail are not anyone's «дело».
            outbox.enqueue(POLL_KIND, key=mailbox.pk, reason="start")
    return mailbox


def mailbox_check(*, mailbox: Mailbox) -> str:
    """Log in again with the stored password; '' when IMAP and SMTP both work, else the reason in Russian.

    The result is written on the mailbox, so a fixed password puts a FAILED box back into polling.
    A network blip here also marks the box failed: «Проверить подключение» is asked by a person, who sees
    the reason and tries again."""
    now = timezone.now()
    try:
        sent = check(account_of(mailbox))
    except DomainError as exc:
        reason = exc.message
    except outbox.PermanentError as exc:  # the password no longer decrypts: the key was changed
        reason = str(exc)
    else:
        Mailbox.objects.filter(pk=mailbox.pk).update(
            state=Mailbox.State.OK, last_error="", last_check_at=now, sent_folder=sent or mailbox.sent_folder
        )
        return ""
    Mailbox.objects.filter(pk=mailbox.pk).update(state=Mailbox.State.FAILED, last_error=reason[:500], last_check_at=now)
    return reason


def mailbox_disconnect(*, mailbox: Mailbox) -> None:
    """Forget the mailbox and its password; the letters already on cards stay there."""
    mailbox.delete()


# --- reading ---------------------------------------------------------------------------------------


def poll(mailbox_id: int) -> str:
    """Read the mailbox's new letters; the worker's half of the beat's «check mail»."""
    mailbox = Mailbox.objects.filter(pk=mailbox_id).first()
    if mailbox is None:
        return "no mailbox"
    account = account_of(mailbox)
    stored = 0
    try:
        with mail.Imap(account) as imap:
            uidvalidity, _ = imap.select_inbox()
            if mailbox.uidvalidity is None:
                # First look: remember where the mailbox is now; only letters from here on are read.
                newest = imap.uids_after(0)
                _remember(mailbox, uidvalidity=uidvalidity, last_uid=newest[-1] if newest else 0)
                return "started"
            if uidvalidity != mailbox.uidvalidity:
                # The server renumbered the INBOX: read it again; Message-IDs keep letters from doubling.
                _remember(mailbox, uidvalidity=uidvalidity, last_uid=0)
                mailbox.last_uid = 0
            uids = imap.uids_after(mailbox.last_uid)
            batch = max(1, settings.MAIL_FETCH_BATCH)
            for i in range(0, len(uids), batch):
                for uid, raw in imap.fetch(uids[i : i + batch]):
                    stored += letter_receive(mailbox=mailbox, uid=uid, raw=raw) is not None
                _remember(mailbox, last_uid=uids[min(i + batch, len(uids)) - 1])
    except mail.MailError as exc:
        _failed(mailbox, exc)
    Mailbox.objects.filter(pk=mailbox.pk).update(last_polled_at=timezone.now(), state=Mailbox.State.OK, last_error="")
    return f"{stored} new"


def _remember(mailbox: Mailbox, **fields) -> None:
    Mailbox.objects.filter(pk=mailbox.pk).update(**fields)


def _failed(mailbox: Mailbox, exc: mail.MailError):
    reason = _explain(exc, f"IMAP {mailbox.imap_host}")
    Mailbox.objects.filter(pk=mailbox.pk).update(last_error=reason[:500], last_polled_at=timezone.now())
    if exc.kind == "auth":
        Mailbox.objects.filter(pk=mailbox.pk).update(state=Mailbox.State.FAILED)
        people = [mailbox.owner] if mailbox.owner_id else []
        if people:
            notify(users=people, text=f"Почта {mailbox.address} не подключается: {reason}"[:300], url="")
        raise outbox.PermanentError(reason) from exc
    raise outbox.TransientError(reason) from exc


def _text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return ""
    try:
        text = body.get_content()
    except (LookupError, ValueError):
        text = body.get_payload(decode=True).decode("utf-8", "replace") if body.get_payload(decode=True) else ""
    if body.get_content_type() == "text/html":
        text = html.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"(?is)<(script|style).*?</\1>", " ", text)))
        text = re.sub(r"[ \t]+", " ", text)
    return text.strip()


def _ids(value: str | None) -> list[str]:
    return re.findall(r"<[^<>\s]+>", value or "")


def _sent_at(message: EmailMessage):
    try:
        when = parsedate_to_datetime(message["Date"]) if message["Date"] else None
    except (TypeError, ValueError):
        return None
    if when is not None and when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when


def letter_receive(*, mailbox: Mailbox, uid: int | None, raw: bytes) -> MailMessage | None:
    """Store one letter (once, by Message-ID) and put it where it belongs. None when it was already here."""
    message = message_from_bytes(raw, policy=policy.default)
    message_id = (_ids(str(message["Message-ID"] or "")) or [f"<{hashlib.sha256(raw).hexdigest()}@no-message-id>"])[0]
    if MailMessage.objects.filter(message_id=message_id[:500]).exists():
        return None
    name, address = parseaddr(str(message["From"] or ""))
    address = normalize_email(address)
    references = _ids(str(message["References"] or ""))
    in_reply_to = (_ids(str(message["In-Reply-To"] or "")) or [""])[0]
    parent = (
        MailMessage.objects.filter(message_id__in=[in_reply_to, *references]).exclude(message_id="").first()
        if in_reply_to or references
        else None
    )
    thread = (parent.thread or parent.message_id) if parent else (references[0] if references else message_id)
    try:
        with transaction.atomic():
            letter = MailMessage.objects.create(
                message_id=message_id[:500],
                direction=MailMessage.Direction.INBOUND,
                mailbox=mailbox,
                uid=uid,
                from_address=address[:254],
                from_name=str(name)[:200],
                to=", ".join(a for _, a in getaddresses([str(v) for v in message.get_all("To", [])])),
                cc=", ".join(a for _, a in getaddresses([str(v) for v in message.get_all("Cc", [])])),
                subject=str(message["Subject"] or "")[:500],
                text=_text_of(message),
                sent_at=_sent_at(message),
                in_reply_to=in_reply_to[:500],
                references=" ".join(references),
                thread=thread[:500],
                client=parent.client if parent else None,
                lead=parent.lead if parent else None,
            )
            files = [
                (part.get_filename() or "вложение", part.get_content_type(), part.get_payload(decode=True) or b"")
                for part in message.iter_attachments()
            ]
            _route(letter, mailbox, files)
    except IntegrityError:
        return None  # the same letter through another mailbox, stored a moment ago
    return letter


def client_by_address(address: str) -> Client | None:
    variants = email_variants(address)
    if not variants:
        return None
    return Client.objects.filter(email_norm__in=variants, merged_into__isnull=True).order_by("-id").first()


def _route(letter: MailMessage, mailbox: Mailbox, files: list[tuple[str, str, bytes]]) -> None:
    address = letter.from_address
    if not address or Mailbox.objects.filter(address__in=email_variants(address)).exists():
        return  # our own letter (a copy, a colleague's mailbox): nobody's «дело»
    if non_target_match(phone_norm="", email_norm=address):
        _to_lead(letter, mailbox, files)  # the lead goes to the office manager's queue
        return
    client = letter.client or client_by_address(address)
    if client is not None:
        _to_client(letter, mailbox, client, files)
        return
    open_lead = (
        Lead.objects.filter(
            email_norm__in=email_variants(address),
            status__in=(Lead.Status.NEW, Lead.Status.IN_WORK),
            merged_into__isnull=True,
        )
        .order_by("id")
        .first()
    )
    if open_lead is not None or mailbox.kind == Mailbox.Kind.SHARED:
        # The request's own spelling of the address, so lead_create continues it rather than opening another.
        _to_lead(letter, mailbox, files, email=open_lead.email if open_lead else address)
        return
    _keep_files(letter, files)


def _fits(payload: bytes) -> bool:
    return len(payload) <= settings.MAIL_MAX_ATTACHMENT_MB * 1024 * 1024


def _keep_files(letter: MailMessage, files) -> list[MailAttachment]:
    kept = []
    for filename, content_type, payload in files:
        if not _fits(payload):
            continue
        attachment = MailAttachment(
            message=letter, filename=_safe_name(filename), content_type=content_type[:100], size=len(payload)
        )
        attachment.file.save(_safe_name(filename), ContentFile(payload), save=False)
        attachment.save()
        kept.append(attachment)
    return kept


def _safe_name(filename: str) -> str:
    name = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "_", str(filename)).strip(" .") or "вложение"
    return name[:150]


def _responsible(client: Client, mailbox: Mailbox) -> User | None:
    if client.manager_id and client.manager.is_active:
        return client.manager
    return mailbox.owner if mailbox.owner_id and access.may_open_client(mailbox.owner, client) else None


def _inbound_letter(letter: MailMessage, owner: User, **about) -> Activity:
    """The inbound «Письмо» in `owner`'s «Мои дела», on the client or the request (`about`)."""
    return activity_plan(
        by=owner,
        kind=Activity.Kind.EMAIL,
        planned_at=timezone.now(),
        responsible=owner,
        subject=f"от {letter.from_address}: {letter.subject or '(без темы)'}"[:300],
        direction=Activity.Direction.INBOUND,
        **about,
    )


def _to_client(letter: MailMessage, mailbox: Mailbox, client: Client, files) -> None:
    owner = _responsible(client, mailbox)
    letter.client = client
    if owner is not None:
        letter.activity = _inbound_letter(letter, owner, client=client)
    letter.save(update_fields=["client", "activity"])
    if owner is None:
        # Nobody can file them among the client's documents now: kept with the letter, not lost.
        _keep_files(letter, files)
        return
    for filename, content_type, payload in files:
        if not _fits(payload):
            continue
        upload = ContentFile(payload, name=_safe_name(filename))
        document = document_add(client=client, by=owner, upload=upload, kind="other")
        MailAttachment.objects.create(
            message=letter,
            filename=document.name,
            content_type=content_type[:100],
            size=len(payload),
            document=document,
        )


def _to_lead(letter: MailMessage, mailbox: Mailbox, files, *, email: str = "") -> None:
    text = f"Письмо «{letter.subject or 'без темы'}»: {letter.text}"[:2000]
    try:
        lead, _ = lead_create(
            by=None,
            source=Deal.Source.MAIL,
            email=email or letter.from_address,
            name=letter.from_name,
            message=text,
            idempotency_key=f"mail:{hashlib.sha256(letter.message_id.encode()).hexdigest()[:40]}",
        )
    except DomainError:
        _keep_files(letter, files)
        return
    letter.lead = lead
    if lead.assigned_to_id and not lead.routed_to_office and access.may_own_clients(lead.assigned_to):
        letter.activity = _inbound_letter(letter, lead.assigned_to, lead=lead)
    letter.save(update_fields=["lead", "activity"])
    _keep_files(letter, files)
    if mailbox.kind == Mailbox.Kind.SHARED and not lead.routed_to_office:
        # Those who handle the shared box (the call-centre unless the admin named others) are told.
        people = list(mailbox.handlers.filter(is_active=True)) or list(
            User.objects.filter(access.shared_mailbox_handlers_q())
        )
        notify(
            users=people,
            text=f"Письмо в {mailbox.address} от {letter.from_address}: {letter.subject or 'без темы'}"[:300],
            url=reverse("leads:detail", args=[lead.pk]),
        )


# --- writing ---------------------------------------------------------------------------------------


def attachment_opened(*, attachment: MailAttachment, by: User) -> None:
    """A letter's file is personal data: who opened which is kept."""
    target = attachment.document or attachment
    audit_record(actor=by, action=AuditEntry.Action.VIEW_PERSONAL_DATA, target=target, target_repr=attachment.filename)


def new_message_id(mailbox: Mailbox) -> str:
    return make_msgid(domain=mailbox.address.rpartition("@")[2] or "crm.local")


def poll_all() -> int:
    """The beat's «check mail»: one poll job per working mailbox, unless one is already waiting."""
    if not settings.MAIL_ENABLED:
        return 0
    waiting = set(
        OutboxJob.objects.filter(kind=POLL_KIND, status=OutboxJob.Status.PENDING).values_list("key", flat=True)
    )
    queued = 0
    for pk in Mailbox.objects.exclude(state=Mailbox.State.FAILED).values_list("pk", flat=True):
        if str(pk) not in waiting:
            outbox.enqueue(POLL_KIND, key=pk, reason="beat")
            queued += 1
    return queued


COPY_KIND = "mail.sent_copy"  # outbox: put a sent letter into the mailbox's Sent folder (key = message id)


def letter_compose(
    *,
    by: User,
    client: Client,
    to: list[str],
    subject: str,
    text: str,
    documents=(),
    reply_to: MailMessage | None = None,
) -> MailMessage:
    """«Написать письмо» on a card: written at once, sent by a worker through `by`'s own mailbox."""
    if not settings.MAIL_ENABLED:
        raise DomainError("Почта в CRM выключена.", code="unavailable")
    if not access.may_open_client(by, client):
        raise DomainError("Этот клиент вам не доступен.", code="not_found")
    mailbox = selectors.personal_mailbox(by)
    if mailbox is None or mailbox.state == Mailbox.State.FAILED:
        raise DomainError("Подключите свою почту (профиль → «Почта»), чтобы писать из CRM.", field="to")
    allowed = {normalize_email(a): a for a in selectors.client_addresses(client)}
    recipients = [normalize_email(a) for a in to if a and a.strip()]
    if not recipients:
        raise DomainError("Кому: выберите адрес клиента.", field="to")
    strangers = [a for a in recipients if a not in allowed]
    if strangers:
        raise DomainError(f"Адреса {', '.join(strangers)} нет в карточке клиента.", field="to")
    subject, text = subject.strip(), text.strip()
    if not subject and not text:
        raise DomainError("Напишите тему или текст письма.", field="subject")
    documents = list(documents)
    if any(d.client_id != client.pk for d in documents):
        raise DomainError("Прикрепить можно только документы этого клиента.", field="documents")
    if reply_to is not None and reply_to.client_id != client.pk:
        raise DomainError("Ответ возможен только на письмо этого клиента.", field="reply_to")
    references = [*reply_to.references.split(), reply_to.message_id] if reply_to else []
    with transaction.atomic():
        letter = MailMessage.objects.create(
            message_id=new_message_id(mailbox)[:500],
            direction=MailMessage.Direction.OUTBOUND,
            state=MailMessage.State.PENDING,
            mailbox=mailbox,
            from_address=mailbox.address,
            from_name=by.full_name[:200],
            to=", ".join(allowed[a] for a in recipients),
            subject=subject[:500],
            text=text,
            in_reply_to=reply_to.message_id if reply_to else "",
            references=" ".join(references),
            thread=(reply_to.thread or reply_to.message_id) if reply_to else "",
            client=client,
            author=by,
        )
        if not letter.thread:
            letter.thread = letter.message_id
            letter.save(update_fields=["thread"])
        for document in documents:
            MailAttachment.objects.create(message=letter, filename=document.name, size=document.size, document=document)
        outbox.enqueue(SEND_KIND, key=letter.pk, reason="send")
        audit_record(actor=by, action=AuditEntry.Action.CREATE, target=letter, changes={"to": letter.to})
    return letter


def letter_retry(*, letter: MailMessage, by: User) -> MailMessage:
    """«Повторить» for a letter that could not be sent."""
    if letter.author_id != by.pk and not access.may_open_client(by, letter.client):
        raise DomainError("Это письмо вам не доступно.", code="not_found")
    if letter.state != MailMessage.State.FAILED:
        raise DomainError("Письмо не ждёт повтора.", code="state")
    with transaction.atomic():
        MailMessage.objects.filter(pk=letter.pk).update(state=MailMessage.State.PENDING, error="")
        outbox.enqueue(SEND_KIND, key=letter.pk, reason="retry")
    letter.refresh_from_db()
    return letter


def _as_email(letter: MailMessage) -> EmailMessage:
    message = EmailMessage()
    message["From"] = formataddr((letter.from_name, letter.from_address))
    message["To"] = letter.to
    message["Subject"] = letter.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = letter.message_id
    if letter.in_reply_to:
        message["In-Reply-To"] = letter.in_reply_to
    if letter.references:
        message["References"] = letter.references
    message.set_content(letter.text or "")
    for attachment in letter.attachments.select_related("document"):
        source = attachment.document.file if attachment.document_id else attachment.file
        with source.open("rb") as handle:
            payload = handle.read()
        kind = (mimetypes.guess_type(attachment.filename)[0] or "application/octet-stream").split("/", 1)
        message.add_attachment(payload, maintype=kind[0], subtype=kind[1], filename=attachment.filename)
    return message


def letter_send(letter_id: int) -> str:
    """The worker's half: send through the author's mailbox; then a copy goes to the Sent folder."""
    letter = MailMessage.objects.select_related("mailbox", "client").filter(pk=letter_id).first()
    if letter is None or letter.state != MailMessage.State.PENDING:
        return "nothing to send"
    if letter.mailbox is None:
        _send_failed(letter, "Почтовый ящик отправителя отключён.")
        raise outbox.PermanentError("no mailbox")
    # SMTP wants CRLF line ends (smtplib sends bytes as they are); a bare LF makes one endless line.
    raw = _as_email(letter).as_bytes(policy=policy.SMTP)
    recipients = [a for _, a in getaddresses([letter.to])]
    try:
        mail.smtp_send(account_of(letter.mailbox), sender=letter.mailbox.address, recipients=recipients, raw=raw)
    except mail.MailError as exc:
        reason = _explain(exc, f"SMTP {letter.mailbox.smtp_host}")
        if exc.kind == "network":
            MailMessage.objects.filter(pk=letter.pk).update(error=reason[:500])
            raise outbox.TransientError(reason) from exc
        _send_failed(letter, reason)
        raise outbox.PermanentError(reason) from exc
    with transaction.atomic():
        MailMessage.objects.filter(pk=letter.pk).update(state=MailMessage.State.SENT, sent_at=timezone.now(), error="")
        timeline_add(
            client=letter.client,
            kind=TimelineEntry.Kind.ACTIVITY,
            text=f"Отправлено письмо «{letter.subject or 'без темы'}» на {letter.to}",
            actor=letter.author,
            data={"mail": letter.pk},
        )
        outbox.enqueue(COPY_KIND, key=letter.pk, reason="sent")
    return "sent"


def _send_failed(letter: MailMessage, reason: str) -> None:
    MailMessage.objects.filter(pk=letter.pk).update(state=MailMessage.State.FAILED, error=reason[:500])
    if letter.author_id:
        notify(
            users=[letter.author],
            text=f"Письмо «{letter.subject or 'без темы'}» не отправлено: {reason}"[:300],
            url=reverse("clients:client_detail", args=[letter.client_id]) + "#mail" if letter.client_id else "",
        )


def sent_copy(letter_id: int) -> str:
    """Append the sent letter to the mailbox's Sent folder, so Yandex.Mail shows it too."""
    letter = MailMessage.objects.select_related("mailbox").filter(pk=letter_id).first()
    if letter is None or letter.mailbox is None or letter.state != MailMessage.State.SENT:
        return "nothing to copy"
    raw = _as_email(letter).as_bytes()
    try:
        with mail.Imap(account_of(letter.mailbox)) as imap:
            folder = letter.mailbox.sent_folder or imap.sent_folder()
            if not folder:
                # A mailbox without one (Yandex always has it): made, as a mail program would.
                folder = "Sent"
                imap.create(folder)
                Mailbox.objects.filter(pk=letter.mailbox_id).update(sent_folder=folder)
            imap.append(folder, raw)
    except mail.MailError as exc:
        reason = _explain(exc, f"IMAP {letter.mailbox.imap_host}")
        if exc.kind == "network":
            raise outbox.TransientError(reason) from exc
        raise outbox.PermanentError(reason) from exc
    return f"copied to {folder}"
