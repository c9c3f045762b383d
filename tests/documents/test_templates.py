"""Uploaded templates: refused with the tag named when they use an unknown field or do not render;
accepted as a new version and used for the next document."""

from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from docx import Document

from crm.errors import DomainError
from integrations.documents import services
from integrations.models import DocumentTemplate, GeneratedDocument
from tests.documents.helpers import flat, pdf_text
from tests.factories import make_deal

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _docx(*paragraphs: str) -> SimpleUploadedFile:
    document = Document()
    for text in paragraphs:
        document.add_paragraph(text)
    out = BytesIO()
    document.save(out)
    return SimpleUploadedFile("счёт.docx", out.getvalue())


@pytest.mark.parametrize(
    "paragraphs, expected",
    [
        (("Счёт для {{ client.name }}", "Итого {{ payment.amount_in_words }}"), "{{ payment.amount_in_words }}"),
        (("Клиент: {{ customer }}",), "{{ customer }}"),
        (("{%p for row in schedule %}", "{{ row.due }}", "{%p endfor %}"), "{{ row.due }}"),
        (("{%tr for row in schedule %}", "{{ row.amount }}", "{%tr endfor %}"), "должен стоять в строке таблицы"),
        (("Клиент: {{ client.name }", "ещё текст"), "{{ client.name }"),
        (("{{ client.name | nosuchfilter }}",), "nosuchfilter"),
    ],
)
def test_refused_with_the_tag_named(admin_user, paragraphs, expected):
    with pytest.raises(DomainError) as refused:
        services.template_upload(kind="invoice", upload=_docx(*paragraphs), by=admin_user)
    assert refused.value.field == "file"
    assert expected in refused.value.message
    assert not DocumentTemplate.objects.exists()


def test_not_a_word_file_is_refused(admin_user):
    upload = SimpleUploadedFile("счёт.docx", b"not a zip")
    with pytest.raises(DomainError, match="не открывается"):
        services.template_upload(kind="invoice", upload=upload, by=admin_user)


def test_only_the_admin_or_director_uploads(manager_msk, head_msk):
    for user in (manager_msk, head_msk):
        with pytest.raises(DomainError) as refused:
            services.template_upload(kind="invoice", upload=_docx("{{ client.name }}"), by=user)
        assert refused.value.code == "forbidden"
    assert not DocumentTemplate.objects.exists()


def test_an_accepted_upload_is_the_next_version_and_is_used(admin_user, manager_msk, firm):
    first = services.template_upload(kind="invoice", upload=_docx("Старый счёт {{ document.number }}"), by=admin_user)
    second = services.template_upload(
        kind="invoice",
        upload=_docx(
            "Счёт фирмы {{ firm.short_name }} № {{ document.number }} для {{ client.name }}",
            "К оплате {{ payment.amount }} ({{ payment.amount_words }})",
            "{{ qr }}",
        ),
        by=admin_user,
        note="новая форма",
    )
    assert (first.version, second.version) == (1, 2)
    deal = make_deal(manager=manager_msk, last_name="Шаблонов")
    document = services.document_request(deal=deal, by=manager_msk, kind="invoice", amount="5000")
    services.document_make(document.pk)
    document.refresh_from_db()
    assert document.status == GeneratedDocument.Status.READY and document.template == second
    text = flat(pdf_text(document.pdf.file.read()))
    assert f"Счёт фирмы ООО «Решение» № {document.number} для Шаблонов Иван Петрович" in text
    assert "К оплате 5 000,00 (пять тысяч рублей 00 копеек)" in text
    # Switched off, the newest version steps back to the previous one.
    second.is_active = False
    second.save()
    again = services.document_request(deal=deal, by=manager_msk, kind="invoice", amount="5000")
    services.document_make(again.pk)
    again.refresh_from_db()
    assert again.template == first
