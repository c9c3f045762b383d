"""Content-Security-Policy and Permissions-Policy on pages, the API and the API docs."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from tests.conftest import token_client

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"
)


def assert_policies(response):
    assert response["Content-Security-Policy"] == CSP
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    permissions = response["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in permissions


def test_login_page_carries_the_policies(web, db):
    response = web.get(reverse("crm:login"))
    assert response.status_code == 200
    assert_policies(response)


def test_signed_in_page_carries_the_policies(web, manager_msk):
    web.force_login(manager_msk)
    response = web.get("/")
    assert response.status_code == 200
    assert_policies(response)


def test_api_response_carries_the_policies(manager_msk):
    response = token_client(manager_msk).get("/api/v1/me/")
    assert response.status_code == 200
    assert_policies(response)


def test_api_refusal_carries_the_policies(api, db):
    response = api.get("/api/v1/me/")
    assert response.status_code == 401
    assert_policies(response)


def test_api_docs_page_carries_the_policies(web, director):
    web.force_login(director)
    response = web.get(reverse("api-docs"))
    assert response.status_code == 200
    assert_policies(response)


# The policy forbids inline code, so the project's templates must not rely on it.
INLINE_CODE = [
    ("inline <script>", re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)),
    ("<style> element", re.compile(r"<style\b", re.I)),
    ("style= attribute", re.compile(r"\sstyle\s*=", re.I)),
    ("on…= handler", re.compile(r"\son[a-z]+\s*=", re.I)),
    ("javascript: URL", re.compile(r"javascript:", re.I)),
]


@pytest.mark.parametrize("label, pattern", INLINE_CODE, ids=[label for label, _ in INLINE_CODE])
def test_templates_hold_no_inline_code(label, pattern):
    offenders = [
        str(path.relative_to(settings.BASE_DIR))
        for path in sorted(Path(settings.BASE_DIR, "templates").rglob("*.html"))
        if pattern.search(path.read_text())
    ]
    assert offenders == []


def test_htmx_does_not_inject_its_indicator_style():
    # htmx adds an inline <style> at start-up unless told not to; the rules live in crm.css.
    script = Path(settings.BASE_DIR, "static", "js", "crm.js").read_text()
    assert "htmx.config.includeIndicatorStyles = false;" in script
    assert ".htmx-request .htmx-indicator" in Path(settings.BASE_DIR, "static", "css", "crm.css").read_text()
