"""Standing cast for every test: two branches and one person per role.

Moscow: head, two managers, a lawyer, the office manager. St Petersburg: head,
one manager. Branchless: director, admin, call-centre operator.
"""

import os

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from crm import services
from crm.roles import Role
from tests.factories import TEST_PASSWORD, BranchFactory, UserFactory

# `celery_worker`: a real worker process, for integration tests and browser journeys alike;
# `imap_server`, `smtp_server`: the mail test servers (pymap, aiosmtpd) on loopback;
# `mango`, `mango_api`, `mango_worker`: the Mango stand-in and a worker configured for it.
pytest_plugins = ["tests.celery_workers", "tests.standins.mail_fixtures", "tests.standins.mango_fixtures"]


@pytest.fixture(scope="session", autouse=True)
def media_root(tmp_path_factory):
    """Uploaded and generated files go to a directory of this run, never into var/media; the
    environment carries it to the Celery workers the tests start, so they read the same files."""
    from django.conf import settings

    path = tmp_path_factory.mktemp("media")
    settings.MEDIA_ROOT = str(path)
    os.environ["MEDIA_ROOT"] = str(path)
    return path


@pytest.fixture
def msk(db):
    return BranchFactory(name="Москва", city="Москва")


@pytest.fixture
def spb(db):
    return BranchFactory(name="Санкт-Петербург", city="Санкт-Петербург")


@pytest.fixture
def director(db):
    return UserFactory(username="director", full_name="Орлова Марина Викторовна", role=Role.DIRECTOR)


@pytest.fixture
def admin_user(db):
    return UserFactory(username="admin", full_name="Смирнов Алексей Петрович", role=Role.ADMIN)


@pytest.fixture
def head_msk(msk, director):
    return UserFactory(
        username="rop.msk",
        full_name="Кузнецов Дмитрий Сергеевич",
        role=Role.HEAD_OF_SALES,
        branch=msk,
        supervisor=director,
    )


@pytest.fixture
def head_spb(spb, director):
    return UserFactory(
        username="rop.spb",
        full_name="Волкова Елена Андреевна",
        role=Role.HEAD_OF_SALES,
        branch=spb,
        supervisor=director,
    )


@pytest.fixture
def manager_msk(msk, head_msk):
    return UserFactory(username="manager.msk", full_name="Иванов Сергей Николаевич", branch=msk, supervisor=head_msk)


@pytest.fixture
def manager2_msk(msk, head_msk):
    return UserFactory(username="manager2.msk", full_name="Петрова Анна Игоревна", branch=msk, supervisor=head_msk)


@pytest.fixture
def manager_spb(spb, head_spb):
    return UserFactory(username="manager.spb", full_name="Соколов Павел Олегович", branch=spb, supervisor=head_spb)


@pytest.fixture
def lawyer_msk(msk, director):
    return UserFactory(
        username="lawyer.msk", full_name="Морозова Ольга Дмитриевна", role=Role.LAWYER, branch=msk, supervisor=director
    )


@pytest.fixture
def call_centre(director):
    return UserFactory(
        username="callcenter", full_name="Новикова Ирина Павловна", role=Role.CALL_CENTRE, supervisor=director
    )


@pytest.fixture
def office_manager(msk, director):
    return UserFactory(
        username="office",
        full_name="Лебедева Татьяна Юрьевна",
        role=Role.OFFICE_MANAGER,
        branch=msk,
        supervisor=director,
    )


@pytest.fixture
def everyone(
    director,
    admin_user,
    head_msk,
    head_spb,
    manager_msk,
    manager2_msk,
    manager_spb,
    lawyer_msk,
    call_centre,
    office_manager,
):
    """The whole cast by username."""
    people = [
        director,
        admin_user,
        head_msk,
        head_spb,
        manager_msk,
        manager2_msk,
        manager_spb,
        lawyer_msk,
        call_centre,
        office_manager,
    ]
    return {p.username: p for p in people}


@pytest.fixture
def web():
    """A browser-like client: `web.force_login(user)` then request pages."""
    from django.test import Client

    return Client()


@pytest.fixture
def api():
    return APIClient()


def token_client(user) -> APIClient:
    client = APIClient()
    token = services.api_token_issue(user=user, ip=None)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def query_count():
    """`with query_count(5): ...` fails unless exactly 5 queries ran inside."""

    class _Pin:
        def __init__(self, expected):
            self.expected = expected
            self.ctx = CaptureQueriesContext(connection)

        def __enter__(self):
            self.ctx.__enter__()
            return self.ctx

        def __exit__(self, *exc):
            self.ctx.__exit__(*exc)
            if exc[0] is None:
                executed = len(self.ctx.captured_queries)
                sql = "\n".join(q["sql"] for q in self.ctx.captured_queries)
                assert executed == self.expected, f"{executed} queries, expected {self.expected}:\n{sql}"

    return _Pin


__all__ = ["TEST_PASSWORD", "token_client"]


@pytest.fixture
def firm(db):
    """The firm's requisites documents are made with."""
    from tests.factories import make_firm

    return make_firm()
