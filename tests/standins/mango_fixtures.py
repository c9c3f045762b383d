"""pytest fixtures for telephony: the Mango stand-in posting signed events to the live server and answering
the CRM's commands, and a real Celery worker on its own queue with the same Mango settings.

Registered in tests/conftest.py (`pytest_plugins`), so every test module may ask for `mango`, `mango_api`
and `mango_worker`."""

import uuid

import pytest

from tests.celery_workers import running_worker
from tests.standins.mango_server import MangoServer

KEY, SALT = "test-vpbx-key", "test-vpbx-salt"


def _switch_on(settings, server: MangoServer) -> None:
    settings.MANGO_ENABLED = True
    settings.MANGO_API_KEY, settings.MANGO_API_SALT = KEY, SALT
    settings.MANGO_API_URL = server.api_url


@pytest.fixture
def mango(settings, live_server):
    """The stand-in posting events to the live server (…/integrations/mango/) and answering commands."""
    server = MangoServer(api_key=KEY, api_salt=SALT, crm_events_url=f"{live_server.url}/integrations/mango/").start()
    _switch_on(settings, server)
    yield server
    server.stop()


@pytest.fixture
def mango_api(settings):
    """The stand-in only answering queries: the service is called directly, no worker, no live server."""
    server = MangoServer(api_key=KEY, api_salt=SALT).start()
    _switch_on(settings, server)
    yield server
    server.stop()


@pytest.fixture
def mango_worker(settings, mango, transactional_db):
    """A real worker taking the Mango queue, configured as this process is."""
    queue = f"test-mango-{uuid.uuid4().hex}"
    settings.MANGO_QUEUE = queue
    env = {
        "MANGO_ENABLED": "1",
        "MANGO_API_KEY": KEY,
        "MANGO_API_SALT": SALT,
        "MANGO_API_URL": mango.api_url,
        "MANGO_QUEUE": queue,
    }
    with running_worker(queue, env) as worker:
        yield worker
