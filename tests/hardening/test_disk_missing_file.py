"""A file missing from the client's Disk folder is a 404 with a Russian message, not «Диск не ответил» (503).

The real yadisk client talks to the local stand-in (tests/standins/yadisk_server.py):
for a missing path it raises PathNotFoundError, which must not be taken for a network failure.
"""

import pytest

from crm.models import AuditEntry
from integrations.models import ClientFolder
from integrations.yandex_disk import services
from tests.factories import make_deal
from tests.standins.yadisk_server import StandinServer


@pytest.fixture
def disk(settings):
    server = StandinServer(token="t0k3n").start()
    settings.YANDEX_DISK_ENABLED = True
    settings.YANDEX_DISK_API_URL = server.base_url
    settings.YANDEX_DISK_TOKEN = "t0k3n"
    settings.YANDEX_DISK_BACKOFF_SECONDS = 0.1
    yield server
    server.stop()


@pytest.fixture
def synced_deal(disk, manager_msk):
    deal = make_deal(manager=manager_msk, last_name="Белов", first_name="Андрей", patronymic="Викторович")
    services.client_sync(client_id=deal.client_id)
    return deal


def file_url(deal, name: str) -> str:
    return f"/integrations/disk/clients/{deal.client_id}/file/?name={name}"


def test_missing_file_is_404_in_russian_and_not_audited(web, synced_deal, manager_msk):
    web.force_login(manager_msk)
    response = web.get(file_url(synced_deal, "Договор.pdf"))
    assert response.status_code == 404
    assert response.content.decode() == (
        "Файла «Договор.pdf» нет в папке клиента на Диске: его могли переместить или удалить."
    )
    assert AuditEntry.objects.filter(action=AuditEntry.Action.VIEW_PERSONAL_DATA).count() == 0


def test_present_file_still_downloads(web, synced_deal, manager_msk):
    web.force_login(manager_msk)
    response = web.get(file_url(synced_deal, "Анкета.xlsx"))
    assert response.status_code == 200
    assert b"".join(response.streaming_content)[:2] == b"PK"


def test_a_disk_that_does_not_answer_is_still_503(web, synced_deal, manager_msk, disk):
    web.force_login(manager_msk)
    disk.stop()  # the port is closed: a network error, not a missing file
    response = web.get(file_url(synced_deal, "Анкета.xlsx"))
    assert response.status_code == 503
    assert response.content.decode() == "Диск не ответил, попробуйте позже."


def test_missing_client_folder_listing_says_so(web, synced_deal, manager_msk):
    folder = ClientFolder.objects.get(client_id=synced_deal.client_id)
    services.build_client().remove(folder.synced_path, permanently=True)  # removed by hand on the Disk
    web.force_login(manager_msk)
    response = web.get(f"/integrations/disk/clients/{synced_deal.client_id}/")
    assert response.status_code == 200
    assert response.context["error"] == (
        "Папки клиента нет на Диске: её могли переместить вручную. Сверка с Диском её восстановит."
    )
