"""The firm's default document templates, built in code.

They are code rather than .docx files so the repository holds no binaries and a wording change
shows in a diff. Each one is a docxtpl template filled later from the context in fields.py: it
names only fields listed there, and every Jinja tag sits inside a single run, because docxtpl
cannot see a tag whose text Word markup splits in two.
"""

from collections.abc import Callable, Sequence
from io import BytesIO

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.table import Table, _Cell

KINDS = ("contract_db", "contract_du", "invoice", "act", "power_of_attorney", "creditor_list")

FONT = "Times New Roman"
FONT_SIZE = Pt(11)
SMALL_SIZE = Pt(8)
TITLE_SIZE = Pt(13)
MARGIN = Cm(2)
TEXT_WIDTH = Cm(21 - 2 * 2)  # A4 less both margins

LEFT = WD_ALIGN_PARAGRAPH.LEFT
CENTER = WD_ALIGN_PARAGRAPH.CENTER
RIGHT = WD_ALIGN_PARAGRAPH.RIGHT
JUSTIFY = WD_ALIGN_PARAGRAPH.JUSTIFY


class Bold(str):
    """A piece of text set in bold."""


class Small(str):
    """A piece of text set small: captions under blanks and in the bank block."""


# A line is one paragraph: a single piece or a tuple of pieces, each piece becoming one run.
Line = str | tuple[str, ...]
# A table cell holds one line or several.
Cell = Line | list[Line]


def _check_tags(text: str) -> None:
    # A tag cut between two runs renders as literal braces, so refuse to build such a template.
    for opening, closing in (("{{", "}}"), ("{%", "%}")):
        if text.count(opening) != text.count(closing):
            raise ValueError(f"Jinja tag is not whole inside one run: {text!r}")


def _fill(paragraph, line: Line) -> None:
    for piece in (line,) if isinstance(line, str) else line:
        _check_tags(piece)
        if not piece:
            # No empty runs: python-docx counts them as content and stacks blank lines into merged cells.
            continue
        run = paragraph.add_run(piece)
        if isinstance(piece, Bold):
            run.bold = True
        if isinstance(piece, Small):
            run.font.size = SMALL_SIZE


def _loop_rows(name: str, cells: list[Cell]) -> list[list[Cell]]:
    """The three rows docxtpl turns into one row per item of the list `name`."""
    blanks: list[Cell] = [""] * (len(cells) - 1)
    return [[f"{{%tr for row in {name} %}}", *blanks], cells, ["{%tr endfor %}", *blanks]]


class _Builder:
    def __init__(self, title: str):
        self.doc = Document()
        section = self.doc.sections[0]
        section.page_width, section.page_height = Cm(21), Cm(29.7)
        section.left_margin = section.right_margin = MARGIN
        section.top_margin = section.bottom_margin = MARGIN
        self._set_normal_style()
        properties = self.doc.core_properties
        properties.title = title
        properties.author = properties.last_modified_by = properties.comments = ""

    def _set_normal_style(self) -> None:
        style = self.doc.styles["Normal"]
        style.font.name = FONT
        style.font.size = FONT_SIZE
        run_properties = style.element.get_or_add_rPr()
        # python-docx names only the Latin font; Cyrillic in Word falls back to the theme font
        # unless the other scripts are named too.
        fonts = run_properties.get_or_add_rFonts()
        for script in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
            fonts.set(qn(script), FONT)
        # Russian spelling and hyphenation in Word and LibreOffice.
        language = OxmlElement("w:lang")
        language.set(qn("w:val"), "ru-RU")
        run_properties.append(language)
        paragraph = style.paragraph_format
        paragraph.space_before = Pt(0)
        paragraph.space_after = Pt(3)
        paragraph.line_spacing = 1.0

    def para(self, *line: str, align=JUSTIFY, space_before: float = 0, indent: float = 0):
        paragraph = self.doc.add_paragraph()
        paragraph.alignment = align
        if space_before:
            paragraph.paragraph_format.space_before = Pt(space_before)
        if indent:
            paragraph.paragraph_format.left_indent = Cm(indent)
        _fill(paragraph, line)
        return paragraph

    def title(self, *lines: Line) -> None:
        for line in lines:
            paragraph = self.para(*((line,) if isinstance(line, str) else line), align=CENTER)
            for run in paragraph.runs:
                run.bold = True
                run.font.size = TITLE_SIZE

    def heading(self, text: str) -> None:
        self.para(Bold(text), align=CENTER, space_before=6).paragraph_format.keep_with_next = True

    def items(self, *texts: str) -> None:
        for text in texts:
            # A no-break space: a justified line must not stretch the gap after the dash.
            self.para("—\u00a0", text, indent=0.6)

    def place_and_date(self, place: str = "г. {{ document.city }}", date: str = "{{ document.date_words }}") -> None:
        paragraph = self.para(place, "\t", date, align=LEFT)
        paragraph.paragraph_format.tab_stops.add_tab_stop(TEXT_WIDTH, WD_TAB_ALIGNMENT.RIGHT)
        paragraph.paragraph_format.space_after = Pt(9)

    def table(
        self,
        widths: Sequence[float],
        rows: list[list[Cell]],
        *,
        header: bool = True,
        grid: bool = True,
        aligns: Sequence | None = None,
    ) -> Table:
        table = self.doc.add_table(rows=len(rows), cols=len(widths))
        if grid:
            table.style = self.doc.styles["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        for index, width in enumerate(widths):
            table.columns[index].width = Cm(width)
        for row_index, (row, cells) in enumerate(zip(table.rows, rows, strict=True)):
            for column, (cell, content) in enumerate(zip(row.cells, cells, strict=True)):
                cell.width = Cm(widths[column])
                heading = header and row_index == 0
                align = CENTER if heading else (aligns[column] if aligns else LEFT)
                _set_cell(cell, content, align=align, bold=heading)
        if header:
            # A long creditor list runs over pages; the column names repeat on each.
            table.rows[0]._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
        self.gap()
        return table

    def signatures(self, firm: list[Line], client: list[Line]) -> None:
        """Both parties side by side, their signature blanks in a row of their own so they line up."""
        table = self.table([8.5, 8.5], [[firm, client], [FIRM_SIGNATURE, CLIENT_SIGNATURE]], header=False, grid=False)
        for row in table.rows:
            # Neither party's block may start on one page and end on the next.
            row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))

    def gap(self) -> None:
        # Word glues two adjacent tables into one; an empty paragraph keeps them apart.
        self.doc.add_paragraph().paragraph_format.space_after = Pt(3)

    def to_bytes(self) -> bytes:
        buffer = BytesIO()
        self.doc.save(buffer)
        return buffer.getvalue()


def _set_cell(cell: _Cell, content: Cell, *, align=LEFT, bold: bool = False) -> None:
    lines = content if isinstance(content, list) else [content]
    for index, line in enumerate(lines):
        paragraph = cell.paragraphs[0] if index == 0 else cell.add_paragraph()
        paragraph.alignment = align
        paragraph.paragraph_format.space_after = Pt(0)
        _fill(paragraph, line)
        if bold:
            for run in paragraph.runs:
                run.bold = True


# Blocks shared by several documents.

FIRM_INN_KPP = "ИНН {{ firm.inn }}{% if firm.kpp %}, КПП {{ firm.kpp }}{% endif %}"
FIRM_REQUISITES: list[Line] = [
    (Bold("Исполнитель:"),),
    "{{ firm.name }}",
    "Адрес: {{ firm.address }}",
    FIRM_INN_KPP,
    "ОГРН {{ firm.ogrn }}",
    "Р/с {{ firm.account }}",
    "в {{ firm.bank }}",
    "БИК {{ firm.bik }}",
    "К/с {{ firm.corr_account }}",
    "Тел.: {{ firm.phone }}, e-mail: {{ firm.email }}",
]
FIRM_SIGNATURE: list[Line] = [
    "",
    "{{ firm.signatory_position }}",
    "",
    "_______________ / {{ firm.signatory_short }}",
    Small("          (подпись)"),
]
CLIENT_SIGNATURE: list[Line] = [
    "",
    "",
    "",
    "_______________ / {{ client.short_name }}",
    Small("          (подпись)"),
]
FIRM_PARTY = (
    "{{ firm.name }} (далее — «Исполнитель»), от имени которого на основании {{ firm.signatory_basis }} "
    "действует {{ firm.signatory_position }} {{ firm.signatory }}, с одной стороны, и "
)
PARTIES_END = ", с другой стороны, вместе именуемые «Стороны», заключили настоящий договор о нижеследующем."
SCHEDULE_TABLE: list[list[Cell]] = [
    ["№ п/п", "Срок оплаты", "Сумма, руб."],
    *_loop_rows("schedule", ["{{ row.number }}", "{{ row.due_date }}", "{{ row.amount }}"]),
]


def _contract(b: _Builder, *, client_party: str, subject: Callable[[], None], client_duties: str) -> None:
    """The parts both service contracts share: parties, price, duties, liability, term, signatures."""
    b.title("Договор № {{ document.number }}", "об оказании юридических услуг")
    b.place_and_date()
    b.para(FIRM_PARTY, client_party, PARTIES_END)

    b.heading("1. Предмет договора")
    subject()

    b.heading("2. Стоимость услуг и порядок оплаты")
    b.para("2.1. Стоимость услуг по договору составляет ", Bold("{{ deal.fee }} руб. ({{ deal.fee_words }})"), ".")
    b.para("2.2. Заказчик оплачивает услуги по следующему графику:")
    b.table([2, 7.5, 7.5], SCHEDULE_TABLE, aligns=[CENTER, CENTER, RIGHT])
    b.para(
        "2.3. Оплата производится наличными в кассу Исполнителя или перечислением на его расчётный счёт. "
        "Обязательство по оплате исполнено в день поступления денег в кассу или на счёт Исполнителя."
    )
    b.para(
        "2.4. Оказание услуг подтверждается актом. Если Заказчик в течение 5 (пяти) рабочих дней после "
        "получения акта не подписал его и не направил мотивированных возражений, услуги считаются принятыми."
    )

    b.heading("3. Права и обязанности сторон")
    b.para("3.1. Исполнитель обязуется:")
    b.items(
        "оказать услуги качественно и в согласованные сроки;",
        "по запросу Заказчика сообщать ему о ходе оказания услуг;",
        "не разглашать сведения о Заказчике, полученные при исполнении договора.",
    )
    b.para(
        "3.2. Исполнитель вправе привлекать к оказанию услуг своих работников и третьих лиц, оставаясь "
        "ответственным перед Заказчиком за их действия, а также запрашивать у Заказчика документы и "
        "сведения, необходимые для оказания услуг."
    )
    b.para("3.3. Заказчик обязуется:")
    b.items(
        "предоставлять полные и достоверные сведения и документы, необходимые для оказания услуг;",
        client_duties,
        "своевременно оплачивать услуги в соответствии с разделом 2 договора.",
    )

    b.heading("4. Ответственность сторон")
    b.para(
        "4.1. За неисполнение или ненадлежащее исполнение обязательств по договору Стороны несут "
        "ответственность в соответствии с законодательством Российской Федерации."
    )
    b.para(
        "4.2. Исполнитель не отвечает за последствия, вызванные недостоверностью или неполнотой сведений "
        "и документов, предоставленных Заказчиком."
    )
    b.para(
        "4.3. Споры Стороны решают путём переговоров, а при недостижении согласия — в суде в порядке, "
        "установленном законодательством Российской Федерации."
    )

    b.heading("5. Срок действия договора")
    b.para(
        "5.1. Договор вступает в силу с момента подписания и действует до полного исполнения Сторонами обязательств."
    )
    b.para(
        "5.2. Заказчик вправе отказаться от договора в любое время, оплатив Исполнителю фактически "
        "оказанные услуги и понесённые им расходы (статья 782 Гражданского кодекса Российской Федерации)."
    )
    b.para("5.3. Договор составлен в двух экземплярах, имеющих равную юридическую силу, по одному для каждой Стороны.")

    b.heading("6. Реквизиты и подписи сторон")


def _contract_db() -> bytes:
    b = _Builder("Договор об оказании юридических услуг (банкротство)")

    def subject() -> None:
        b.para(
            "1.1. Заказчик поручает, а Исполнитель принимает на себя обязательство оказать Заказчику "
            "юридические услуги по сопровождению процедуры банкротства Заказчика как гражданина в "
            "соответствии с Федеральным законом от 26.10.2002 № 127-ФЗ «О несостоятельности (банкротстве)», "
            "а Заказчик обязуется принять и оплатить эти услуги."
        )
        b.para("1.2. В состав услуг входят:")
        b.items(
            "анализ имущественного положения Заказчика, его доходов и обязательств, консультирование о "
            "порядке и последствиях признания гражданина банкротом;",
            "составление перечня необходимых документов и помощь в их сборе, подготовка запросов в "
            "государственные органы, банки и иные организации;",
            "подготовка списка кредиторов и должников, описи имущества и заявления о признании Заказчика "
            "несостоятельным (банкротом), направление копий заявления кредиторам;",
            "подача заявления и приложенных документов в арбитражный суд;",
            "представление интересов Заказчика в арбитражном суде в деле о банкротстве до вынесения "
            "определения о завершении процедуры, а также во взаимодействии с финансовым управляющим "
            "и кредиторами.",
        )
        b.para(
            "1.3. Расходы по делу о банкротстве (государственная пошлина, вознаграждение финансового "
            "управляющего, вносимое на депозит арбитражного суда, расходы на публикации сведений в Едином "
            "федеральном реестре сведений о банкротстве и газете «Коммерсантъ», почтовые расходы) в стоимость "
            "услуг не входят и оплачиваются Заказчиком отдельно."
        )
        b.para(
            "1.4. Исполнитель не может гарантировать определённого решения суда, в том числе освобождения "
            "Заказчика от исполнения обязательств: оно зависит от обстоятельств дела, добросовестности "
            "Заказчика и оценки суда."
        )

    _contract(
        b,
        client_party=(
            "{{ client.name }}, {{ client.birth_date }} года рождения, паспорт: {{ client.passport }}, "
            "адрес регистрации: {{ client.address }} (далее — «Заказчик»)"
        ),
        subject=subject,
        client_duties=(
            "выдать представителям Исполнителя доверенность на ведение дела о банкротстве, не совершать без "
            "согласования с Исполнителем сделок со своим имуществом и не принимать на себя новых долговых "
            "обязательств до завершения процедуры;"
        ),
    )
    client = [
        (Bold("Заказчик:"),),
        "{{ client.name }}",
        "Дата рождения: {{ client.birth_date }}",
        "Паспорт: {{ client.passport }}",
        "Адрес: {{ client.address }}",
        "ИНН {{ client.inn }}, СНИЛС {{ client.snils }}",
        "Тел.: {{ client.phone }}, e-mail: {{ client.email }}",
    ]
    b.signatures(FIRM_REQUISITES, client)
    return b.to_bytes()


def _contract_du() -> bytes:
    b = _Builder("Договор об оказании юридических услуг")

    def subject() -> None:
        b.para(
            "1.1. Исполнитель обязуется оказать Заказчику юридические услуги: ",
            Bold("{{ deal.title }}"),
            " (далее — «Услуги»), а Заказчик обязуется принять и оплатить Услуги.",
        )
        b.para(
            "1.2. В Услуги входят консультирование Заказчика, анализ представленных им документов, подготовка "
            "необходимых документов (заявлений, претензий, жалоб, ходатайств) и, если это нужно для "
            "результата, представление интересов Заказчика в государственных органах, организациях и судах."
        )
        b.para(
            "1.3. Государственные пошлины, нотариальные, почтовые и иные расходы, связанные с оказанием "
            "Услуг, в их стоимость не входят и оплачиваются Заказчиком отдельно."
        )

    _contract(
        b,
        # The client of a service contract may be an organisation, with no passport or birth date.
        client_party=(
            "{{ client.name }}{% if client.passport %}, паспорт: {{ client.passport }}{% endif %}, "
            "адрес: {{ client.address }} (далее — «Заказчик»)"
        ),
        subject=subject,
        client_duties=(
            "при необходимости выдать представителям Исполнителя доверенность на совершение действий по договору;"
        ),
    )
    client = [
        (Bold("Заказчик:"),),
        "{{ client.name }}",
        "{% if client.passport %}Паспорт: {{ client.passport }}{% endif %}",
        "Адрес: {{ client.address }}",
        "{% if client.inn %}ИНН {{ client.inn }}{% endif %}",
        "Тел.: {{ client.phone }}, e-mail: {{ client.email }}",
    ]
    b.signatures(FIRM_REQUISITES, client)
    return b.to_bytes()


def _invoice() -> bytes:
    b = _Builder("Счёт на оплату")
    # The bank block as Russian payers know it from every bank's and 1C's invoice.
    bank = b.table(
        [4.3, 4, 2.7, 6],
        [
            [["{{ firm.bank }}", Small("Банк получателя")], "", "БИК", "{{ firm.bik }}"],
            ["", "", "Корр. счёт", "{{ firm.corr_account }}"],
            ["ИНН {{ firm.inn }}", "КПП {{ firm.kpp }}", "Сч. №", "{{ firm.account }}"],
            [["{{ firm.name }}", Small("Получатель")], "", "", ""],
        ],
        header=False,
    )
    bank.cell(0, 0).merge(bank.cell(1, 1))
    bank.cell(2, 2).merge(bank.cell(3, 2))
    bank.cell(2, 3).merge(bank.cell(3, 3))
    bank.cell(3, 0).merge(bank.cell(3, 1))

    b.title("Счёт на оплату № {{ document.number }} от {{ document.date }}")
    b.para(
        Bold("Исполнитель: "),
        "{{ firm.name }}, " + FIRM_INN_KPP + ", {{ firm.address }}, тел. {{ firm.phone }}",
        space_before=6,
        align=LEFT,
    )
    b.para(Bold("Плательщик: "), "{{ client.name }}, {{ client.address }}", align=LEFT)
    b.para(Bold("Основание: "), "договор № {{ deal.contract_number }} от {{ deal.contract_date }}", align=LEFT)
    b.gap()
    b.table(
        [0.9, 7.5, 1.6, 1.2, 2.9, 2.9],
        [
            ["№", "Наименование услуги", "Кол-во", "Ед.", "Цена, руб.", "Сумма, руб."],
            ["1", "{{ payment.purpose }}", "1", "усл.", "{{ payment.amount }}", "{{ payment.amount }}"],
        ],
        aligns=[CENTER, LEFT, CENTER, CENTER, RIGHT, RIGHT],
    )
    b.para(Bold("Итого: {{ payment.amount }}"), align=RIGHT)
    b.para(Bold("{{ payment.vat }}"), align=RIGHT)
    b.para("Всего наименований 1, на сумму {{ payment.amount }} руб.", align=LEFT, space_before=6)
    b.para(Bold("Всего к оплате: {{ payment.amount }} руб. ({{ payment.amount_words }})"), align=LEFT)
    b.para(
        "В назначении платежа укажите номер и дату счёта. Счёт действителен в течение 5 (пяти) банковских дней.",
        space_before=6,
    )
    b.para("Для оплаты отсканируйте QR-код в приложении банка:", align=LEFT, space_before=6)
    # Alone in its paragraph: docxtpl puts the picture in place of this run.
    b.para("{{ qr }}", align=LEFT)
    b.para("{{ firm.signatory_position }} _______________ / {{ firm.signatory_short }}", align=LEFT, space_before=18)
    return b.to_bytes()


def _act() -> bytes:
    b = _Builder("Акт об оказанных услугах")
    b.title("Акт № {{ document.number }} об оказанных услугах")
    b.para("к договору № {{ deal.contract_number }} от {{ deal.contract_date }}", align=CENTER)
    b.place_and_date()
    b.para(Bold("Исполнитель: "), "{{ firm.name }}, " + FIRM_INN_KPP + ", {{ firm.address }}", align=LEFT)
    b.para(Bold("Заказчик: "), "{{ client.name }}, {{ client.address }}", align=LEFT)
    b.para("Исполнитель оказал, а Заказчик принял следующие услуги:", space_before=6)
    b.table(
        [1.5, 11.5, 4],
        [
            ["№ п/п", "Наименование услуги", "Сумма, руб."],
            *_loop_rows("services", ["{{ row.number }}", "{{ row.name }}", "{{ row.amount }}"]),
        ],
        aligns=[CENTER, LEFT, RIGHT],
    )
    b.para(Bold("Итого: {{ payment.amount }}"), align=RIGHT)
    b.para(Bold("{{ payment.vat }}"), align=RIGHT)
    b.para(
        "Всего оказано услуг на сумму ",
        Bold("{{ payment.amount }} руб. ({{ payment.amount_words }})"),
        ".",
        space_before=6,
    )
    b.para(
        "Услуги оказаны полностью и в срок, Заказчик претензий по объёму, качеству и срокам оказания услуг не имеет."
    )
    b.para("Акт составлен в двух экземплярах, по одному для каждой из Сторон.")
    b.gap()
    b.signatures(
        [(Bold("Исполнитель:"),), "{{ firm.name }}"],
        [(Bold("Заказчик:"),), "{{ client.name }}"],
    )
    return b.to_bytes()


def _power_of_attorney() -> bytes:
    b = _Builder("Доверенность")
    b.title("Доверенность")
    # The date is what makes a power of attorney valid (art. 186 of the Civil Code); written in words.
    b.place_and_date()
    b.para(
        "Я, ",
        Bold("{{ client.name }}"),
        ", {{ client.birth_date }} года рождения, паспорт: {{ client.passport }}, адрес регистрации: "
        "{{ client.address }}, ИНН {{ client.inn }}, СНИЛС {{ client.snils }}, настоящей доверенностью "
        "уполномочиваю ",
        Bold("{{ firm.name }}"),
        " (ИНН {{ firm.inn }}, ОГРН {{ firm.ogrn }}, адрес: {{ firm.address }}) представлять мои интересы "
        "в арбитражном суде в деле о признании меня несостоятельным (банкротом)"
        # In brackets: the court's name is kept in the nominative and cannot follow "в".
        "{% if deal.court %} ({{ deal.court }}"
        "{% if deal.case_number %}, дело № {{ deal.case_number }}{% endif %}){% endif %}"
        ", в судах апелляционной и кассационной инстанций, а также перед финансовым управляющим, "
        "кредиторами, в государственных органах, банках и иных организациях.",
    )
    b.para("Для этого предоставляю право:")
    b.items(
        "подписывать и подавать заявление о признании меня несостоятельным (банкротом), отзывы, "
        "ходатайства, заявления, объяснения и иные документы, в том числе в электронном виде;",
        "знакомиться с материалами дела, делать выписки и снимать копии, представлять доказательства, "
        "участвовать в судебных заседаниях, заявлять отводы;",
        "обжаловать судебные акты, подписывать апелляционные и кассационные жалобы, заявления о пересмотре "
        "судебных актов по новым или вновь открывшимся обстоятельствам, заключать мировое соглашение;",
        "получать судебные акты, исполнительные документы и почтовую корреспонденцию;",
        "участвовать в собраниях кредиторов, знакомиться с отчётами финансового управляющего;",
        "запрашивать и получать справки, выписки и иные документы в налоговых органах, Социальном фонде "
        "России, органах Росреестра, ГИБДД, ЗАГС, бюро кредитных историй, банках и иных организациях;",
        "совершать все иные действия, необходимые для исполнения этого поручения.",
    )
    b.para("Доверенность выдана сроком на 3 (три) года с правом передоверия полномочий другим лицам.", space_before=6)
    b.para(
        "Подпись доверителя: _______________________________ / {{ client.name }}",
        align=LEFT,
        space_before=18,
    )
    b.para(Small("(подпись, фамилия, имя, отчество полностью)"), align=CENTER)
    return b.to_bytes()


def _creditor_list() -> bytes:
    b = _Builder("Список кредиторов и должников гражданина")
    b.title("Список кредиторов и должников гражданина")
    b.para(Bold("Сведения о гражданине"), align=CENTER, space_before=6)
    b.table(
        [6, 11],
        [
            ["Фамилия, имя, отчество", "{{ client.name }}"],
            ["Дата рождения", "{{ client.birth_date }}"],
            ["Паспорт", "{{ client.passport }}"],
            ["Адрес регистрации", "{{ client.address }}"],
            ["ИНН", "{{ client.inn }}"],
            ["СНИЛС", "{{ client.snils }}"],
        ],
        header=False,
    )
    b.para(Bold("I. Сведения о кредиторах гражданина"), align=CENTER)
    b.table(
        [1.2, 5.4, 3.2, 4, 3.2],
        [
            ["№ п/п", "Кредитор", "ИНН кредитора", "Содержание обязательства", "Сумма, руб."],
            *_loop_rows(
                "creditors",
                ["{{ row.number }}", "{{ row.name }}", "{{ row.inn }}", "{{ row.kind }}", "{{ row.amount }}"],
            ),
        ],
        aligns=[CENTER, LEFT, CENTER, LEFT, RIGHT],
    )
    b.para(Bold("Итого: {{ creditors_total }} руб."), align=RIGHT)
    # Debtors of the client are rare and not kept in the CRM: the lawyer writes them in by hand.
    b.para(Bold("II. Сведения о должниках гражданина"), align=CENTER, space_before=6)
    debtors = b.table(
        [1.2, 5.4, 3.2, 4, 3.2],
        [
            ["№ п/п", "Должник", "ИНН должника", "Содержание обязательства", "Сумма, руб."],
            ["", "", "", "", ""],
            ["", "", "", "", ""],
        ],
    )
    for row in debtors.rows[1:]:
        row.height = Cm(0.8)  # room to write by hand
    b.para("Достоверность и полноту настоящих сведений подтверждаю.", space_before=6)
    b.para(
        "{{ document.date }}",
        "\t",
        "_______________ / {{ client.short_name }}",
        align=LEFT,
        space_before=12,
    ).paragraph_format.tab_stops.add_tab_stop(TEXT_WIDTH, WD_TAB_ALIGNMENT.RIGHT)
    return b.to_bytes()


_BUILDERS: dict[str, Callable[[], bytes]] = {
    "contract_db": _contract_db,
    "contract_du": _contract_du,
    "invoice": _invoice,
    "act": _act,
    "power_of_attorney": _power_of_attorney,
    "creditor_list": _creditor_list,
}


def build(kind: str) -> bytes:
    """The .docx bytes of the firm's default template of this kind."""
    if kind not in _BUILDERS:
        raise ValueError(f"Unknown document kind: {kind!r}")
    return _BUILDERS[kind]()
