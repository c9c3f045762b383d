"""The admin's screens for documents: requisites checked, templates listed with their fields,
a bad upload refused on the form with the tag named, a good one saved as the next version."""

from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from docx import Document

from integrations.models import DocumentSeries, DocumentTemplate, LegalEntity

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _docx(text: str) -> SimpleUploadedFile:
    document = Document()
    document.add_paragraph(text)
    out = BytesIO()
    document.save(out)
    return SimpleUploadedFile("акт.docx", out.getvalue())


def test_template_pages(web, admin_user):
    web.force_login(admin_user)
    listing = web.get("/admin/integrations/documenttemplate/")
    assert listing.status_code == 200
    text = listing.content.decode()
    assert "{{ payment.amount_words }}" in text and "по умолчанию (из CRM)" in text
    default = web.get("/admin/integrations/documenttemplate/default/act/")
    assert default.status_code == 200 and default.content.startswith(b"PK")

    refused = web.post(
        "/admin/integrations/documenttemplate/add/", {"kind": "act", "file": _docx("{{ client.fullname }}")}
    )
    assert refused.status_code == 200 and "{{ client.fullname }}" in refused.content.decode()
    assert not DocumentTemplate.objects.exists()

    saved = web.post(
        "/admin/integrations/documenttemplate/add/",
        {"kind": "act", "file": _docx("Акт № {{ document.number }} для {{ client.name }}"), "note": "короче"},
    )
    assert saved.status_code == 302
    template = DocumentTemplate.objects.get()
    assert (template.kind, template.version, template.uploaded_by) == ("act", 1, admin_user)


def test_requisites_form_checks_the_account(web, admin_user):
    web.force_login(admin_user)
    data = {
        "name": "ООО «Право»",
        "short_name": "ООО «Право»",
        "inn": "7707083893",
        "kpp": "773601001",
        "ogrn": "1027700132195",
        "address": "Москва",
        "signatory": "Орлова Марина Викторовна",
        "signatory_position": "Генеральный директор",
        "signatory_basis": "Устава",
        "bank": "ПАО Сбербанк",
        "bik": "044525225",
        "account": "40702810938000012346",
        "corr_account": "30101810400000000225",
        "vat_mode": "none",
        "vat_rate": "22",
        "is_default": "on",
        "is_active": "on",
    }
    refused = web.post("/admin/integrations/legalentity/add/", data)
    assert refused.status_code == 200 and "не сходится с БИК" in refused.content.decode()
    assert not LegalEntity.objects.exists()
    saved = web.post("/admin/integrations/legalentity/add/", data | {"account": "40702810938000012345"})
    assert saved.status_code == 302 and LegalEntity.objects.get().is_default


def test_series_form_refuses_going_back(web, admin_user):
    series = DocumentSeries.objects.create(key="act", year=2026, pattern="АКТ-{year}-{n:04}", next_number=7)
    web.force_login(admin_user)
    response = web.post(
        f"/admin/integrations/documentseries/{series.pk}/change/",
        {"key": "act", "year": "2026", "pattern": "АКТ-{year}-{n:04}", "next_number": "3"},
    )
    assert response.status_code == 200 and "уже выданы" in response.content.decode()
    series.refresh_from_db()
    assert series.next_number == 7
