"""Documents made from the default templates: the right client, number and sums, in Word and PDF,
the invoice's QR code exactly by ГОСТ Р 56042-2014; numbering never reuses a number; refusals
change nothing."""

from datetime import date
from decimal import Decimal

import pytest

from clients.models import ClientDocument
from crm import outbox
from crm.errors import DomainError
from crm.models import OutboxJob
from deals.models import Creditor
from deals.services import creditor_add, deal_move_to_stage, payment_record, schedule_set
from integrations.documents import services
from integrations.models import DocumentSeries, GeneratedDocument, LegalEntity
from tests.documents.helpers import docx_text, flat, pdf_text, qr_codes
from tests.factories import contract_data, court_data, make_deal

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def deal(manager_msk):
    deal = make_deal(manager=manager_msk, last_name="Документов", first_name="Пётр", patronymic="Ильич")
    return deal_move_to_stage(deal=deal, stage="db_prep_court", by=manager_msk, data=contract_data())


def _make(document: GeneratedDocument) -> GeneratedDocument:
    assert services.document_make(document.pk) == "done"
    document.refresh_from_db()
    assert document.status == GeneratedDocument.Status.READY
    return document


def _files(document) -> tuple[str, str, bytes]:
    docx = document.docx.file.read()
    pdf = document.pdf.file.read()
    return flat(docx_text(docx)), flat(pdf_text(pdf)), pdf


def test_invoice_in_word_and_pdf_with_the_amount_in_words_and_an_exact_qr(deal, manager_msk, firm):
    document = _make(services.document_request(deal=deal, by=manager_msk, kind="invoice", amount="120000"))
    year = date.today().year
    assert document.number == f"СЧ-{year}-0001"
    word, pdf, pdf_bytes = _files(document)
    for text in (word, pdf):
        assert "Документов Пётр Ильич" in text
        assert f"Счёт на оплату № СЧ-{year}-0001" in text
        assert "120 000,00" in text
        assert "сто двадцать тысяч рублей 00 копеек" in text
        assert "договор № ДБ-17/2026" in text
    purpose = (
        f"Оплата по счёту № СЧ-{year}-0001 от {date.today():%d.%m.%Y} "
        "за юридические услуги по договору № ДБ-17/2026. Без НДС"
    )
    assert qr_codes(pdf_bytes) == [
        "ST00012|Name=ООО «Решение»|PersonalAcc=40702810938000012345|BankName=ПАО Сбербанк|BIC=044525225"
        f"|CorrespAcc=30101810400000000225|Sum=12000000|Purpose={purpose}|PayeeINN=7707083893|KPP=773601001"
    ]
    # Both files are the client's documents, under the names a person expects.
    assert document.docx.kind == ClientDocument.Kind.INVOICE == document.pdf.kind
    assert document.pdf.name == f"Счёт № СЧ-{year}-0001.pdf"


def test_contract_keeps_the_deal_number_and_counts_versions(deal, manager_msk, firm):
    first = _make(services.document_request(deal=deal, by=manager_msk, kind="contract"))
    second = _make(services.document_request(deal=deal, by=manager_msk, kind="contract"))
    assert (first.number, first.version) == ("ДБ-17/2026", 1)
    assert (second.number, second.version) == ("ДБ-17/2026", 2)
    assert second.pdf.name == "Договор № ДБ-17-2026 (версия 2).pdf"
    word, pdf, _ = _files(second)
    for text in (word, pdf):
        assert "Договор № ДБ-17/2026" in text
        assert "Документов Пётр Ильич" in text
        assert "120 000,00" in text and "сто двадцать тысяч рублей 00 копеек" in text
    # No number was taken from the series for a contract that has one.
    assert not DocumentSeries.objects.filter(key="contract_db").exists()


def test_unsigned_contract_takes_the_next_number_of_the_year(manager_msk, firm):
    deal = make_deal(manager=manager_msk, last_name="Новиков")
    year = date.today().year
    DocumentSeries.objects.create(key="contract_db", year=year, pattern="ДБ-{year}-{n:04}", next_number=42)
    document = _make(services.document_request(deal=deal, by=manager_msk, kind="contract", amount="95000"))
    assert document.number == f"ДБ-{year}-0042"
    word, pdf, _ = _files(document)
    assert f"Договор № ДБ-{year}-0042" in pdf
    assert "девяносто пять тысяч рублей 00 копеек" in word
    # Redrafted before signing: the same number, a new version.
    again = services.document_request(deal=deal, by=manager_msk, kind="contract", amount="90000")
    assert (again.number, again.version) == (f"ДБ-{year}-0042", 2)
    assert DocumentSeries.objects.get(key="contract_db", year=year).next_number == 43


def test_act_and_court_papers(deal, manager_msk, lawyer_msk, firm):
    payment_record(deal=deal, by=manager_msk, paid_on=date.today(), amount=Decimal("40000"), method="card")
    act = _make(services.document_request(deal=deal, by=manager_msk, kind="act"))
    assert act.amount == Decimal("40000.00")
    word, pdf, _ = _files(act)
    for text in (word, pdf):
        assert f"Акт № {act.number}" in text and "40 000,00" in text and "сорок тысяч рублей 00 копеек" in text

    creditor_add(deal=deal, by=lawyer_msk, name="ПАО «Банк Кредит»", kind=Creditor.Kind.BANK, amount=Decimal("350000"))
    listed = _make(services.document_request(deal=deal, by=lawyer_msk, kind="creditor_list"))
    word, pdf, _ = _files(listed)
    assert "ПАО «Банк Кредит»" in pdf and "350 000,00" in pdf and "Документов Пётр Ильич" in word

    attorney = _make(services.document_request(deal=deal, by=lawyer_msk, kind="power_of_attorney"))
    _, pdf, _ = _files(attorney)
    assert "Доверенность" in pdf and "Документов Пётр Ильич" in pdf


def test_invoice_amount_defaults_to_the_next_instalment_then_the_balance(deal, manager_msk, firm):
    today = date.today()
    schedule_set(
        deal=deal,
        by=manager_msk,
        items=[(today, Decimal("40000")), (date(today.year + 1, 1, 15), Decimal("80000"))],
    )
    payment_record(deal=deal, by=manager_msk, paid_on=today, amount=Decimal("10000"), method="cash")
    assert services.document_request(deal=deal, by=manager_msk, kind="invoice").amount == Decimal("30000.00")
    payment_record(deal=deal, by=manager_msk, paid_on=today, amount=Decimal("110000"), method="cash")
    with pytest.raises(DomainError, match="не осталось неоплаченных"):
        services.document_request(deal=deal, by=manager_msk, kind="invoice")


def test_a_name_with_markup_characters_is_written_as_text(manager_msk, firm):
    deal = make_deal(manager=manager_msk, last_name="О'Нил <и> & Ко")
    document = _make(services.document_request(deal=deal, by=manager_msk, kind="invoice", amount="1000"))
    _, pdf, _ = _files(document)
    assert "О'Нил <и> & Ко Иван Петрович" in pdf


def test_vat_line_when_the_firm_pays_vat(deal, manager_msk, firm):
    firm.vat_mode = LegalEntity.Vat.RATE
    firm.save()
    document = _make(services.document_request(deal=deal, by=manager_msk, kind="invoice", amount="122000"))
    _, pdf, _ = _files(document)
    assert "В т.ч. НДС 22% — 22 000,00" in pdf


@pytest.mark.parametrize(
    "kwargs, field, message",
    [
        ({"kind": "invoice", "amount": "-5"}, "amount", "больше нуля"),
        ({"kind": "invoice", "amount": "сорок"}, "amount", "Сумма — число"),
        ({"kind": "receipt"}, "kind", "Выберите вид документа"),
    ],
)
def test_bad_input_is_refused_and_takes_no_number(deal, manager_msk, firm, kwargs, field, message):
    with pytest.raises(DomainError) as refused:
        services.document_request(deal=deal, by=manager_msk, **kwargs)
    assert refused.value.field == field and message in refused.value.message
    assert not GeneratedDocument.objects.exists() and not DocumentSeries.objects.exists()


def test_without_requisites_the_manager_is_told_what_is_missing(deal, manager_msk):
    with pytest.raises(DomainError, match="Не заполнены реквизиты фирмы"):
        services.document_request(deal=deal, by=manager_msk, kind="invoice", amount="100")
    assert not GeneratedDocument.objects.exists()


def test_creditor_list_only_for_bankruptcy(manager_msk, firm):
    deal = make_deal(manager=manager_msk, service_line="du")
    with pytest.raises(DomainError, match="только по делам о банкротстве"):
        services.document_request(deal=deal, by=manager_msk, kind="creditor_list")


def test_roles_that_may_not_are_refused_and_nothing_changes(
    deal, firm, lawyer_msk, call_centre, manager2_msk, head_spb
):
    for user, kind in [
        (lawyer_msk, "invoice"),
        (call_centre, "invoice"),
        (manager2_msk, "invoice"),
        (head_spb, "contract"),
        (lawyer_msk, "contract"),
    ]:
        with pytest.raises(DomainError) as refused:
            services.document_request(deal=deal, by=user, kind=kind, amount="100")
        assert refused.value.code == "forbidden", (user.username, kind)
    assert not GeneratedDocument.objects.exists() and not DocumentSeries.objects.exists()


def test_numbers_run_per_year_and_are_never_reused(deal, manager_msk, firm, time_machine):
    time_machine.move_to("2026-12-30 12:00 +03:00")
    a = services.document_request(deal=deal, by=manager_msk, kind="invoice", amount="100")
    services.document_failed(a.pk, "проверка")  # a failed document keeps its number
    b = services.document_request(deal=deal, by=manager_msk, kind="invoice", amount="100")
    time_machine.move_to("2027-01-11 12:00 +03:00")
    c = services.document_request(deal=deal, by=manager_msk, kind="invoice", amount="100")
    assert [a.number, b.number, c.number] == ["СЧ-2026-0001", "СЧ-2026-0002", "СЧ-2027-0001"]


def test_requisites_are_checked(firm):
    firm.account = "40702810938000012346"  # one digit off: the control key fails
    with pytest.raises(DomainError) as refused:
        services.legal_entity_clean(firm)
    assert refused.value.field == "account"
    firm.account, firm.bik = "40702810938000012345", "123"
    with pytest.raises(DomainError) as refused:
        services.legal_entity_clean(firm)
    assert refused.value.field == "bik"


def test_series_next_number_never_goes_back(admin_user):
    series = DocumentSeries.objects.create(key="invoice", year=2026, pattern="СЧ-{year}-{n:04}", next_number=10)
    series.next_number = 5
    with pytest.raises(DomainError, match="уже выданы"):
        services.series_save(series=series, by=admin_user)
    series.next_number, series.pattern = 12, "Счёт {n}/{year}"
    services.series_save(series=series, by=admin_user)
    assert services.next_number("invoice", year=2026) == "Счёт 12/2026"


def test_completing_a_stage_asks_for_its_act(deal, manager_msk, lawyer_msk, firm):
    payment_record(deal=deal, by=manager_msk, paid_on=date.today(), amount=Decimal("50000"), method="card")
    deal_move_to_stage(deal=deal, stage="db_in_court", by=lawyer_msk, data=court_data())
    (job,) = OutboxJob.objects.filter(kind=services.STAGE_ACT_KIND)
    assert outbox.deliver(job.kind, job.key) == "act asked"
    assert outbox.deliver(job.kind, job.key) == "nothing"  # done once, not twice
    act = GeneratedDocument.objects.get(kind="act")
    assert (act.amount, act.requested_by) == (Decimal("50000.00"), manager_msk)
    _make(act)
    _, pdf, _ = _files(act)
    assert "этап «Подготовка к АС»" in pdf and "пятьдесят тысяч рублей 00 копеек" in pdf

    # At the end of the case: the rest of the fee, beyond what the first act covered.
    deal_move_to_stage(
        deal=deal, stage="db_archive", by=lawyer_msk, data={"outcome_written_off": True, "outcome_date": date.today()}
    )
    job = OutboxJob.objects.filter(kind=services.STAGE_ACT_KIND, status="pending").get()
    outbox.deliver(job.kind, job.key)
    last = GeneratedDocument.objects.filter(kind="act").latest("id")
    assert last.amount == Decimal("70000.00") and "этап «В суде»" in last.purpose


def test_no_act_jobs_without_requisites(deal, manager_msk, lawyer_msk):
    deal_move_to_stage(deal=deal, stage="db_in_court", by=lawyer_msk, data=court_data())
    assert not OutboxJob.objects.filter(kind=services.STAGE_ACT_KIND).exists()
