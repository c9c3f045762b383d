"""Which template a document is made from, and whether an uploaded one may be used.

The admin uploads a `.docx` per kind; the newest active version wins, and without one the
project's default (defaults.py) is used. An upload is refused, naming the tag and the reason,
when it uses a field the CRM does not fill (fields.py) or does not render with sample values.
"""

import re
from dataclasses import dataclass
from io import BytesIO
from zipfile import BadZipFile

import jinja2
from docx import Document
from docxtpl import DocxTemplate
from jinja2 import meta, nodes

from integrations.documents import defaults, fields, render
from integrations.models import DocumentTemplate

# The generated kind → the template kind; a contract's template depends on the deal's line.
CONTRACT_TEMPLATE = {"db": DocumentTemplate.Kind.CONTRACT_DB, "du": DocumentTemplate.Kind.CONTRACT_DU}


class TemplateRefused(Exception):
    """The upload cannot be used; the message says which tag and why, in Russian."""


@dataclass
class Chosen:
    data: bytes
    template: DocumentTemplate | None  # None: the project's default


def current(kind: str) -> Chosen:
    """The template `kind` is made from now: the newest active upload, else the default."""
    row = DocumentTemplate.objects.filter(kind=kind, is_active=True).order_by("-version").first()
    if row is None:
        return Chosen(defaults.build(kind), None)
    with row.file.open("rb") as f:
        return Chosen(f.read(), row)


def _xml(data: bytes) -> str:
    """The template's text as docxtpl hands it to Jinja: body, headers and footers."""
    template = DocxTemplate(BytesIO(data))
    template.init_docx()
    document = Document(BytesIO(data))
    xml = template.patch_xml(template.xml_to_string(document._element.body))
    for rel in document.part.rels.values():
        if rel.reltype in (template.HEADER_URI, template.FOOTER_URI) and rel.target_part.blob:
            xml += template.patch_xml(rel.target_part.blob.decode("utf-8", errors="replace"))
    return xml


def _plain(tag: str) -> str:
    # The tag as the author typed it: Word's XML between runs removed.
    return re.sub(r"<[^>]+>", "", tag).strip()


def _first_bad_tag(xml: str, env: jinja2.Environment) -> str | None:
    """The first `{{ … }}` that does not parse on its own, or is not closed within its paragraph."""
    for paragraph in xml.split("</w:p>"):
        text = _plain(paragraph)
        start = text.find("{{")
        while start != -1:
            end = text.find("}}", start)
            if end == -1:
                return text[start : start + 60].strip()
            tag = text[start : end + 2]
            try:
                env.parse(tag)
            except jinja2.TemplateSyntaxError:
                return tag
            start = text.find("{{", end)
    return None


def _unknown_attributes(tree: nodes.Template) -> list[str]:
    """`client.nmae` and the like: an object the CRM knows with a field it does not fill."""
    list_fields = set().union(*(f for _, f in fields.LISTS.values()))
    loop_names = {node.target.name for node in tree.find_all(nodes.For) if isinstance(node.target, nodes.Name)}
    unknown = []
    for node in tree.find_all(nodes.Getattr):
        if not isinstance(node.node, nodes.Name):
            continue
        owner = node.node.name
        if owner in fields.OBJECTS:
            known = fields.OBJECTS[owner][1]
        elif owner in loop_names:
            known = list_fields
        else:
            continue
        if node.attr not in known:
            unknown.append(f"{owner}.{node.attr}")
    return unknown


def check(data: bytes) -> None:
    """Refuse a template the CRM cannot fill; silent when it can."""
    env = render.environment()
    try:
        xml = _xml(data)
    except (BadZipFile, KeyError, ValueError) as exc:
        raise TemplateRefused("Это не документ Word (.docx): файл не открывается.") from exc
    try:
        tree = env.parse(xml)
    except jinja2.TemplateSyntaxError as exc:
        tag = _first_bad_tag(xml, env)
        where = f"в теге {tag} " if tag else ""
        reason = (exc.message or "").rstrip(".")
        misplaced = re.search(r"unknown tag '(tr|tc|p|r)'", reason)
        if misplaced:
            place = {"tr": "в строке таблицы", "tc": "в ячейке таблицы", "p": "в абзаце", "r": "в тексте"}
            reason = f"тег {{%{misplaced[1]} … %}} должен стоять {place[misplaced[1]]}"
        raise TemplateRefused(f"Шаблон не читается: ошибка {where}— {reason}.") from exc
    try:
        declared = meta.find_undeclared_variables(tree)
    except jinja2.TemplateAssertionError as exc:  # an unknown filter or test
        raise TemplateRefused(f"Шаблон не читается: {(exc.message or '').rstrip('.')}.") from exc
    unknown = sorted(declared - fields.KNOWN)
    if unknown:
        names = ", ".join(f"{{{{ {name} }}}}" for name in unknown)
        raise TemplateRefused(
            f"Неизвестное поле {names}: CRM такого не заполняет. Список полей — ниже на этой странице."
        )
    attributes = _unknown_attributes(tree)
    if attributes:
        names = ", ".join(f"{{{{ {name} }}}}" for name in dict.fromkeys(attributes))
        raise TemplateRefused(f"Неизвестное поле {names}: у объекта нет такого поля. Список полей — ниже.")
    try:
        render.fill(data, fields.sample(), images=dict.fromkeys(fields.IMAGES, b""))
    except jinja2.TemplateError as exc:
        raise TemplateRefused(f"Шаблон не собирается с примерными данными: {exc}.") from exc
    except Exception as exc:  # docxtpl's own XML errors come as lxml and ValueError alike
        raise TemplateRefused(f"Шаблон не собирается: {exc}.") from exc
