"""Real mail servers on loopback for the Yandex.Mail tests (issue 16): IMAP by pymap, SMTP by aiosmtpd.

`ImapServer` runs pymap's `maildir` backend in a subprocess: mail lives on disk in a temp folder, so
`stop()` and `start()` again (same port) keep every message, UID and UIDVALIDITY, which is how a test
takes the server down for a while. Users are pymap's passwd/shadow files in that folder, re-read on every
login, so `add_user()` works while the server runs. The `dict` backend was not used: it keeps mail in
memory (lost on restart) and knows one demo user only.

What pymap's maildir backend is like, next to Yandex:
- only INBOX exists at first; "Sent" (and any other folder) must be CREATEd. APPEND to a missing folder
  answers NO [TRYCREATE], as RFC 3501 asks. There is no SPECIAL-USE: LIST shows no \\Sent flag.
- the hierarchy delimiter is "/" (Yandex answers "|"); folder names travel as modified UTF-7.
- UIDVALIDITY is chosen when a folder is first opened and kept on disk; UIDNEXT grows, UIDs never repeat.
- no implicit TLS in pymap itself: `tls="implicit"` (like imap.yandex.ru:993) puts a TLS-terminating relay
  of this process in front of it; `tls="starttls"` gives pymap the certificate
  (note: pymap counts any loopback client as secure and takes LOGIN in the clear even then).

`SmtpServer` is an aiosmtpd Controller in a thread: AUTH PLAIN/LOGIN against its own users (535 for
anyone else), AUTH required before MAIL, and by default MAIL FROM must be the authenticated login
(Yandex refuses other senders with 553). Each accepted message is kept in `messages`. `tls="implicit"`
is SMTPS like smtp.yandex.ru:465; `tls="starttls"` is port 587's way.

Certificates: `make_certificates()` writes a throwaway CA and a server certificate for localhost and
127.0.0.1 signed by it; the server exposes `ca_path` for the client side of the test.
"""

import asyncio
import atexit
import base64
import contextlib
import datetime
import imaplib
import ipaddress
import os
import re
import secrets
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from dataclasses import dataclass
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

HOST = "127.0.0.1"
START_TIMEOUT = 20


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen | None = None, timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with code {process.returncode}")
        try:
            with socket.create_connection((HOST, port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {HOST}:{port}")


# --- certificates -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Certificates:
    ca_path: Path  # what the client trusts
    cert_path: Path  # the server's certificate (signed by the CA)
    key_path: Path  # the server's private key

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_path, self.key_path)
        return context

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_path))


def make_certificates(directory: Path, hostnames=("localhost",), ips=("127.0.0.1",)) -> Certificates:
    """A CA and a server certificate it signs. A separate CA (rather than one self-signed leaf) keeps
    the chain valid under OpenSSL's strict checks (Python 3.13 turns VERIFY_X509_STRICT on)."""
    now = datetime.datetime.now(datetime.UTC)
    validity = (now - datetime.timedelta(hours=1), now + datetime.timedelta(days=2))

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "CRM test mail CA")])
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(validity[0])
        .not_valid_after(validity[1])
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    key = ec.generate_private_key(ec.SECP256R1())
    names = [x509.DNSName(h) for h in hostnames] + [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ips]
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostnames[0])]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(validity[0])
        .not_valid_after(validity[1])
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    directory.mkdir(parents=True, exist_ok=True)
    paths = Certificates(directory / "ca.pem", directory / "server.pem", directory / "server.key")
    paths.ca_path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    paths.cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths.key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return paths


# --- IMAP folder names: modified UTF-7 (RFC 3501 §5.1.3) ----------------------------------------


def imap_utf7_encode(name: str) -> str:
    """«Отправленные» → "&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-"; imaplib sends names as they are given."""
    out, pending = [], []

    def flush():
        if pending:
            raw = "".join(pending).encode("utf-16-be")
            out.append("&" + base64.b64encode(raw).decode().rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    return "".join(out)


def imap_utf7_decode(name: str) -> str:
    def decode(match):
        chunk = match.group(1)
        if not chunk:
            return "&"
        chunk = chunk.replace(",", "/")
        return base64.b64decode(chunk + "=" * (-len(chunk) % 4)).decode("utf-16-be")

    return re.sub(r"&([^-]*)-", decode, name)


def quote_mailbox(name: str) -> str:
    encoded = imap_utf7_encode(name)
    return '"' + encoded.replace("\\", "\\\\").replace('"', '\\"') + '"'


# --- IMAP ---------------------------------------------------------------------------------------


def _hash_password(password: str) -> str:
    """The shadow file holds a hash in the format pymap verifies with: its built-in PBKDF2, or passlib's
    when passlib is installed (pymap switches on its presence). Few rounds keep each login fast."""
    try:
        from passlib.hash import pbkdf2_sha256
    except ImportError:
        from pysasl.hashing import BuiltinHash

        return BuiltinHash(rounds=1000).hash(password)
    return pbkdf2_sha256.using(rounds=1000).hash(password)


def _passwd_field(value: str) -> str:
    return value.replace(":", "\\:")


class _TlsRelay:
    """Implicit TLS in front of a plain server: pymap has only STARTTLS, Yandex's port 993 is TLS from the
    first byte. An asyncio loop in a thread of this process accepts TLS and pipes bytes to the backend."""

    def __init__(self, port: int, backend_port: int, context: ssl.SSLContext):
        self.port, self.backend_port, self.context = port, backend_port, context
        self.loop = None
        self.thread = None
        self._server = None
        self._writers = set()

    def start(self) -> None:
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        failure = []

        def run():
            asyncio.set_event_loop(self.loop)
            try:
                self._server = self.loop.run_until_complete(
                    asyncio.start_server(self._serve, HOST, self.port, ssl=self.context)
                )
            except Exception as exc:  # raised again by start() below
                failure.append(exc)
                self.loop.close()
                return
            finally:
                ready.set()
            self.loop.run_forever()
            self.loop.close()

        self.thread = threading.Thread(target=run, daemon=True, name="imap-tls-relay")
        self.thread.start()
        ready.wait(START_TIMEOUT)
        if failure:
            self.thread = None
            raise failure[0]

    def stop(self) -> None:
        if self.thread is not None:
            # Clients see their connections closed, as when a real server goes down.
            asyncio.run_coroutine_threadsafe(self._shutdown(), self.loop).result(10)
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
            self.thread = None

    async def _shutdown(self) -> None:
        self._server.close()
        # abort(), not close(): a TLS close waits for the client's close_notify, which a client that is
        # not reading never sends. With their sockets gone the pipes end by themselves.
        for writer in list(self._writers):
            writer.transport.abort()
        tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        if tasks:
            await asyncio.wait(tasks, timeout=5)
        await self._server.wait_closed()

    async def _serve(self, client_reader, client_writer):
        try:
            backend_reader, backend_writer = await asyncio.open_connection(HOST, self.backend_port)
        except OSError:
            client_writer.close()
            return
        self._writers |= {client_writer, backend_writer}

        async def pipe(reader, writer):
            try:
                while data := await reader.read(65536):
                    writer.write(data)
                    await writer.drain()
            except (OSError, ssl.SSLError, asyncio.CancelledError):
                pass
            finally:
                self._writers.discard(writer)
                with contextlib.suppress(Exception):
                    writer.close()

        with contextlib.suppress(asyncio.CancelledError):
            # Python 3.11's start_server logs a cancelled connection task as an error.
            await asyncio.gather(pipe(client_reader, backend_writer), pipe(backend_reader, client_writer))


# pymap's maildir keeps messages through Python's `mailbox`, which stores them with LF line ends, and
# FETCH hands them out as stored: bare LF, against RFC 3501 and unlike Yandex. This launcher gives
# pymap's parser CRLF back before it serves a message, so BODY[], RFC822.SIZE and sections are all CRLF.
_PYMAP_MAIN = """
import re
from pymap.backend.maildir import mailbox
from pymap.main import main


class CrlfMessageContent(mailbox.MessageContent):
    @classmethod
    def parse(cls, data):
        return super().parse(re.sub(rb"\\r?\\n", b"\\r\\n", data))


mailbox.MessageContent = CrlfMessageContent
main()
"""


# A test run that ends without stopping its servers (an error between start and stop, Ctrl-C) must not
# leave pymap processes behind.
_running = weakref.WeakSet()


@atexit.register
def _stop_leftovers() -> None:
    for server in list(_running):
        server.stop()


class ImapServer:
    """pymap (maildir backend) in a subprocess on 127.0.0.1. See the module docstring."""

    def __init__(self, users: dict[str, str] | None = None, *, tls: str | None = None, port: int | None = None):
        if tls not in (None, "implicit", "starttls"):
            raise ValueError(tls)
        self.dir = Path(tempfile.mkdtemp(prefix="pymap-"))
        self.mail_dir = self.dir / "mail"
        self.mail_dir.mkdir()
        self.host = HOST
        self.port = port or free_port()
        self.tls = tls
        self.certificates = make_certificates(self.dir / "tls") if tls else None
        # With the relay in front, pymap itself listens on a second, private port.
        self._pymap_port = free_port() if tls == "implicit" else self.port
        self._relay = None
        self.process = None
        self._users: dict[str, str] = {}
        for address, password in (users or {}).items():
            self.add_user(address, password)

    @property
    def ca_path(self) -> Path | None:
        return self.certificates.ca_path if self.certificates else None

    # lifecycle

    def start(self) -> "ImapServer":
        command = [sys.executable, "-c", _PYMAP_MAIN]
        command += ["--host", HOST, "--port", str(self._pymap_port)]
        if self.tls == "starttls":
            command += ["--cert", str(self.certificates.cert_path), "--key", str(self.certificates.key_path)]
        else:
            command += ["--no-tls"]
        command += ["maildir", str(self.mail_dir)]
        # FQDN: pymap's greeting otherwise asks the resolver for this host's name, which can be slow.
        env = {**os.environ, "FQDN": "imap.crm.test"}
        env.pop("CERT_FILE", None)
        env.pop("KEY_FILE", None)
        with open(self.dir / "pymap.log", "ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=log, env=env)
        _running.add(self)
        try:
            wait_for_port(self._pymap_port, self.process)
            if self.tls == "implicit":
                self._relay = _TlsRelay(self.port, self._pymap_port, self.certificates.server_context())
                self._relay.start()
        except Exception:
            self.stop()
            raise RuntimeError(f"pymap did not start: {self.log()[-2000:]}") from None
        return self

    def stop(self) -> None:
        """Stops the server; the mail stays on disk for the next `start()`."""
        if self._relay is not None:
            self._relay.stop()
            self._relay = None
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
            self.process = None
        _running.discard(self)

    def close(self) -> None:
        """Stops the server and deletes its mail."""
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> "ImapServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    def log(self) -> str:
        path = self.dir / "pymap.log"
        return path.read_text(errors="replace") if path.exists() else ""

    # users

    def add_user(self, address: str, password: str) -> None:
        """Adds (or re-passwords) a mailbox; pymap reads these files on each login, so no restart."""
        self._users[address] = password
        # passwd(5)/shadow(5)-like files, as pymap.backend.maildir.users reads them; the home folder is
        # the maildir, relative to the base folder.
        passwd = "".join(f"{_passwd_field(a)}:x::::{_passwd_field(a)}:\r\n" for a in self._users)
        shadow = "".join(f"{_passwd_field(a)}:{_hash_password(p)}:::::::\r\n" for a, p in self._users.items())
        # Written whole and renamed into place, so a login running at this moment never reads half a file.
        for name, text in (("pymap-etc-passwd", passwd), ("pymap-etc-shadow", shadow)):
            tmp = self.mail_dir / f".{name}.tmp"
            tmp.write_text(text)
            os.replace(tmp, self.mail_dir / name)

    def reset_uidvalidity(self, address: str, folder: str = "INBOX") -> int:
        """What a mail server does when it rebuilds a folder's index: UIDVALIDITY goes up by one and the
        messages that are there get UIDs again from 1 (in no promised order). Rewrites pymap's
        dovecot-uidlist with no records; a session that has the folder selected notices only when it
        selects it again. Returns the new UIDVALIDITY."""
        from pymap.backend.maildir.layout import MaildirLayout
        from pymap.backend.maildir.mailbox import Maildir

        layout = MaildirLayout.get(str(self.mail_dir / address), "++", Maildir)
        uidlist = Path(layout.get_path(folder, "/")) / "dovecot-uidlist"
        old = int(re.search(r" V(\d+)", uidlist.read_text()).group(1))
        tmp = uidlist.with_name("dovecot-uidlist.tmp")
        tmp.write_text(f"3 V{old + 1} N1 G{secrets.token_hex(16)}\r\n")
        os.replace(tmp, uidlist)
        return old + 1

    # a client's view, over imaplib

    def connect(self) -> imaplib.IMAP4:
        if self.tls == "implicit":
            return imaplib.IMAP4_SSL(self.host, self.port, ssl_context=self.certificates.client_context(), timeout=10)
        client = imaplib.IMAP4(self.host, self.port, timeout=10)
        if self.tls == "starttls":
            client.starttls(self.certificates.client_context())
        return client

    @contextlib.contextmanager
    def session(self, address: str, password: str):
        client = self.connect()
        try:
            client.login(address, password)
            yield client
        finally:
            with contextlib.suppress(Exception):
                client.logout()

    def create_folder(self, address: str, password: str, folder: str) -> None:
        with self.session(address, password) as client:
            _ok(client.create(quote_mailbox(folder)))

    def folders(self, address: str, password: str) -> list[str]:
        with self.session(address, password) as client:
            typ, lines = client.list()
            _ok((typ, lines))
        names = []
        for line in lines:
            # (\HasNoChildren) "/" Sent  — the name is last, quoted or not.
            match = re.match(rb'\((?P<flags>[^)]*)\) (?:"[^"]*"|NIL) (?P<name>.+)$', line)
            name = match.group("name").decode()
            if name.startswith('"'):
                name = name[1:-1].replace('\\"', '"').replace("\\\\", "\\")
            names.append(imap_utf7_decode(name))
        return names

    def deliver(
        self,
        address: str,
        password: str,
        raw_message: bytes,
        folder: str = "INBOX",
        *,
        flags: str | None = None,
        internal_date: datetime.datetime | None = None,
    ) -> int:
        """APPENDs one message as that user and returns its UID (from UIDPLUS's APPENDUID)."""
        with self.session(address, password) as client:
            date = imaplib.Time2Internaldate(internal_date) if internal_date else None
            typ, data = client.append(quote_mailbox(folder), flags, date, raw_message)
            _ok((typ, data))
        match = re.search(rb"APPENDUID (\d+) (\d+)", data[0])
        return int(match.group(2))

    def fetch(self, address: str, password: str, folder: str = "INBOX") -> dict[int, bytes]:
        """UID → raw message, in UID order; read-only (EXAMINE, BODY.PEEK), so no \\Seen is set."""
        with self.session(address, password) as client:
            _ok(client.select(quote_mailbox(folder), readonly=True))
            typ, data = client.uid("SEARCH", "ALL")
            _ok((typ, data))
            uids = data[0].split()
            if not uids:
                return {}
            typ, data = client.uid("FETCH", b",".join(uids).decode(), "(UID BODY.PEEK[])")
            _ok((typ, data))
        result = {}
        for item in data:
            if isinstance(item, tuple):
                uid = int(re.search(rb"UID (\d+)", item[0]).group(1))
                result[uid] = item[1]
        return dict(sorted(result.items()))

    def messages(self, address: str, password: str, folder: str = "INBOX") -> list[bytes]:
        return list(self.fetch(address, password, folder).values())

    def status(self, address: str, password: str, folder: str = "INBOX") -> dict[str, int]:
        with self.session(address, password) as client:
            typ, data = client.status(quote_mailbox(folder), "(MESSAGES UIDNEXT UIDVALIDITY UNSEEN)")
            _ok((typ, data))
        items = re.search(rb"\(([^)]*)\)\s*$", data[0]).group(1).split()
        return {items[i].decode(): int(items[i + 1]) for i in range(0, len(items), 2)}


def _ok(response) -> None:
    typ, data = response
    if typ != "OK":
        raise imaplib.IMAP4.error(f"{typ} {data!r}")


# --- SMTP ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CapturedMessage:
    login: str | None  # who authenticated for it
    mail_from: str
    rcpt_tos: list[str]
    data: bytes  # as received (CRLF line ends, dot-stuffing undone)


class _Handler:
    def __init__(self, server: "SmtpServer"):
        self.server = server

    async def handle_MAIL(self, server, session, envelope, address, mail_options):  # noqa: N802 (aiosmtpd's name)
        login = session.auth_data
        if not session.authenticated:
            # What aiosmtpd's auth_required=True answers; done here because aiosmtpd warns on every
            # connection about auth_required without auth_require_tls.
            return "530 5.7.0 Authentication required"
        if self.server.strict_sender and address.lower() != login.lower():
            # Yandex's wording for a sender that is not the logged-in mailbox.
            return "553 5.7.1 Sender address rejected: not owned by auth user."
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        with self.server._lock:
            if self.server._refusals:
                return self.server._refusals.pop(0)
            self.server.messages.append(
                CapturedMessage(
                    login=session.auth_data,
                    mail_from=envelope.mail_from,
                    rcpt_tos=list(envelope.rcpt_tos),
                    data=envelope.original_content,
                )
            )
        return "250 2.0.0 Ok: queued"


class SmtpServer:
    """aiosmtpd on 127.0.0.1 in a thread of this process. See the module docstring."""

    def __init__(
        self,
        users: dict[str, str] | None = None,
        *,
        tls: str | None = None,
        strict_sender: bool = True,
        hostname: str = "smtp.crm.test",
        port: int | None = None,
    ):
        if tls not in (None, "implicit", "starttls"):
            raise ValueError(tls)
        self.host = HOST
        self.port = port or free_port()
        self.tls = tls
        self.strict_sender = strict_sender
        self.hostname = hostname
        self.users: dict[str, str] = dict(users or {})
        self.messages: list[CapturedMessage] = []
        self._refusals: list[str] = []
        self._lock = threading.Lock()
        self._dir = Path(tempfile.mkdtemp(prefix="smtpd-")) if tls else None
        self.certificates = make_certificates(self._dir) if tls else None
        self.controller = None

    @property
    def ca_path(self) -> Path | None:
        return self.certificates.ca_path if self.certificates else None

    def add_user(self, login: str, password: str) -> None:
        self.users[login] = password

    def refuse_next(self, reply: str = "451 4.3.0 Try again later") -> None:
        """The next DATA gets this reply instead of being accepted, for the CRM's retry path."""
        with self._lock:
            self._refusals.append(reply)

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        if isinstance(auth_data, LoginPassword):
            login = auth_data.login.decode("utf-8", "replace")
            password = auth_data.password.decode("utf-8", "replace")
            if login in self.users and self.users[login] == password:
                # auth_data lands in session.auth_data: the login the messages are stamped with.
                return AuthResult(success=True, auth_data=login)
        return AuthResult(success=False, handled=False)  # aiosmtpd answers 535 5.7.8

    def start(self) -> "SmtpServer":
        # A Controller's event loop is closed by stop(), so every start() builds a new one (same port).
        kwargs = {
            "hostname": self.host,
            "port": self.port,
            "server_hostname": self.hostname,
            "authenticator": self._authenticate,
            # Plain AUTH on loopback is what the non-TLS tests need; and aiosmtpd counts only STARTTLS as
            # TLS here, so with implicit TLS (SMTPS) True would refuse every AUTH.
            "auth_require_tls": False,
            "ready_timeout": START_TIMEOUT,
        }
        if self.tls == "implicit":
            kwargs["ssl_context"] = self.certificates.server_context()
        elif self.tls == "starttls":
            kwargs["tls_context"] = self.certificates.server_context()
            kwargs["require_starttls"] = True
        self.controller = Controller(_Handler(self), **kwargs)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def close(self) -> None:
        self.stop()
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> "SmtpServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()


def main():
    """Both servers by hand, for trying the CRM's mail with `./run` (Ctrl-C stops them):

        python -m tests.standins.mail_servers serve --imap-port 1143 --smtp-port 1025 \\
            --user manager.msk@crm.test:app-password
        python -m tests.standins.mail_servers send --imap-port 1143 --user manager.msk@crm.test:app-password \\
            --sender client@example.test --subject "Вопрос" --text "Добрый день"

    `serve` also delivers what its SMTP server accepts for one of its own users into that user's INBOX,
    as a real mail server would; `send` puts a letter straight into a user's INBOX.
    """
    import argparse
    from email.message import EmailMessage
    from email.utils import make_msgid

    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=("serve", "send"))
    parser.add_argument("--imap-port", type=int, default=1143)
    parser.add_argument("--smtp-port", type=int, default=1025)
    parser.add_argument("--user", action="append", default=[], help="address:password (repeatable)")
    parser.add_argument("--sender", default="client@example.test")
    parser.add_argument("--subject", default="Письмо из тестового сервера")
    parser.add_argument("--text", default="Добрый день!")
    args = parser.parse_args()
    users = dict(u.split(":", 1) for u in args.user)
    if args.command == "send":
        address, password = next(iter(users.items()))
        letter = EmailMessage()
        letter["From"], letter["To"], letter["Subject"] = args.sender, address, args.subject
        letter["Message-ID"] = make_msgid(domain="example.test")
        letter.set_content(args.text)
        with imaplib.IMAP4(HOST, args.imap_port) as client:
            client.login(address, password)
            _ok(client.append("INBOX", None, None, letter.as_bytes()))
        print(f"delivered to {address}: {args.subject}")
        return
    imap = ImapServer(users, port=args.imap_port).start()
    smtp = SmtpServer(users, port=args.smtp_port).start()
    print(f"IMAP {imap.host}:{imap.port}, SMTP {smtp.host}:{smtp.port}, users: {', '.join(users)}", flush=True)
    delivered = 0
    try:
        while True:
            time.sleep(0.5)
            for message in smtp.messages[delivered:]:
                for rcpt in message.rcpt_tos:
                    if rcpt in users:
                        imap.deliver(rcpt, users[rcpt], message.data)
                print(f"SMTP: {message.mail_from} → {', '.join(message.rcpt_tos)}", flush=True)
                delivered += 1
    except KeyboardInterrupt:
        pass
    finally:
        imap.close()
        smtp.close()


if __name__ == "__main__":
    main()
