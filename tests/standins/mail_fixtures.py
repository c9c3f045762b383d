"""pytest fixtures for the mail stand-ins: a fresh IMAP and SMTP server per test, one mailbox on both.

tests/conftest.py lists this module in `pytest_plugins`, so every test can ask for them by name;
other servers (TLS, more users) are built directly from tests.standins.mail_servers.
"""

import pytest

from tests.standins.mail_servers import ImapServer, SmtpServer

MANAGER_ADDRESS = "manager@crm.test"
MANAGER_PASSWORD = "app-password-1"


@pytest.fixture
def imap_server():
    server = ImapServer({MANAGER_ADDRESS: MANAGER_PASSWORD}).start()
    yield server
    server.close()


@pytest.fixture
def smtp_server():
    server = SmtpServer({MANAGER_ADDRESS: MANAGER_PASSWORD}).start()
    yield server
    server.close()


@pytest.fixture
def mail_on(settings):
    """Mail switched on in this process, with a fresh key, and the loopback test servers allowed."""
    from cryptography.fernet import Fernet

    settings.MAIL_ENABLED = True
    settings.MAIL_SECRET_KEY = Fernet.generate_key().decode()
    settings.MAIL_ALLOW_LOOPBACK = True


def servers(imap, smtp) -> dict:
    """The test servers as a mailbox names them: loopback, no TLS."""
    return {
        "imap_host": imap.host,
        "imap_port": imap.port,
        "smtp_host": smtp.host,
        "smtp_port": smtp.port,
        "security": "plain",
    }


def connect_mailbox(user, imap, smtp, *, address=MANAGER_ADDRESS, password=MANAGER_PASSWORD, kind="personal"):
    """Connect a mailbox on the test servers through the CRM's own check."""
    from integrations.mail import services

    return services.mailbox_connect(by=user, username=address, password=password, kind=kind, **servers(imap, smtp))


@pytest.fixture
def mail_worker(settings, transactional_db):
    """A real worker taking the mail queue, with this process's key; retries come back within seconds."""
    import uuid

    from cryptography.fernet import Fernet

    from tests.celery_workers import running_worker

    key, queue = Fernet.generate_key().decode(), f"test-mail-{uuid.uuid4().hex}"
    settings.MAIL_ENABLED, settings.MAIL_SECRET_KEY, settings.MAIL_QUEUE = True, key, queue
    settings.MAIL_ALLOW_LOOPBACK = True  # read by the web side's check, in this process
    env = {
        "MAIL_ENABLED": "1",
        "MAIL_SECRET_KEY": key,
        "MAIL_QUEUE": queue,
        "OUTBOX_BACKOFF_SECONDS": "1",
        "OUTBOX_BACKOFF_MAX_SECONDS": "2",
    }
    with running_worker(queue, env) as worker:
        yield worker
