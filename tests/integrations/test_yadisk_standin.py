"""The stand-in answers the real `yadisk` client as the real API would."""

import io

import pytest
import requests
import yadisk

from integrations.yandex_disk.client import build_client
from tests.standins.yadisk_server import StandinServer


@pytest.fixture
def disk(settings):
    server = StandinServer(token="t0k3n").start()
    settings.YANDEX_DISK_API_URL = server.base_url
    settings.YANDEX_DISK_TOKEN = "t0k3n"
    yield server
    server.stop()


def faults(server, **spec):
    requests.post(f"{server.base_url}/_standin/faults", json=spec, timeout=5).raise_for_status()


def test_folders_files_and_listing(disk):
    client = build_client()
    client.mkdir("/Москва - Иванов Сергей Николаевич")
    client.mkdir("/Москва - Иванов Сергей Николаевич/ДБ")
    client.upload(io.BytesIO("анкета".encode()), "/Москва - Иванов Сергей Николаевич/ДБ/Анкета.docx")
    assert client.exists("/Москва - Иванов Сергей Николаевич/ДБ")
    items = list(client.listdir("/Москва - Иванов Сергей Николаевич/ДБ"))
    assert [(i.name, i.type, i.size) for i in items] == [("Анкета.docx", "file", len("анкета".encode()))]
    out = io.BytesIO()
    client.download("/Москва - Иванов Сергей Николаевич/ДБ/Анкета.docx", out)
    assert out.getvalue().decode() == "анкета"


def test_real_error_names(disk):
    client = build_client()
    client.mkdir("/A")
    with pytest.raises(yadisk.exceptions.DirectoryExistsError):
        client.mkdir("/A")
    with pytest.raises(yadisk.exceptions.PathNotFoundError):
        client.get_meta("/nowhere")
    with pytest.raises(yadisk.exceptions.ParentNotFoundError):
        client.mkdir("/missing/child")


def test_move_sync_and_async(disk):
    client = build_client()
    client.mkdir("/src")
    client.mkdir("/src/inner")
    client.move("/src", "/dst")
    assert client.exists("/dst/inner") and not client.exists("/src")
    faults(disk, async_moves=True)
    client.move("/dst", "/dst2", wait=True)
    assert client.exists("/dst2/inner")
    assert requests.get(f"{disk.base_url}/_standin/tree", timeout=5).json() == {
        "/": "dir",
        "/dst2": "dir",
        "/dst2/inner": "dir",
    }


@pytest.mark.parametrize(
    "code, error",
    [
        (503, yadisk.exceptions.UnavailableError),
        (429, yadisk.exceptions.TooManyRequestsError),
        (507, yadisk.exceptions.InsufficientStorageError),
    ],
)
def test_injected_faults(disk, code, error):
    client = build_client()
    faults(disk, next=[code])
    with pytest.raises(error):
        client.mkdir("/x")
    client.mkdir("/x")  # the next call goes through


def test_wrong_token_is_401(disk, settings):
    settings.YANDEX_DISK_TOKEN = "wrong"
    with pytest.raises(yadisk.exceptions.UnauthorizedError):
        build_client().get_meta("/")
