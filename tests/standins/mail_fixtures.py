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
