"""The mail stand-ins themselves (pymap for IMAP, aiosmtpd for SMTP): if they do not behave like a mail
server, every Yandex.Mail test built on them proves nothing. No Django, no database."""

import email
import email.policy
import email.utils
import imaplib
import os
import re
import smtplib
import ssl
from email.message import EmailMessage

import pytest

# The fixtures `imap_server` and `smtp_server` come from this module, a plugin of tests/conftest.py.
from tests.standins.mail_fixtures import MANAGER_ADDRESS, MANAGER_PASSWORD
from tests.standins.mail_servers import (
    ImapServer,
    SmtpServer,
    imap_utf7_decode,
    imap_utf7_encode,
    quote_mailbox,
)

ME = (MANAGER_ADDRESS, MANAGER_PASSWORD)


def letter(subject: str = "Коммерческое предложение", *, attachment: bytes | None = None) -> bytes:
    message = EmailMessage()
    message["From"] = "Клиент <client@example.ru>"
    message["To"] = MANAGER_ADDRESS
    message["Subject"] = subject
    message["Message-ID"] = email.utils.make_msgid(domain="example.ru")
    message.set_content("Добрый день!\nFrom the start of a line, and a lone dot:\n.\nСпасибо.")
    if attachment is not None:
        message.add_attachment(attachment, maintype="application", subtype="pdf", filename="счёт № 15.pdf")
    return message.as_bytes(policy=email.policy.SMTP)


def select_responses(client: imaplib.IMAP4, folder: str = "INBOX") -> dict:
    typ, _ = client.select(quote_mailbox(folder))
    assert typ == "OK"
    return client.untagged_responses


# --- IMAP ---------------------------------------------------------------------------------------


def test_imap_login_with_the_right_password_only(imap_server):
    with imap_server.session(*ME) as client:
        assert client.state == "AUTH"
    for address, password in [(MANAGER_ADDRESS, "wrong"), ("nobody@crm.test", MANAGER_PASSWORD)]:
        client = imap_server.connect()
        with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
            client.login(address, password)
        client.shutdown()


def test_add_user_while_running(imap_server):
    imap_server.add_user("head@crm.test", "app-password-2")
    uid = imap_server.deliver("head@crm.test", "app-password-2", letter("Для РОПа"))
    assert uid == 1
    # Mailboxes are apart: the manager's INBOX did not get it.
    assert imap_server.messages(*ME) == []


def test_delivered_message_with_attachment_reads_back_by_uid_byte_for_byte(imap_server):
    pdf = b"%PDF-1.4\n" + bytes(range(256)) * 40
    raw = letter(attachment=pdf)
    uid = imap_server.deliver(*ME, raw)

    with imap_server.session(*ME) as client:
        select_responses(client)
        typ, data = client.uid("FETCH", str(uid), "(UID RFC822.SIZE BODY.PEEK[])")
    assert typ == "OK"
    header, body = data[0]
    # CRLF as on the wire (the launcher's fix of pymap's maildir, see mail_servers), so sizes agree too.
    assert body == raw
    assert int(re.search(rb"RFC822.SIZE (\d+)", header).group(1)) == len(raw)

    parsed = email.message_from_bytes(body, policy=email.policy.default)
    assert parsed["Subject"] == "Коммерческое предложение"
    (part,) = parsed.iter_attachments()
    assert part.get_filename() == "счёт № 15.pdf"
    assert part.get_content() == pdf


def test_uidvalidity_in_select_and_status_and_uids_only_grow(imap_server):
    uids = [imap_server.deliver(*ME, letter(f"Письмо {n}")) for n in range(3)]
    assert uids == sorted(uids) and len(set(uids)) == 3

    status = imap_server.status(*ME)
    assert status["MESSAGES"] == 3 and status["UIDNEXT"] == uids[-1] + 1
    with imap_server.session(*ME) as client:
        responses = select_responses(client)
        assert int(responses["UIDVALIDITY"][0]) == status["UIDVALIDITY"]
        assert int(responses["UIDNEXT"][0]) == status["UIDNEXT"]
        # Expunge the newest: its UID is never handed out again.
        client.uid("STORE", str(uids[-1]), "+FLAGS", "(\\Deleted)")
        client.expunge()

    later = imap_server.deliver(*ME, letter("Письмо после удаления"))
    assert later > uids[-1]
    assert list(imap_server.fetch(*ME)) == [*uids[:2], later]
    assert imap_server.status(*ME)["UIDVALIDITY"] == status["UIDVALIDITY"]


def test_fetch_by_uid_range_in_batches(imap_server):
    uids = [imap_server.deliver(*ME, letter(f"Письмо {n}")) for n in range(5)]
    with imap_server.session(*ME) as client:
        select_responses(client)
        typ, data = client.uid("SEARCH", f"UID {uids[1] + 1}:*")
        assert [int(u) for u in data[0].split()] == uids[2:]
        typ, data = client.uid("FETCH", f"{uids[2]}:{uids[3]}", "(UID BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    fetched = [int(re.search(rb"UID (\d+)", item[0]).group(1)) for item in data if isinstance(item, tuple)]
    assert fetched == uids[2:4]


def test_stop_and_start_on_the_same_port_keeps_mail_uids_and_uidvalidity(imap_server):
    raw = letter(attachment=b"x" * 1000)
    uid = imap_server.deliver(*ME, raw)
    port, before = imap_server.port, imap_server.status(*ME)

    imap_server.stop()
    with pytest.raises(OSError):
        imap_server.connect()
    imap_server.start()

    assert imap_server.port == port
    assert imap_server.status(*ME) == before
    assert imap_server.fetch(*ME) == {uid: raw}


def test_reset_uidvalidity_renumbers_the_folder(imap_server):
    imap_server.deliver(*ME, letter())
    before = imap_server.status(*ME)["UIDVALIDITY"]
    assert imap_server.reset_uidvalidity(MANAGER_ADDRESS) == before + 1
    status = imap_server.status(*ME)
    assert status["UIDVALIDITY"] == before + 1 and status["MESSAGES"] == 1
    assert list(imap_server.fetch(*ME)) == [1]


def test_sent_must_be_created_then_append_works(imap_server):
    """pymap starts with INBOX only (Yandex has Sent from the start); APPEND to a folder that is not there
    answers NO [TRYCREATE]. No SPECIAL-USE either: LIST carries no \\Sent."""
    assert imap_server.folders(*ME) == ["INBOX"]
    with pytest.raises(imaplib.IMAP4.error, match="TRYCREATE"):
        imap_server.deliver(*ME, letter(), folder="Sent")

    imap_server.create_folder(*ME, "Sent")
    sent = letter("Ответ клиенту")
    uid = imap_server.deliver(*ME, sent, folder="Sent", flags="(\\Seen)")
    assert imap_server.messages(*ME, "Sent") == [sent]
    assert imap_server.messages(*ME) == []
    with imap_server.session(*ME) as client:
        select_responses(client, "Sent")
        typ, data = client.uid("FETCH", str(uid), "(FLAGS)")
        assert b"\\Seen" in data[0]
        typ, data = client.list()
        assert b"\\Sent" not in b"".join(data)


def test_cyrillic_folder_names_travel_as_modified_utf7(imap_server):
    assert imap_utf7_encode("Отправленные") == "&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-"
    assert imap_utf7_decode(imap_utf7_encode("Клиенты & сделки/2026")) == "Клиенты & сделки/2026"

    imap_server.create_folder(*ME, "Отправленные")
    imap_server.deliver(*ME, letter(), folder="Отправленные")
    assert sorted(imap_server.folders(*ME)) == ["INBOX", "Отправленные"]
    assert len(imap_server.messages(*ME, "Отправленные")) == 1


def test_idle_reports_a_new_message(imap_server):
    """pymap's maildir notices new mail by polling about once a second, so IDLE answers within ~1 s."""
    client = imap_server.connect()
    client.login(*ME)
    select_responses(client)
    client.send(b"i1 IDLE\r\n")
    assert client.readline().startswith(b"+")
    imap_server.deliver(*ME, letter())
    client.sock.settimeout(10)
    assert client.readline() == b"* 1 EXISTS\r\n"
    client.send(b"DONE\r\n")
    while not client.readline().startswith(b"i1 OK"):
        pass
    client.logout()


@pytest.mark.parametrize("tls", ["implicit", "starttls"])
def test_imap_over_tls_verifies_with_the_generated_ca_only(tls):
    with ImapServer({MANAGER_ADDRESS: MANAGER_PASSWORD}, tls=tls) as server:
        uid = server.deliver(*ME, letter())  # the stand-in's own client trusts server.ca_path
        assert server.fetch(*ME).keys() == {uid}

        trusting = ssl.create_default_context(cafile=str(server.ca_path))
        untrusting = ssl.create_default_context()
        if tls == "implicit":
            with imaplib.IMAP4_SSL(server.host, server.port, ssl_context=trusting, timeout=5) as client:
                client.login(*ME)
            with pytest.raises(ssl.SSLCertVerificationError):
                imaplib.IMAP4_SSL(server.host, server.port, ssl_context=untrusting, timeout=5)
            # Down and up again behind the relay: the open connection is dropped, the mail is kept.
            client = imaplib.IMAP4_SSL(server.host, server.port, ssl_context=trusting, timeout=5)
            client.login(*ME)
            server.stop()
            with pytest.raises((imaplib.IMAP4.abort, OSError)):
                client.noop()
            client.sock.close()
            server.start()
            assert server.fetch(*ME).keys() == {uid}
        else:
            with imaplib.IMAP4(server.host, server.port, timeout=5) as client:
                # pymap counts a loopback client as secure and would take LOGIN in the clear too;
                # Yandex would not, so the CRM must not rely on that.
                assert "STARTTLS" in client.capabilities
                client.starttls(trusting)
                client.login(*ME)
            client = imaplib.IMAP4(server.host, server.port, timeout=5)
            with pytest.raises(ssl.SSLCertVerificationError):
                client.starttls(untrusting)  # the failed handshake closes the socket too


# --- SMTP ---------------------------------------------------------------------------------------


def test_smtp_login_and_sendmail_are_captured_with_the_envelope(smtp_server):
    raw = letter(attachment=b"%PDF-1.4 tiny")
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=5) as client:
        client.login(*ME)
        refused = client.sendmail(MANAGER_ADDRESS, ["client@example.ru", "copy@example.ru"], raw)
    assert refused == {}
    (captured,) = smtp_server.messages
    assert captured.login == MANAGER_ADDRESS
    assert captured.mail_from == MANAGER_ADDRESS
    assert captured.rcpt_tos == ["client@example.ru", "copy@example.ru"]
    assert captured.data == raw  # a line of a single dot survives dot-stuffing


def test_smtp_refuses_a_wrong_password_an_unknown_user_and_no_auth(smtp_server):
    for address, password in [(MANAGER_ADDRESS, "wrong"), ("nobody@crm.test", MANAGER_PASSWORD)]:
        with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=5) as client:
            with pytest.raises(smtplib.SMTPAuthenticationError) as refused:
                client.login(address, password)
            assert refused.value.smtp_code == 535
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=5) as client:
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            client.sendmail(MANAGER_ADDRESS, ["client@example.ru"], letter())
        assert refused.value.smtp_code == 530
    smtp_server.add_user("head@crm.test", "app-password-2")
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=5) as client:
        client.login("head@crm.test", "app-password-2")
    assert smtp_server.messages == []


def test_smtp_sender_must_be_the_logged_in_mailbox(smtp_server):
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=5) as client:
        client.login(*ME)
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            client.sendmail("someone.else@crm.test", ["client@example.ru"], letter())
        assert refused.value.smtp_code == 553
    assert smtp_server.messages == []


def test_smtp_refuse_next_and_restart_on_the_same_port(smtp_server):
    smtp_server.refuse_next("451 4.3.0 Try again later")
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=5) as client:
        client.login(*ME)
        with pytest.raises(smtplib.SMTPDataError) as refused:
            client.sendmail(MANAGER_ADDRESS, ["client@example.ru"], letter())
        assert refused.value.smtp_code == 451
        client.sendmail(MANAGER_ADDRESS, ["client@example.ru"], letter("Второй раз"))
    assert len(smtp_server.messages) == 1

    port = smtp_server.port
    smtp_server.stop()
    with pytest.raises(OSError):
        smtplib.SMTP(smtp_server.host, port, timeout=2)
    smtp_server.start()
    with smtplib.SMTP(smtp_server.host, port, timeout=5) as client:
        client.login(*ME)
        client.sendmail(MANAGER_ADDRESS, ["client@example.ru"], letter("Третий"))
    assert len(smtp_server.messages) == 2


def test_smtps_verifies_with_the_generated_ca_only():
    with SmtpServer({MANAGER_ADDRESS: MANAGER_PASSWORD}, tls="implicit") as server:
        trusting = ssl.create_default_context(cafile=str(server.ca_path))
        with smtplib.SMTP_SSL(server.host, server.port, context=trusting, timeout=5) as client:
            client.login(*ME)
            client.sendmail(MANAGER_ADDRESS, ["client@example.ru"], letter())
        assert len(server.messages) == 1
        with pytest.raises(ssl.SSLCertVerificationError):
            smtplib.SMTP_SSL(server.host, server.port, context=ssl.create_default_context(), timeout=5)


def test_smtp_starttls_is_required_before_auth():
    with SmtpServer({MANAGER_ADDRESS: MANAGER_PASSWORD}, tls="starttls") as server:
        with smtplib.SMTP(server.host, server.port, timeout=5) as client:
            client.ehlo()
            assert client.has_extn("starttls")
            with pytest.raises(smtplib.SMTPException):
                client.login(*ME)
        with smtplib.SMTP(server.host, server.port, timeout=5) as client:
            client.starttls(context=ssl.create_default_context(cafile=str(server.ca_path)))
            client.login(*ME)
            client.sendmail(MANAGER_ADDRESS, ["client@example.ru"], letter())
        assert len(server.messages) == 1


def listening_addresses(port: int) -> set[str]:
    """Local addresses of the sockets listening on this port, from the kernel's own table."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as lines:
            next(lines)
            for line in lines:
                local, state = line.split()[1], line.split()[3]
                address, hex_port = local.split(":")
                if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                    found.add(address)
    return found


@pytest.mark.skipif(not os.path.exists("/proc/net/tcp"), reason="needs Linux's /proc")
def test_servers_listen_on_loopback_only(imap_server, smtp_server):
    loopback = "0100007F"  # 127.0.0.1, as /proc/net/tcp writes it
    assert listening_addresses(imap_server.port) == {loopback}
    assert listening_addresses(smtp_server.port) == {loopback}
