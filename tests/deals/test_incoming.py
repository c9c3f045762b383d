"""The incoming documents register: numbering, the reply task, checks, access, the pages, Excel and API."""

import io
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from clients.models import ClientDocument, TimelineEntry
from crm import access
from crm.errors import DomainError
from crm.models import AuditEntry, User
from crm.workdays import add_working_days
from deals.models import IncomingDocument, IncomingSeries
from deals.selectors import deals_visible_to, incoming_responsibles
from deals.services import deal_move_to_stage, incoming_register
from tasks.models import Task
from tests.conftest import token_client
from tests.factories import contract_data, make_deal

MSK = ZoneInfo("Europe/Moscow")
COURT = "Арбитражный суд г. Москвы"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _scan(name="определение.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4\n%%EOF\n", "application/pdf")


@pytest.fixture
def deal(manager_msk):
    deal = make_deal(manager=manager_msk, last_name="Входящев")
    return deal_move_to_stage(deal=deal, stage="db_prep_court", by=manager_msk, data=contract_data())


def register(deal, by, **kw):
    fields = {
        "received_on": timezone.localdate(),
        "sender": COURT,
        "kind": IncomingDocument.Kind.COURT_RULING,
        "upload": _scan(),
    }
    return incoming_register(deal=deal, by=by, **(fields | kw))


def state():
    """What a refused registration must leave as it was."""
    return (
        list(IncomingDocument.objects.values_list("pk", flat=True)),
        list(IncomingSeries.objects.values_list("year", "next_number")),
        ClientDocument.objects.count(),
        Task.objects.count(),
        TimelineEntry.objects.count(),
        AuditEntry.objects.count(),
    )


# --- numbering ---------------------------------------------------------------------------------


def test_numbers_run_per_year_and_are_never_given_twice(deal, manager_msk):
    with time_machine.travel(datetime(2025, 12, 30, 11, 0, tzinfo=MSK), tick=False):
        first, second = register(deal, manager_msk), register(deal, manager_msk)
        with pytest.raises(DomainError):
            register(deal, manager_msk, received_on=date(2025, 12, 31))  # ahead: refused, takes no number
    with time_machine.travel(datetime(2026, 1, 12, 11, 0, tzinfo=MSK), tick=False):
        third = register(deal, manager_msk, received_on=date(2025, 12, 31))  # came in December, registered now
        IncomingDocument.objects.filter(pk=third.pk).delete()  # even a row gone leaves its number taken
        fourth = register(deal, manager_msk)
    assert [(d.number, d.year, d.seq) for d in (first, second, third, fourth)] == [
        ("ВХ-2025-0001", 2025, 1),
        ("ВХ-2025-0002", 2025, 2),
        ("ВХ-2026-0001", 2026, 1),
        ("ВХ-2026-0002", 2026, 2),
    ]
    assert dict(IncomingSeries.objects.values_list("year", "next_number")) == {2025: 3, 2026: 3}


# --- the reply task -------------------------------------------------------------------------------


def test_a_deadline_sets_a_task_for_the_responsible(deal, manager_msk, lawyer_msk):
    deadline = add_working_days(timezone.localdate(), 2)
    doc = register(deal, manager_msk, reply_deadline=deadline, responsible=lawyer_msk, summary="Отзыв к заседанию")
    task = Task.objects.get()
    assert doc.task == task
    assert (task.responsible, task.author, task.deadline, task.deal, task.client) == (
        lawyer_msk,
        manager_msk,
        deadline,
        deal,
        deal.client,
    )
    assert task.title == f"Ответить на входящий № {doc.number}: {COURT}"
    assert task.deadline_reason == ""
    assert "Отзыв к заседанию" in task.body
    assert (doc.responsible, doc.registered_by, doc.client) == (lawyer_msk, manager_msk, deal.client)
    scan = doc.file
    assert (scan.kind, scan.client, scan.name) == ("scan", deal.client, "определение.pdf")
    line = TimelineEntry.objects.get(data__incoming=doc.pk)
    assert line.text == (
        f"Входящий № {doc.number} от {doc.received_on:%d.%m.%Y}: Определение/решение суда, {COURT}, "
        f"ответить до {deadline:%d.%m.%Y} ({lawyer_msk.short_name})"
    )
    assert AuditEntry.objects.filter(target_type="deals.incomingdocument", action="create").count() == 1


def test_the_deals_manager_answers_by_default(deal, manager_msk, head_msk):
    deadline = add_working_days(timezone.localdate(), 1)
    doc = register(deal, head_msk, reply_deadline=deadline)
    assert (doc.responsible, doc.task.responsible, doc.task.author) == (manager_msk, manager_msk, head_msk)


def test_no_deadline_no_task(deal, manager_msk):
    doc = register(deal, manager_msk)
    assert (doc.task, doc.responsible, Task.objects.count()) == (None, None, 0)


def test_a_courts_longer_term_is_the_tasks_reason(deal, manager_msk):
    deadline = add_working_days(timezone.localdate(), 10)
    doc = register(deal, manager_msk, reply_deadline=deadline)
    assert (doc.task.deadline, doc.task.deadline_reason) == (deadline, f"Срок ответа по входящему № {doc.number}")


# --- checks ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"received_on": "tomorrow"}, "received_on", "Дата получения не может быть в будущем."),
        ({"sender": "  "}, "sender", "Укажите отправителя."),
        ({"kind": "fax"}, "kind", "Выберите вид документа."),
        ({"upload": None}, "file", "Прикрепите скан документа."),
        (
            {"received_on": "today", "reply_deadline": "yesterday"},
            "reply_deadline",
            "Срок ответа не может быть раньше даты получения.",
        ),
        ({"received_on": "week_ago", "reply_deadline": "yesterday"}, "reply_deadline", "Срок не может быть в прошлом."),
        (
            {"reply_deadline": "tomorrow", "responsible": "manager2.msk"},
            "responsible",
            "Петрова А.И. не может открыть эту сделку: выберите другого ответственного.",
        ),
    ],
)
def test_refusals_say_why_and_change_nothing(deal, manager_msk, everyone, change, field, message):
    today = timezone.localdate()
    days = {
        "today": today,
        "tomorrow": today + timedelta(days=1),
        "yesterday": today - timedelta(days=1),
        "week_ago": today - timedelta(days=7),
    }
    kw = {k: days.get(v, v) if isinstance(v, str) and k != "sender" and k != "kind" else v for k, v in change.items()}
    if "responsible" in kw:
        kw["responsible"] = everyone[kw["responsible"]]
    before = state()
    with pytest.raises(DomainError) as exc:
        register(deal, manager_msk, **kw)
    assert (exc.value.field, exc.value.message) == (field, message)
    assert state() == before


def test_a_dismissed_manager_cannot_be_the_default(deal, manager_msk, head_msk):
    User.objects.filter(pk=manager_msk.pk).update(is_active=False)
    before = state()
    with pytest.raises(DomainError) as exc:
        register(deal, head_msk, reply_deadline=timezone.localdate() + timedelta(days=1))
    assert exc.value.field == "responsible"
    assert state() == before


# --- access ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("login", ["manager2.msk", "manager.spb", "rop.spb", "callcenter", "office"])
def test_who_may_not_open_the_deal_cannot_register(deal, everyone, login):
    before = state()
    with pytest.raises(DomainError) as exc:
        register(deal, everyone[login])
    assert exc.value.code == "forbidden"
    assert state() == before


@pytest.mark.parametrize("login", ["manager.msk", "rop.msk", "lawyer.msk", "director"])
def test_who_works_the_deal_registers(deal, everyone, login):
    assert register(deal, everyone[login]).registered_by == everyone[login]


def test_the_responsible_list_is_who_may_open_the_deal(deal, everyone, manager_msk):
    listed = set(incoming_responsibles(everyone["director"], deal))
    may_open = {u for u in everyone.values() if deals_visible_to(u).filter(pk=deal.pk).exists()}
    assert listed == may_open
    assert {u.username for u in listed} == {"director", "admin", "rop.msk", "manager.msk", "lawyer.msk"}
    # Before the contract a lawyer may not open the deal, so is not offered.
    fresh = make_deal(manager=manager_msk, last_name="Новиков", phones=["+79160000077"])
    assert {u.username for u in incoming_responsibles(everyone["director"], fresh)} == {
        "director",
        "admin",
        "rop.msk",
        "manager.msk",
    }
    assert not access.may_see_deals(everyone["callcenter"])


# --- the register page, its Excel file, the API ------------------------------------------------


@pytest.fixture
def papers(deal, manager_msk, manager_spb, lawyer_msk):
    today = timezone.localdate()
    spb_deal = make_deal(manager=manager_spb, last_name="Питерский", phones=["+79210000055"])
    return {
        "ruling": register(
            deal, manager_msk, received_on=today - timedelta(days=3), reply_deadline=today, responsible=lawyer_msk
        ),
        "letter": register(
            deal, manager_msk, sender="ПАО Банк", kind="creditor_letter", received_on=today - timedelta(days=1)
        ),
        "spb": register(spb_deal, manager_spb, sender="ФССП", kind="bailiff"),
    }


def _numbers(response) -> list[str]:
    return [d.number for d in response.context["rows"]]


def test_register_lists_what_the_user_may_see(web, papers, everyone):
    ruling, letter, spb = papers["ruling"], papers["letter"], papers["spb"]
    expected = {
        "director": [spb.number, letter.number, ruling.number],
        "rop.msk": [letter.number, ruling.number],
        "manager.msk": [letter.number, ruling.number],
        "lawyer.msk": [letter.number, ruling.number],
        "manager2.msk": [],
        "manager.spb": [spb.number],
    }
    for login, numbers in expected.items():
        web.force_login(everyone[login])
        assert _numbers(web.get(reverse("incoming:register"))) == numbers, login
    for login in ("callcenter", "office"):
        web.force_login(everyone[login])
        assert web.get(reverse("incoming:register")).status_code == 403
        assert web.get(reverse("incoming:export")).status_code == 403


def test_register_filters(web, papers, director):
    web.force_login(director)
    ruling, letter, spb = papers["ruling"], papers["letter"], papers["spb"]
    url = reverse("incoming:register")
    assert _numbers(web.get(url, {"kind": "creditor_letter"})) == [letter.number]
    assert _numbers(web.get(url, {"q": ruling.number.lower()})) == [ruling.number]
    assert _numbers(web.get(url, {"q": "ФССП"})) == [spb.number]
    assert _numbers(web.get(url, {"branch": spb.deal.branch_id})) == [spb.number]
    assert _numbers(web.get(url, {"manager": ruling.deal.manager_id})) == [letter.number, ruling.number]
    assert _numbers(web.get(url, {"deadline": "waiting"})) == [ruling.number]
    assert _numbers(web.get(url, {"deadline": "overdue"})) == []
    day = ruling.received_on.isoformat()
    assert _numbers(web.get(url, {"date_from": day, "date_to": day})) == [ruling.number]
    assert _numbers(web.get(url, {"year": timezone.localdate().year - 1})) == []
    IncomingDocument.objects.filter(pk=ruling.pk).update(reply_deadline=ruling.received_on)  # the term has passed
    assert _numbers(web.get(url, {"deadline": "overdue"})) == [ruling.number]
    Task.objects.filter(pk=ruling.task_id).update(status=Task.Status.DONE)  # answered: neither waiting nor late
    assert _numbers(web.get(url, {"deadline": "overdue"})) == _numbers(web.get(url, {"deadline": "waiting"})) == []
    page = web.get(url).content.decode()
    assert reverse("clients:document_download", args=[ruling.client_id, ruling.file_id]) in page
    assert reverse("tasks:detail", args=[ruling.task_id]) in page


def test_register_pages_by_keyset(web, deal, manager_msk, monkeypatch):
    monkeypatch.setattr("deals.selectors.INCOMING_PAGE", 2)
    docs = [register(deal, manager_msk) for _ in range(3)]
    web.force_login(manager_msk)
    first = web.get(reverse("incoming:register"))
    assert _numbers(first) == [docs[2].number, docs[1].number]
    more = web.get(reverse("incoming:register") + "?" + first.context["next_query"], HTTP_HX_REQUEST="true")
    assert _numbers(more) == [docs[0].number] and not more.context["next_query"]


def test_excel_holds_the_pages_rows(web, papers, director):
    web.force_login(director)
    query = {"kind": "court_ruling"}
    page = web.get(reverse("incoming:register"))
    response = web.get(reverse("incoming:export"))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:4] == ("Входящий №", "Дата получения", "Вид", "Отправитель")
    assert [r[0] for r in rows[1:]] == _numbers(page)
    ruling = papers["ruling"]
    line = next(r for r in rows[1:] if r[0] == ruling.number)
    assert line[1].date() == ruling.received_on and line[2] == "Определение/решение суда" and line[5] == ruling.deal_id
    assert line[9].date() == ruling.reply_deadline and line[11] == "Новая"
    filtered = load_workbook(io.BytesIO(web.get(reverse("incoming:export"), query).content)).worksheets[0]
    assert [r[0] for r in filtered.iter_rows(min_row=2, values_only=True)] == [ruling.number]
    audit = AuditEntry.objects.filter(action="export", target_type="deals.incomingdocument")
    assert [e.changes["rows"] for e in audit.order_by("pk")] == [3, 1]


def test_deal_card_shows_the_section_and_registers(web, deal, manager_msk, lawyer_msk):
    doc = register(deal, manager_msk, reply_deadline=timezone.localdate(), responsible=lawyer_msk)
    web.force_login(manager_msk)
    page = web.get(reverse("deals:detail", args=[deal.pk])).content.decode()
    assert 'data-testid="incoming-section"' in page and doc.number in page
    assert reverse("clients:document_download", args=[deal.client_id, doc.file_id]) in page
    assert reverse("tasks:detail", args=[doc.task_id]) in page
    assert "Зарегистрировать входящий" in page and 'enctype="multipart/form-data"' in page
    data = {
        "received_on": timezone.localdate().isoformat(),
        "sender": "ПАО Сбербанк",
        "kind": "creditor_letter",
        "summary": "Ответ на запрос",
        "file": _scan("письмо.pdf"),
        "reply_deadline": "",
        "responsible": "",
    }
    response = web.post(reverse("deals:incoming_add", args=[deal.pk]), data)
    assert response.status_code == 302 and response["Location"].endswith("#incoming")
    new = IncomingDocument.objects.latest("pk")
    assert (new.sender, new.kind, new.file.name, new.task) == ("ПАО Сбербанк", "creditor_letter", "письмо.pdf", None)


def test_deal_card_form_errors_are_russian(web, deal, manager_msk):
    web.force_login(manager_msk)
    before = state()
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    data = {"received_on": tomorrow, "sender": "Суд", "kind": "court_notice", "file": _scan()}
    response = web.post(reverse("deals:incoming_add", args=[deal.pk]), data)
    assert response.status_code == 400
    assert response.context["incoming_form"].errors == {"received_on": ["Дата получения не может быть в будущем."]}
    assert "Дата получения не может быть в будущем." in response.content.decode()
    assert state() == before


def test_deal_card_refuses_a_stranger(web, deal, manager2_msk):
    web.force_login(manager2_msk)
    before = state()
    data = {"received_on": timezone.localdate().isoformat(), "sender": "Суд", "kind": "other", "file": _scan()}
    assert web.post(reverse("deals:incoming_add", args=[deal.pk]), data).status_code == 404
    assert state() == before


def _api_body(deal, **kw):
    return {
        "deal": deal.pk,
        "received_on": timezone.localdate().isoformat(),
        "sender": COURT,
        "kind": "court_ruling",
        "file": _scan(),
        **kw,
    }


def test_api_registers_and_reads(deal, manager_msk, lawyer_msk):
    api = token_client(manager_msk)
    deadline = add_working_days(timezone.localdate(), 1).isoformat()
    response = api.post(
        reverse("api-incoming-documents"),
        _api_body(deal, reply_deadline=deadline, responsible=lawyer_msk.pk),
        format="multipart",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    doc = IncomingDocument.objects.get()
    assert body["id"] == doc.pk and body["number"] == doc.number and body["responsible"] == lawyer_msk.pk
    assert body["task"] == doc.task_id and body["reply_deadline"] == deadline and body["file_name"] == "определение.pdf"
    assert body["file_url"] == reverse("clients:document_download", args=[deal.client_id, doc.file_id])
    assert api.get(reverse("api-incoming-document-detail", args=[doc.pk])).json() == body
    listed = api.get(reverse("api-incoming-documents"), {"deal": deal.pk}).json()
    assert [r["id"] for r in listed["results"]] == [doc.pk] and listed["next_cursor"] is None


def test_api_refusals(deal, manager_msk, manager2_msk, call_centre, everyone):
    manager, stranger, desk = token_client(manager_msk), token_client(manager2_msk), token_client(call_centre)
    before = state()
    future = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = manager.post(reverse("api-incoming-documents"), _api_body(deal, received_on=future), format="multipart")
    assert (response.status_code, response.json()) == (
        400,
        {"received_on": ["Дата получения не может быть в будущем."]},
    )
    response = manager.post(
        reverse("api-incoming-documents"),
        _api_body(deal, reply_deadline=future, responsible=manager2_msk.pk),
        format="multipart",
    )
    assert response.status_code == 400 and list(response.json()) == ["responsible"]
    response = stranger.post(reverse("api-incoming-documents"), _api_body(deal), format="multipart")
    assert response.status_code == 404
    response = desk.post(reverse("api-incoming-documents"), _api_body(deal), format="multipart")
    assert response.status_code == 403
    assert desk.get(reverse("api-incoming-documents")).status_code == 403
    assert state() == before
    doc = register(deal, manager_msk)
    assert stranger.get(reverse("api-incoming-document-detail", args=[doc.pk])).status_code == 404
    assert stranger.get(reverse("api-incoming-documents")).json()["results"] == []
