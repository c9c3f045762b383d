"""IMAP and SMTP as Yandex.Mail speaks them, behind a small wrapper the services use.

Yandex: IMAP imap.yandex.ru:993 and SMTP smtp.yandex.ru:465, both implicit TLS with a certificate checked;
the login is the full address, the password an app password. With IMAP switched off in the mailbox's
settings Yandex refuses the login exactly like a wrong password. It has no search by Message-ID and refuses
very long UID sets, so new mail is read by UID range and fetched in batches.

`plain` (no TLS) is accepted only for a server on this machine: the test servers.
"""

import contextlib
import imaplib
import ipaddress
import re
import smtplib
import socket
import ssl
import time
from dataclasses import dataclass

from django.conf import settings


class MailError(Exception):
    """Something the mail server or the network did; `kind` says which: auth, network, refused."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class Account:
    address: str
    password: str
    imap_host: str
    imap_port: int
    smtp_host: str
    smtp_port: int
    security: str  # "ssl" or "plain"


LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def tls_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    if settings.MAIL_CA_FILE:
        context.load_verify_locations(settings.MAIL_CA_FILE)
    return context


NETWORK_ERRORS = (OSError, socket.timeout, imaplib.IMAP4.abort, smtplib.SMTPServerDisconnected, EOFError)


class Imap:
    """One IMAP session: `with Imap(account) as imap: ...`."""

    def __init__(self, account: Account):
        self.account = account
        self.conn: imaplib.IMAP4 | None = None

    def __enter__(self) -> "Imap":
        a = self.account
        try:
            if a.security == "ssl":
                self.conn = imaplib.IMAP4_SSL(
                    a.imap_host, a.imap_port, ssl_context=tls_context(), timeout=settings.MAIL_TIMEOUT
                )
            else:
                self.conn = imaplib.IMAP4(a.imap_host, a.imap_port, timeout=settings.MAIL_TIMEOUT)
        except ssl.SSLError as exc:
            raise MailError("network", f"TLS: {exc.reason or exc}") from exc
        except NETWORK_ERRORS as exc:
            raise MailError("network", f"{type(exc).__name__}: {exc}") from exc
        try:
            self.conn.login(a.address, a.password)
        except imaplib.IMAP4.error as exc:
            self._close()
            raise MailError("auth", str(exc)) from exc
        except NETWORK_ERRORS as exc:
            self._close()
            raise MailError("network", f"{type(exc).__name__}: {exc}") from exc
        return self

    def __exit__(self, *exc) -> None:
        if self.conn is not None:
            with contextlib.suppress(Exception):  # the session is over either way
                self.conn.logout()
            self._close()

    def _close(self) -> None:
        try:
            if self.conn is not None:
                self.conn.shutdown()
        except Exception:
            pass
        self.conn = None

    def _ok(self, typ, data, what: str):
        if typ != "OK":
            raise MailError("refused", f"{what}: {data!r}")
        return data

    def select_inbox(self) -> tuple[int | None, int]:
        """Select INBOX read-only (nothing is marked read); returns (UIDVALIDITY, number of messages)."""
        try:
            typ, data = self.conn.select("INBOX", readonly=True)
            self._ok(typ, data, "SELECT INBOX")
            _, validity = self.conn.response("UIDVALIDITY")
        except NETWORK_ERRORS as exc:
            raise MailError("network", f"{type(exc).__name__}: {exc}") from exc
        uidvalidity = int(validity[0]) if validity and validity[0] else None
        return uidvalidity, int(data[0] or 0)

    def uids_after(self, last_uid: int) -> list[int]:
        """UIDs above `last_uid` (`n:*` also answers the last message when there is none newer: filtered)."""
        try:
            typ, data = self.conn.uid("SEARCH", None, f"UID {last_uid + 1}:*")
            self._ok(typ, data, "UID SEARCH")
        except NETWORK_ERRORS as exc:
            raise MailError("network", f"{type(exc).__name__}: {exc}") from exc
        found = [int(u) for u in (data[0] or b"").split()]
        return sorted(u for u in found if u > last_uid)

    def fetch(self, uids: list[int]) -> list[tuple[int, bytes]]:
        """The raw letters of `uids` (one FETCH), as (uid, bytes), in UID order."""
        if not uids:
            return []
        try:
            typ, data = self.conn.uid("FETCH", ",".join(str(u) for u in uids), "(UID BODY.PEEK[])")
            self._ok(typ, data, "UID FETCH")
        except NETWORK_ERRORS as exc:
            raise MailError("network", f"{type(exc).__name__}: {exc}") from exc
        letters = []
        for part in data:
            if isinstance(part, tuple) and len(part) == 2:
                match = re.search(rb"UID (\d+)", part[0])
                if match:
                    letters.append((int(match.group(1)), part[1]))
        return sorted(letters)

    def sent_folder(self) -> str:
        """The folder flagged \\Sent (RFC 6154), else one named like Yandex's «Отправленные»/«Sent»."""
        try:
            typ, data = self.conn.list()
            self._ok(typ, data, "LIST")
        except NETWORK_ERRORS as exc:
            raise MailError("network", f"{type(exc).__name__}: {exc}") from exc
        names = []
        for line in data or []:
            if not isinstance(line, bytes):
                continue
            match = re.match(rb'\((?P<flags>[^)]*)\) (?:"[^"]*"|NIL) (?P<name>.+)$', line)
            if not match:
                continue
            name = match.group("name").strip().strip(b'"').decode("ascii", "replace")
            if b"\\Sent" in match.group("flags"):
                return name
            names.append(name)
        for wanted in ("Sent", "INBOX.Sent", "&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-"):  # the last: «Отправленные», UTF-7
            if wanted in names:
                return wanted
        return ""

    def create(self, folder: str) -> None:
        try:
            typ, data = self.conn.create(folder)
            self._ok(typ, data, f"CREATE {folder}")
        except NETWORK_ERRORS as exc:
            raise MailError("network", f"{type(exc).__name__}: {exc}") from exc

    def append(self, folder: str, raw: bytes) -> None:
        """Put a sent letter into `folder`, marked read, so the mail program shows it too."""
        quoted = f'"{folder}"' if " " in folder else folder
        try:
            typ, data = self.conn.append(quoted, "(\\Seen)", imaplib.Time2Internaldate(time.time()), raw)
            self._ok(typ, data, f"APPEND {folder}")
        except NETWORK_ERRORS as exc:
            raise MailError("network", f"{type(exc).__name__}: {exc}") from exc


def _smtp_open(account: Account) -> smtplib.SMTP:
    """An SMTP session: implicit TLS (Yandex's 465), or plain for a test server on this machine."""
    try:
        if account.security == "ssl":
            return smtplib.SMTP_SSL(
                account.smtp_host, account.smtp_port, context=tls_context(), timeout=settings.MAIL_TIMEOUT
            )
        return smtplib.SMTP(account.smtp_host, account.smtp_port, timeout=settings.MAIL_TIMEOUT)
    except ssl.SSLError as exc:
        raise MailError("network", f"TLS: {exc.reason or exc}") from exc
    except NETWORK_ERRORS as exc:
        raise MailError("network", f"{type(exc).__name__}: {exc}") from exc


def smtp_send(account: Account, *, sender: str, recipients: list[str], raw: bytes) -> None:
    """Send one letter through the account's SMTP server."""
    server = _smtp_open(account)
    try:
        server.login(account.address, account.password)
        server.sendmail(sender, recipients, raw)
    except smtplib.SMTPAuthenticationError as exc:
        raise MailError("auth", str(exc)) from exc
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
        raise MailError("refused", str(exc)) from exc
    except NETWORK_ERRORS as exc:
        raise MailError("network", f"{type(exc).__name__}: {exc}") from exc
    except smtplib.SMTPException as exc:
        raise MailError("refused", str(exc)) from exc
    finally:
        with contextlib.suppress(Exception):
            server.quit()


def smtp_login(account: Account) -> None:
    """Log in to SMTP and leave: the connection check's second half."""
    server = _smtp_open(account)
    try:
        server.login(account.address, account.password)
    except smtplib.SMTPAuthenticationError as exc:
        raise MailError("auth", str(exc)) from exc
    except smtplib.SMTPNotSupportedError as exc:
        raise MailError("refused", str(exc)) from exc
    except NETWORK_ERRORS as exc:
        raise MailError("network", f"{type(exc).__name__}: {exc}") from exc
    finally:
        with contextlib.suppress(Exception):
            server.quit()
