import re
import struct
import zlib
from io import BytesIO

import jinja2
import pytest
from docx import Document
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage

from integrations.documents import fields
from integrations.documents.defaults import KINDS, build

# A word from the top of each document and one from its end: both present means nothing was lost.
HEADINGS = {
    "contract_db": ("Договор №", "Реквизиты и подписи сторон"),
    "contract_du": ("Договор №", "Реквизиты и подписи сторон"),
    "invoice": ("Счёт на оплату №", "отсканируйте QR-код"),
    "act": ("Акт №", "Заказчик претензий"),
    "power_of_attorney": ("Доверенность", "Подпись доверителя"),
    "creditor_list": ("Список кредиторов и должников гражданина", "Достоверность и полноту"),
}


def _strict_env() -> jinja2.Environment:
    return jinja2.Environment(undefined=jinja2.StrictUndefined)


def _texts(document) -> list[str]:
    """Every paragraph's text, the body's and the tables' cells'."""
    texts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                texts += [p.text for p in cell.paragraphs]
    return texts


def _runs(document):
    paragraphs = list(document.paragraphs)
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                paragraphs += cell.paragraphs
    return [run for paragraph in paragraphs for run in paragraph.runs]


def _render(kind: str, context: dict, **options):
    template = DocxTemplate(BytesIO(build(kind)))
    template.render(context(template) if callable(context) else context, **options)
    out = BytesIO()
    template.save(out)
    return Document(BytesIO(out.getvalue()))


def _marked_context() -> dict:
    """Every field holds its own name, and each list two items, so the test sees where each value lands."""
    context: dict = {name: {f: f"[{name}.{f}]" for f in fs} for name, (_, fs) in fields.OBJECTS.items()}
    context |= {name: [{f: f"[{name}.{f}]" for f in fs}] * 2 for name, (_, fs) in fields.LISTS.items()}
    return context | {"qr": "", "creditors_total": "[creditors_total]"}


def _tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)  # 1×1, 8-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b"")
    )


def _assert_no_tags_left(document) -> None:
    text = "\n".join(_texts(document))
    for tag in ("{{", "}}", "{%", "%}"):
        assert tag not in text


@pytest.mark.parametrize("kind", KINDS)
def test_default_template_renders_with_sample_context(kind):
    # Without autoescape the sample's "<field>" values are markup to lxml, which drops the rest of the
    # document while recovering; what this proves is that every name resolves under StrictUndefined.
    document = _render(kind, fields.sample(), jinja_env=_strict_env())

    _assert_no_tags_left(document)


@pytest.mark.parametrize("kind", KINDS)
def test_default_template_renders_whole_with_autoescape(kind):
    # The sample with markup characters in a value: they come out as text, the XML stays whole.
    sample = fields.sample()
    sample["client"]["name"] = "<ООО «Ромашка» & Ко>"
    document = _render(kind, sample, jinja_env=_strict_env(), autoescape=True)

    text = "\n".join(_texts(document))
    first, last = HEADINGS[kind]
    assert first in text
    assert last in text
    assert "<ООО «Ромашка» & Ко>" in text
    _assert_no_tags_left(document)


@pytest.mark.parametrize("kind", KINDS)
def test_default_template_names_only_catalogue_fields(kind):
    names = DocxTemplate(BytesIO(build(kind))).get_undeclared_template_variables()

    assert names <= fields.KNOWN
    assert {"client", "document"} <= names
    assert ("qr" in names) == (kind == "invoice")


@pytest.mark.parametrize("kind", KINDS)
def test_every_tag_sits_inside_one_run(kind):
    runs = _runs(Document(BytesIO(build(kind))))

    assert any("{{" in run.text for run in runs)
    for run in runs:
        assert run.text.count("{{") == run.text.count("}}"), run.text
        assert run.text.count("{%") == run.text.count("%}"), run.text


@pytest.mark.parametrize(
    "kind, expected",
    [
        ("contract_db", ["[firm.signatory_basis]", "[firm.bik]", "[client.passport]", "[deal.fee_words]"]),
        ("contract_du", ["[deal.title]", "[firm.corr_account]", "[client.passport]", "[deal.fee]"]),
        ("invoice", ["[firm.bank]", "[firm.kpp]", "[payment.purpose]", "[payment.amount_words]", "[payment.vat]"]),
        ("act", ["[deal.contract_number]", "[deal.contract_date]", "[payment.amount_words]", "[payment.vat]"]),
        ("power_of_attorney", ["[client.passport]", "[client.snils]", "[deal.court]", "[deal.case_number]"]),
        ("creditor_list", ["[client.birth_date]", "[client.inn]", "[client.snils]", "[creditors_total]"]),
    ],
)
def test_values_land_in_the_document(kind, expected):
    document = _render(kind, _marked_context(), jinja_env=_strict_env())

    text = "\n".join(_texts(document))
    for value in expected:
        assert value in text


@pytest.mark.parametrize(
    "kind, list_name, columns",
    [
        ("contract_db", "schedule", ["number", "due_date", "amount"]),
        ("contract_du", "schedule", ["number", "due_date", "amount"]),
        ("act", "services", ["number", "name", "amount"]),
        ("creditor_list", "creditors", ["number", "name", "inn", "kind", "amount"]),
    ],
)
def test_table_gets_one_row_per_list_item(kind, list_name, columns):
    document = _render(kind, _marked_context(), jinja_env=_strict_env())

    item_rows = [
        [cell.text for cell in row.cells]
        for table in document.tables
        for row in table.rows
        if row.cells[0].text == f"[{list_name}.number]"
    ]
    assert item_rows == [[f"[{list_name}.{c}]" for c in columns]] * 2


def test_autoescaped_values_keep_angle_brackets_and_ampersands():
    context = fields.sample()
    context["client"]["name"] = "ООО «Ромашка & Co» <Тест>"

    document = _render("contract_du", context, jinja_env=_strict_env(), autoescape=True)

    assert "ООО «Ромашка & Co» <Тест>" in "\n".join(_texts(document))


@pytest.mark.parametrize("autoescape", [False, True])
def test_invoice_puts_the_qr_picture_in_place(autoescape):
    def with_qr(template):
        return fields.sample() | {"qr": InlineImage(template, BytesIO(_tiny_png()), width=Mm(40))}

    document = _render("invoice", with_qr, jinja_env=_strict_env(), autoescape=autoescape)

    assert len(document.inline_shapes) == 1
    assert document.inline_shapes[0].width == Mm(40)


@pytest.mark.parametrize("kind", KINDS)
def test_page_is_a4_with_2_cm_margins(kind):
    section = Document(BytesIO(build(kind))).sections[0]

    # Word stores lengths in twentieths of a point, so compare to the tenth of a millimetre.
    assert (round(section.page_width.mm, 1), round(section.page_height.mm, 1)) == (210.0, 297.0)
    margins = {section.left_margin, section.right_margin, section.top_margin, section.bottom_margin}
    assert {round(m.mm, 1) for m in margins} == {20.0}


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match=re.escape("'receipt'")):
        build("receipt")
