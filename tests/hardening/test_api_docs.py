"""The API schema and its Swagger page: staff only, and clean under the Content-Security-Policy."""

import re

import pytest
from django.urls import reverse

from tests.conftest import token_client

SCRIPT_WITH_BODY = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>\s*\S", re.I)


@pytest.fixture
def docs_url():
    return reverse("api-docs")


@pytest.fixture
def schema_url():
    return reverse("api-schema")


def test_anonymous_cannot_read_the_schema(api, db, schema_url):
    response = api.get(schema_url, {"format": "json"})
    assert response.status_code == 401
    assert "paths" not in response.content.decode()


def test_anonymous_docs_page_sends_to_login(web, db, docs_url):
    response = web.get(docs_url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('crm:login')}?next={docs_url}"


def test_anonymous_cannot_fetch_the_docs_script(api, db, docs_url):
    response = api.get(docs_url, {"script": ""})
    assert response.status_code in (401, 403)
    assert "SwaggerUIBundle" not in response.content.decode()


def test_token_holder_reads_the_schema(manager_msk, schema_url):
    response = token_client(manager_msk).get(schema_url, {"format": "json"})
    assert response.status_code == 200
    assert "/api/v1/leads/" in response.json()["paths"]


def test_signed_in_staff_read_the_schema_by_session(web, manager_msk, schema_url):
    web.force_login(manager_msk)
    response = web.get(schema_url, {"format": "json"})
    assert response.status_code == 200
    assert "/api/v1/leads/" in response.json()["paths"]


def test_docs_page_has_no_inline_script_or_style(web, director, docs_url):
    web.force_login(director)
    page = web.get(docs_url).content.decode()
    assert SCRIPT_WITH_BODY.search(page) is None
    assert "<style" not in page
    assert "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert f'<script src="{docs_url}?script="></script>' in page


def test_docs_script_is_served_as_javascript_from_the_same_view(web, director, docs_url):
    web.force_login(director)
    response = web.get(docs_url, {"script": ""})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    body = response.content.decode()
    assert "SwaggerUIBundle(" in body
    assert reverse("api-schema") in body
