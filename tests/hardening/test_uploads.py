"""An oversized request is refused by its Content-Length, before its body is read."""

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.test import RequestFactory

from crm.middleware import RequestSizeLimitMiddleware
from leads.models import Lead
from tasks import services as task_services
from tasks.models import TaskAttachment
from tests.conftest import token_client

THREE_HUNDRED_MB = 300 * 1024 * 1024


class UnreadableBody:
    """A request body that fails the test if anything tries to read it."""

    def read(self, *args, **kwargs):
        raise AssertionError("the request body was read")

    readline = read


@pytest.fixture
def task(head_msk, manager_msk):
    return task_services.task_create(author=head_msk, responsible=manager_msk, title="Проверить скан")


def test_huge_upload_is_refused_with_413_before_reading(web, manager_msk, task):
    web.force_login(manager_msk)
    response = web.post(
        f"/tasks/{task.pk}/files/",
        {"files": SimpleUploadedFile("Скан.pdf", b"%PDF small")},
        CONTENT_LENGTH=str(THREE_HUNDRED_MB),
        **{"wsgi.input": UnreadableBody()},
    )
    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/html")
    assert f"за один раз можно отправить не больше {settings.MAX_REQUEST_BODY_MB} МБ" in response.content.decode()
    assert TaskAttachment.objects.count() == 0


def test_huge_api_body_is_refused_with_413_json(call_centre):
    response = token_client(call_centre).post(
        "/api/v1/leads/",
        {"source": "site", "phone": "+79160001122"},
        format="json",
        CONTENT_LENGTH=str(THREE_HUNDRED_MB),
        **{"wsgi.input": UnreadableBody()},
    )
    assert response.status_code == 413
    assert response.json() == {
        "detail": f"Слишком большой запрос: за один раз можно отправить не больше {settings.MAX_REQUEST_BODY_MB} МБ. "
        "Загрузите файлы по одному или уменьшите их размер."
    }
    assert Lead.objects.count() == 0


def test_upload_within_the_limit_is_stored(web, manager_msk, task):
    web.force_login(manager_msk)
    response = web.post(f"/tasks/{task.pk}/files/", {"files": SimpleUploadedFile("Скан.pdf", b"%PDF small")})
    assert response.status_code == 302
    assert list(TaskAttachment.objects.values_list("name", flat=True)) == ["Скан.pdf"]


@pytest.mark.parametrize(
    "length, passed",
    [("", True), ("not-a-number", True), (str(settings.MAX_REQUEST_BODY_BYTES), True), ("0", True)]
    + [(str(settings.MAX_REQUEST_BODY_BYTES + 1), False)],
)
def test_limit_is_taken_from_the_declared_length(length, passed):
    reached = []
    middleware = RequestSizeLimitMiddleware(lambda request: reached.append(request) or HttpResponse("ok"))
    request = RequestFactory().post("/leads/new/", CONTENT_LENGTH=length)
    response = middleware(request)
    assert (response.status_code, bool(reached)) == ((200, True) if passed else (413, False))


def test_limit_is_read_from_settings(settings):
    settings.MAX_REQUEST_BODY_BYTES = 1024
    middleware = RequestSizeLimitMiddleware(lambda request: HttpResponse("ok"))
    assert middleware(RequestFactory().post("/x/", CONTENT_LENGTH="1025")).status_code == 413
    assert middleware(RequestFactory().post("/x/", CONTENT_LENGTH="1024")).status_code == 200
