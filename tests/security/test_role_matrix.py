"""Role × object × action: every demo login tries everything it must not reach, over the pages and the API.

The demo (`seed_demo`, plus a finished meeting, a client document and a task
file it lacks) is loaded once; then each of the ten demo logins tries every
object it must not reach:

- read: the detail page and the API detail — every such object;
- list: the row must be absent from every list, board, column, home page and
  API list — every such object;
- search: the API (`?q=`) by the client's name, phone and case number — every
  such deal; the deal list page and the intake lookup — one per kind (below);
- create: a payment, comment, document, activity, deal, task, meeting on it;
- change: edit forms, reveals of personal data, reassignment, court data,
  task actions, «потерян» / pool / reanimation;
- calls (Mango Office): a recording of a call with the client played, and
  «Позвонить» (click-to-call) to a client's or a lead's number, on the card
  and over the API; another person's click-to-call read back over the API;
- move: the board's move endpoint (htmx), the card's and the API's;
- export: the payments Excel (all and per manager) must not carry its rows,
  and an Excel import naming it must be refused row by row, saving nothing.

Create / change / move are tried on one object per reason it is out of reach
(another branch, a colleague's, not yet contracted, open or closed task,
meeting or call): those are what the rules tell apart, and trying all of them
on every object would only repeat the same refusal at several times the cost.

Plus the places a role must not enter at all: the audit log (not director or
admin), the admin site (not admin), the Disk page (not director or admin), the
heads' analytics pages and API (heads and the director only; a head's choice of
another branch is a 400, and no deal of it is linked from a dashboard), the
call log «Звонки» and its Excel (heads, director and admin; a head's shows no
call of another branch's staff),
lifting a non-target mark, another caller's `Idempotency-Key`, and the result
of a meeting the desk may open (never shown to the desk).

Who may reach what comes from the rules as README «Кто что видит» states them,
written out here independently of crm/access.py, so the matrix checks the
module instead of repeating it. Each refused attempt must answer 403/404 (or a
400 whose error is on the field naming the object), and nothing may change:
every table of the apps is compared after each group of attempts (an object's
actions, the lists, the back office). URLs are built by name; every URL name
that takes an object's id must be tried by some role.
"""

import io
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from urllib.parse import urlencode

import pytest
from django.apps import apps
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client as WebClient
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from activities import services as activity_services
from activities.models import Activity
from clients import services as client_services
from clients.models import Client, ClientDocument
from crm.models import AuditEntry, Branch, Notification, User
from crm.pipelines import COLUMNS, CONTRACTED, allowed_targets
from crm.roles import Role
from crm.workdays import add_working_days
from deals.models import Deal, IncomingDocument, Payment
from integrations.documents import services as document_services
from integrations.models import GeneratedDocument, MailAttachment, MailMessage, MangoCall, MangoCommand, MangoRecording
from leads.models import Lead, LeadMessage, NonTargetContact
from leads.services import lead_create
from reports.models import DailyReport, ReportQuestion
from tasks import services as task_services
from tasks.models import ChecklistItem, Task, TaskAttachment, TaskParticipant

LOGINS = [
    "director",
    "admin",
    "rop.msk",
    "rop.spb",
    "manager.msk",
    "manager2.msk",
    "manager.spb",
    "lawyer.msk",
    "callcenter",
    "office",
]
EVERYTHING = {Role.DIRECTOR, Role.ADMIN}
DESK = {Role.CALL_CENTRE, Role.OFFICE_MANAGER}
APPS = {"crm", "clients", "deals", "leads", "tasks", "activities", "integrations", "reports"}

# URL names that take an object's id but are not an object a role may be refused here, and why.
NOT_OBJECT_SCOPED = {
    "activities:calendar_of": "a manager's calendar: every employee reads it (entries checked below; "
    "a lawyer's: try_personal)",
    "activities:calendar_ics": "the same calendar as .ics (entries checked below; a lawyer's: try_personal)",
    "activities:clients_state": "a list, by state name (checked below)",
    "deals:board": "a board, by service line (checked below)",
    "deals:board_column": "a board column (checked below)",
    "tasks:report_stop": "report schedules: set and stopped by supervisors, tests/tasks/test_reports.py",
}


# --- who may reach what: README «Кто что видит», written out ---------------------------------


def sees_client(u: User, c: Client, contracted: set[int]) -> bool:
    if u.role in EVERYTHING:
        return True
    if u.role == Role.HEAD_OF_SALES:
        return c.branch_id == u.branch_id
    if u.role == Role.MANAGER:
        return c.manager_id == u.pk
    if u.role == Role.LAWYER:
        return c.branch_id == u.branch_id and c.pk in contracted
    return False  # the intake desk: contact fields only, never the case file


def sees_deal(u: User, d: Deal) -> bool:
    if u.role in EVERYTHING:
        return True
    if u.role == Role.HEAD_OF_SALES:
        return d.branch_id == u.branch_id
    if u.role == Role.MANAGER:
        return d.manager_id == u.pk
    if u.role == Role.LAWYER:
        return d.branch_id == u.branch_id and d.stage in CONTRACTED
    return False


def sees_task(u: User, t: Task, participants: dict[int, set[int]]) -> bool:
    if u.role in EVERYTHING:
        return True
    if u.pk in {t.author_id, t.responsible_id} | participants.get(t.pk, set()):
        return True
    return u.role == Role.HEAD_OF_SALES and t.branch_id == u.branch_id


def sees_lead(u: User, lead: Lead) -> bool:
    if u.role in EVERYTHING or u.role == Role.CALL_CENTRE:
        return True
    if u.role == Role.HEAD_OF_SALES:
        return lead.branch_id == u.branch_id or (lead.branch_id is None and lead.assigned_to_id is None)
    if u.role == Role.MANAGER:
        return lead.assigned_to_id == u.pk
    if u.role == Role.OFFICE_MANAGER:
        return lead.routed_to_office
    return False


def opens_activity(u: User, a: Activity, contracted: set[int]) -> bool:
    if u.role in EVERYTHING or u.pk in (a.responsible_id, a.booked_by_id):
        return True
    if u.role == Role.HEAD_OF_SALES:
        return a.branch_id == u.branch_id
    if u.role in DESK:
        return a.kind in (Activity.Kind.MEETING, Activity.Kind.REMOTE)  # they book, move and cancel them
    return a.client is not None and sees_client(u, a.client, contracted)


def reads_activity_details(u: User, a: Activity, contracted: set[int]) -> bool:
    """Results are case-file content: never the intake desk's."""
    if u.role in DESK:
        return False
    return opens_activity(u, a, contracted)


def sees_in_state_list(u: User, c: Client) -> bool:
    """Abandoned / pool / lost lists: a head's branch, everyone's for director and admin, a manager's own;
    the office manager keeps the pool and the abandoned of their branch."""
    if u.role in EVERYTHING:
        return True
    if u.role == Role.HEAD_OF_SALES:
        return c.branch_id == u.branch_id
    if u.role == Role.MANAGER:
        return c.manager_id == u.pk
    if u.role == Role.OFFICE_MANAGER:
        return c.status in (Client.Status.POOL, Client.Status.ABANDONED) and c.branch_id == u.branch_id
    return False


def opens_contact_card(u: User, c: Client) -> bool:
    """The contact card (phones and history, no case file): the office manager calls back the pool
    and the abandoned of their branch. Everyone else reads clients through the case file."""
    return (
        u.role == Role.OFFICE_MANAGER
        and c.status in (Client.Status.POOL, Client.Status.ABANDONED)
        and c.branch_id == u.branch_id
    )


def sees_staff(u: User, other: User) -> bool:
    if u.role in EVERYTHING or u.role in DESK:
        return True
    if not other.is_active and u.role != Role.HEAD_OF_SALES:
        return False
    return other.branch_id is None or other.branch_id == u.branch_id


def decides_on(u: User, c: Client) -> bool:
    """Reanimate, send to the pool, «потерян окончательно»: a head in their branch, the director."""
    return u.role in EVERYTHING or (u.role == Role.HEAD_OF_SALES and c.branch_id == u.branch_id)


# --- the machinery ------------------------------------------------------------------------


def snapshot() -> dict:
    """Every row of every table of the apps (the login time and export entries aside)."""
    state = {}
    for model in apps.get_models():
        if model._meta.app_label not in APPS:
            continue
        names = [f.attname for f in model._meta.concrete_fields if f.attname != "last_login"]
        qs = model.objects.all()
        if model is AuditEntry:
            qs = qs.exclude(action=AuditEntry.Action.EXPORT)  # a download is logged even when it is empty
        state[model._meta.label] = list(qs.order_by("pk").values_list(*names))
    return state


def refused(response) -> bool:
    return response.status_code in (403, 404)


def refused_field(name: str):
    """403/404, or an API 400 whose error is on the field that names the object."""

    def check(response) -> bool:
        if refused(response):
            return True
        return response.status_code == 400 and name in response.json()

    return check


def refused_saying(text: str):
    """403/404, or a page's 400 that says the object is not the user's."""

    def check(response) -> bool:
        return refused(response) or (response.status_code == 400 and text in response.content.decode())

    return check


def refused_admin(response) -> bool:
    return refused(response) or (
        response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))
    )


@dataclass
class Run:
    user: User
    web: WebClient
    attempts: int = 0
    requests: int = 0
    failures: list = field(default_factory=list)
    names: set = field(default_factory=set)
    state: dict = field(default_factory=snapshot)

    def send(self, method: str, name: str, args=(), *, query=None, data=None, json=False, htmx=False, headers=None):
        self.names.add(name)
        url = reverse(name, args=list(args))
        if query:
            url += "?" + urlencode(query)
        headers = {**(headers or {}), **({"HTTP_HX_REQUEST": "true"} if htmx else {})}
        self.requests += 1
        if method == "get":
            return self.web.get(url, **headers)
        if json:
            return self.web.post(url, data or {}, content_type="application/json", **headers)
        return self.web.post(url, data or {}, **headers)

    def expect(self, what: str, ok: bool, detail: str = "") -> None:
        self.attempts += 1
        if not ok:
            self.failures.append(f"{self.user.username}: {what} {detail}".rstrip())

    def try_refused(self, what, method, name, args=(), *, check=refused, **kw):
        response = self.send(method, name, args, **kw)
        ok = check(response)
        detail = "" if ok else f"→ {response.status_code} {response.content[:160].decode(errors='replace')}"
        self.expect(f"{what} [{name} {method.upper()}]", ok, detail)
        return response

    def unchanged(self, what: str) -> None:
        """Compare every table with the state after the previous group (refusals change nothing, so it holds)."""
        after = snapshot()
        changed = sorted(label for label in self.state if self.state[label] != after.get(label))
        self.expect(f"{what}: nothing changed", not changed, f"→ changed {changed}")
        self.state = after


def _urls_with_ids(resolver=None, namespace="") -> set[str]:
    """Every URL name whose pattern takes an id (an int converter)."""
    resolver = resolver or get_resolver()
    found = set()
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            if p.namespace == "admin":
                continue  # the admin site is tried as a whole below
            found |= _urls_with_ids(p, ns)
        elif isinstance(p, URLPattern) and p.name and "<int:" in str(p.pattern):
            found.add(namespace + p.name)
    return found


@dataclass
class Demo:
    users: dict
    contracted: set
    participants: dict
    future_10: datetime

    def user(self, login: str) -> User:
        return self.users[login]


def _xlsx(rows: list[list]) -> SimpleUploadedFile:
    wb = Workbook()
    ws = wb.active
    ws.append(["№ платежа", "№ сделки", "Клиент", "Дата платежа", "Сумма, ₽", "Способ", "Комментарий"])
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return SimpleUploadedFile(
        "payments.xlsx", out.getvalue(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )


def _pdf() -> SimpleUploadedFile:
    return SimpleUploadedFile("анкета.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", "application/pdf")


def representatives(objects: list, key) -> list:
    """The first object of each kind `key` tells apart."""
    seen, chosen = set(), []
    for obj in objects:
        if key(obj) not in seen:
            seen.add(key(obj))
            chosen.append(obj)
    return chosen


def _href(url: str) -> str:
    return f'href="{url}"'


# --- the objects ------------------------------------------------------------------------------


def try_client(run: Run, demo: Demo, c: Client, *, every_action: bool) -> None:
    u, pk = run.user, c.pk
    future = timezone.localtime(demo.future_10)
    run.try_refused("read client card", "get", "clients:client_detail", [pk])
    run.try_refused("read client over API", "get", "api-client-detail", [pk])
    if not opens_contact_card(u, c):
        run.try_refused("read contact card", "get", "clients:client_contact", [pk])
    if not every_action:
        return
    for pd in ("passport", "snils", "inn"):
        run.try_refused(f"reveal {pd}", "post", "clients:client_reveal", [pk, pd])
    run.try_refused("read Disk folder", "get", "integrations:disk_folder", [pk])
    run.try_refused("download from Disk", "get", "integrations:disk_file", [pk], query={"name": "Анкета.pdf"})
    document = ClientDocument.objects.filter(client=c).first()
    run.try_refused("download a document", "get", "clients:document_download", [pk, document.pk if document else 1])
    for recording in MangoRecording.objects.filter(call__client=c).order_by("pk"):
        run.try_refused("play a call recording", "get", "integrations:mango_recording", [recording.pk])
    phone = c.phones.order_by("pk").first()
    dial = {"client": pk, "number": phone.number_norm if phone else "79000000000"}
    run.try_refused("call the client from the CRM", "post", "integrations:mango_dial", data=dial)
    run.try_refused(
        "call the client over API", "post", "api-click-to-call", data=dial, json=True, check=refused_field("client")
    )
    # Mail (switched on for the matrix): the compose page, sending, and «Повторить» on the client's letters.
    letter = {"to": c.email or "x@x.test", "subject": "взлом", "text": "взлом"}
    run.try_refused("open the letter form", "get", "integrations:mail_compose", [pk])
    run.try_refused("write the client a letter", "post", "integrations:mail_compose", [pk], data=letter)
    for mail in MailMessage.objects.filter(client=c).order_by("pk"):
        run.try_refused("retry a letter", "post", "integrations:mail_retry", [mail.pk])
    for attachment in MailAttachment.objects.filter(message__client=c).order_by("pk"):
        run.try_refused("open a letter's file", "get", "integrations:mail_attachment", [attachment.pk])
    run.try_refused("open edit form", "get", "clients:client_edit", [pk])
    edit = {"kind": "person", "last_name": "Взломов", "first_name": "Иван", "phones": "+7 900 000-00-00"}
    run.try_refused("edit client", "post", "clients:client_edit", [pk], data=edit)
    run.try_refused("comment on client", "post", "clients:client_comment", [pk], data={"text": "@all взлом"})
    run.try_refused("attach a document", "post", "clients:document_add", [pk], data={"kind": "other", "file": _pdf()})
    run.try_refused("open plan form", "get", "activities:activity_plan", [pk])
    plan = {"kind": "call", "direction": "outbound", "planned_at": f"{future:%Y-%m-%dT%H:%M}", "subject": "x"}
    run.try_refused("plan an activity", "post", "activities:activity_plan", [pk], data=plan)
    api_plan = {"kind": "call", "client": pk, "planned_at": future.isoformat(), "subject": "x"}
    run.try_refused(
        "plan an activity over API", "post", "api-activities", data=api_plan, json=True, check=refused_field("client")
    )
    run.try_refused(
        "open a deal over API",
        "post",
        "api-deals",
        data={"client": pk, "service_line": "du"},
        json=True,
        check=refused_field("client"),
    )
    if u.role not in DESK and u.role != Role.LAWYER:
        # Booking a meeting with someone else's client into one's own (or the branch's) calendar.
        own = u if u.role == Role.MANAGER else demo.user("manager.msk" if u.branch_id == c.branch_id else "manager.spb")
        meeting = {
            "manager": own.pk,
            "kind": "meeting",
            "starts_at": future.isoformat(),
            "ends_at": (future + timedelta(hours=1)).isoformat(),
            "client": pk,
        }
        run.try_refused(
            "book a meeting", "post", "api-meetings", data=meeting, json=True, check=refused_field("client")
        )
    run.unchanged(f"client {c.display_name}")


def try_decisions(run: Run, demo: Demo, c: Client) -> None:
    """Pool / reanimation / «потерян»: only a head of the client's branch or the director decides."""
    future = timezone.localtime(demo.future_10)
    reanimate = {"manager": demo.user("manager.msk").pk, "planned_at": f"{future:%Y-%m-%dT%H:%M}"}
    run.try_refused("reanimate", "post", "activities:client_reanimate", [c.pk], data=reanimate)
    run.try_refused("send to pool", "post", "activities:client_to_pool", [c.pk])
    run.try_refused("mark lost", "post", "activities:client_lost", [c.pk], data={"reason": "взлом"})
    run.unchanged(f"decisions on {c.display_name}")


def try_deal(run: Run, demo: Demo, d: Deal, *, every_action: bool) -> None:
    pk = d.pk
    today = timezone.localdate()
    run.try_refused("read deal card", "get", "deals:detail", [pk])
    run.try_refused("read deal over API", "get", "api-deal-detail", [pk])
    run.try_refused("read the deal's documents", "get", "integrations:documents_section", [pk])
    for document in GeneratedDocument.objects.filter(deal=d):
        run.try_refused("read a made document over API", "get", "api-document-detail", [document.pk])
        run.try_refused("download a made document's Word", "get", "api-document-docx", [document.pk])
        run.try_refused("download a made document's PDF", "get", "api-document-pdf", [document.pk])
    if not every_action:
        return
    invoice = {"kind": "invoice", "amount": "1000"}
    run.try_refused("make an invoice", "post", "integrations:document_request", [pk], data=invoice)
    run.try_refused("make an invoice over API", "post", "api-deal-documents", [pk], data=invoice, json=True)
    run.try_refused("reveal debts", "post", "deals:reveal_debts", [pk])
    targets = allowed_targets(d.stage) or [d.stage]
    stage_data = {
        "stage": targets[0],
        "contract_number": "ВЗЛ-1",
        "contract_date": today.isoformat(),
        "fee": "100000",
        "court": "Арбитражный суд г. Москвы",
        "case_number": "А40-999999/2026",
        "filing_date": today.isoformat(),
        "outcome_written_off": "true",
        "outcome_date": today.isoformat(),
        "termination_reason": "взлом",
    }
    run.try_refused("open move form", "get", "deals:move", [pk], query={"stage": targets[0]})
    run.try_refused("move on the card", "post", "deals:move", [pk], data=stage_data)
    run.try_refused("move on the board", "post", "deals:move", [pk], data=stage_data, htmx=True)
    run.try_refused("move over API", "post", "api-deal-move", [pk], data=stage_data, json=True)
    others = [m for m in demo.users.values() if m.role in (Role.MANAGER, Role.HEAD_OF_SALES) and m.pk != d.manager_id]
    run.try_refused("reassign", "post", "deals:reassign", [pk], data={"manager": others[0].pk})
    payment = {"paid_on": today.isoformat(), "amount": "1000", "method": "transfer", "comment": "взлом"}
    run.try_refused("record a payment", "post", "deals:payment_add", [pk], data=payment)
    run.try_refused(
        "record a payment over API",
        "post",
        "api-payments",
        data={"deal": pk, **payment},
        json=True,
        check=refused_field("deal"),
    )
    lines = f"{(today + timedelta(days=30)):%d.%m.%Y} 1000"
    run.try_refused("set the schedule", "post", "deals:schedule", [pk], data={"lines": lines})
    run.try_refused("change case data", "post", "deals:case", [pk], data={"court": "взлом", "judge": "взлом"})
    run.try_refused(
        "add a creditor", "post", "deals:creditor_add", [pk], data={"name": "Банк", "kind": "bank", "amount": "1"}
    )
    hearing = {"date": f"{today + timedelta(days=9):%Y-%m-%d}T10:00", "result": "взлом"}
    run.try_refused("add a hearing", "post", "deals:hearing_add", [pk], data=hearing)
    incoming = {"received_on": today.isoformat(), "sender": "взлом", "kind": "other", "summary": "взлом"}
    deadline = {"reply_deadline": add_working_days(today, 2).isoformat(), "responsible": run.user.pk}
    run.try_refused(
        "register an incoming paper", "post", "deals:incoming_add", [pk], data={**incoming, **deadline, "file": _pdf()}
    )
    run.try_refused(
        "register an incoming paper over API",
        "post",
        "api-incoming-documents",
        data={"deal": pk, **incoming, **deadline, "file": _pdf()},
        check=refused_field("deal"),
    )
    task = {"form": "task", "title": "взлом", "body": "взлом", "responsible": run.user.pk, "deal": pk}
    run.try_refused(
        "set a task on the deal over API", "post", "api-tasks", data=task, json=True, check=refused_field("deal")
    )
    deadline = add_working_days(today, 2).isoformat()
    run.try_refused(
        "set a task on the deal",
        "post",
        "tasks:new",
        data={**task, "deadline": deadline},
        check=refused_saying("Сделки с таким номером у вас нет"),
    )
    response = run.send("get", "api-payments", query={"deal": pk})
    ids = (
        {row["id"] for row in response.json().get("results", response.json())} if response.status_code == 200 else set()
    )
    for p in Payment.objects.filter(deal=d):
        run.expect(f"payment {p.pk} absent from API ?deal={pk}", p.pk not in ids)
    run.unchanged(f"deal {pk} ({d.client.display_name})")


def try_task(run: Run, demo: Demo, t: Task, *, every_action: bool) -> None:
    pk = t.pk
    other = demo.user("manager.spb" if run.user.username != "manager.spb" else "manager.msk")
    run.try_refused("read task", "get", "tasks:detail", [pk])
    run.try_refused("read task over API", "get", "api-task-detail", [pk])
    if not every_action:
        return
    forms = {
        "comment": {"text": "взлом"},
        "start": {},
        "complete": {"text": "взлом"},
        "accept": {},
        "return": {"text": "взлом"},
        "defer": {"text": "взлом"},
        "decline": {"text": "взлом"},
        "answer": {"text": "взлом"},
        "delegate": {"to": other.pk, "text": "взлом"},
        "decide": {"decision": "approve", "text": "взлом"},
        "deadline": {"deadline": add_working_days(timezone.localdate(), 2).isoformat(), "reason": "взлом"},
        "observer": {"user": run.user.pk},
    }
    for action, data in forms.items():
        run.try_refused(f"task {action}", "post", "tasks:action", [pk, action], data=data)
    for name, data in (
        ("api-task-comment", {"text": "взлом"}),
        ("api-task-delegate", {"to": other.pk, "text": "взлом"}),
        ("api-task-decide", {"decision": "approve", "text": "взлом"}),
        ("api-task-complete", {"text": "взлом"}),
    ):
        run.try_refused(name, "post", name, [pk], data=data, json=True)
    run.try_refused("attach a file", "post", "tasks:attachment_add", [pk], data={"files": _pdf()})
    attachment = TaskAttachment.objects.filter(task=t).first()
    run.try_refused("download a file", "get", "tasks:attachment", [pk, attachment.pk if attachment else 1])
    item = ChecklistItem.objects.filter(task=t).first()
    run.try_refused("tick the checklist", "post", "tasks:checklist_toggle", [pk, item.pk if item else 1])
    run.try_refused("submit a report", "post", "tasks:report_submit", [pk], data={"answer_0": "взлом"})
    run.unchanged(f"task {pk} «{t.title}»")


def try_lead(run: Run, demo: Demo, lead: Lead) -> None:
    pk = lead.pk
    manager = demo.user("manager.msk")
    run.try_refused("read lead", "get", "leads:detail", [pk])
    run.try_refused("read lead over API", "get", "api-lead-detail", [pk])
    run.try_refused("assign lead", "post", "leads:assign", [pk], data={"manager": manager.pk})
    run.try_refused("mark lead non-target", "post", "leads:non_target", [pk], data={"reason": "взлом"})
    run.try_refused("close lead without a deal", "post", "leads:close", [pk], data={"reason": "взлом"})
    convert = {"service_line": "db", "manager": run.user.pk, "last_name": "Взломов", "kind": "person"}
    run.try_refused("convert lead", "post", "leads:convert", [pk], data=convert)
    dial = {"lead": pk, "number": lead.phone_norm or "79000000000"}
    run.try_refused("call the lead from the CRM", "post", "integrations:mango_dial", data=dial)
    run.try_refused(
        "call the lead over API", "post", "api-click-to-call", data=dial, json=True, check=refused_field("lead")
    )
    run.unchanged(f"lead {pk}")


def try_activity(run: Run, demo: Demo, a: Activity, *, every_action: bool) -> None:
    pk = a.pk
    future = timezone.localtime(demo.future_10)
    run.try_refused("read activity", "get", "activities:activity_detail", [pk])
    if not every_action:
        return
    run.try_refused("close activity", "post", "activities:activity_done", [pk], data={"result": "взлом"})
    run.try_refused(
        "reschedule", "post", "activities:activity_reschedule", [pk], data={"starts_at": f"{future:%Y-%m-%dT%H:%M}"}
    )
    run.try_refused("cancel", "post", "activities:activity_cancel", [pk], data={"reason": "взлом"})
    run.try_refused("cancel over API", "post", "api-meeting-cancel", [pk], data={"reason": "взлом"}, json=True)
    run.unchanged(f"activity {pk}")


def merges_duplicates(u: User, branch_id, *, unrouted: bool = False) -> bool:
    """README «Кто что делает», merging: a head their own branch (and, for leads, the unrouted ones with
    no branch), the director and the office manager any; nobody else."""
    if u.role in (Role.DIRECTOR, Role.OFFICE_MANAGER):
        return True
    if u.role == Role.HEAD_OF_SALES:
        return branch_id == u.branch_id or (unrouted and branch_id is None)
    return False


def try_merges(run: Run, demo: Demo) -> None:
    """Merging two leads or two clients: refused on every record the role may not merge, nothing changed."""
    u = run.user
    leads = [lead for lead in Lead.objects.order_by("pk") if not merges_duplicates(u, lead.branch_id, unrouted=True)]
    clients = [c for c in Client.objects.order_by("pk") if not merges_duplicates(u, c.branch_id)]
    any_lead, any_client = Lead.objects.order_by("pk").last(), Client.objects.order_by("pk").last()
    for lead in representatives(leads, lambda x: (x.branch_id, x.status)):
        run.try_refused("merge page", "get", "leads:merge", [lead.pk])
        data = {"other": any_lead.pk, "keep": "this"}
        run.try_refused("merge lead", "post", "leads:merge", [lead.pk], data=data)
    for c in representatives(clients, lambda x: (x.branch_id, x.status)):
        run.try_refused("client merge page", "get", "leads:client_merge", [c.pk])
        data = {"other": any_client.pk, "keep": "other"}
        run.try_refused("merge client", "post", "leads:client_merge", [c.pk], data=data)
    run.unchanged("merging duplicates")


def try_non_target_lift(run: Run, contact: NonTargetContact) -> None:
    """Taking a contact off the non-target list: the office manager, a head, the director, the admin."""
    run.try_refused(f"lift non-target {contact.value}", "post", "leads:non_target_lift", [contact.pk])
    run.unchanged(f"non-target contact {contact.value}")


def lifts_non_target(u: User) -> bool:
    return u.role in EVERYTHING or u.role in (Role.OFFICE_MANAGER, Role.HEAD_OF_SALES)


def try_staff(run: Run, other: User) -> None:
    run.try_refused(f"read employee {other.username}", "get", "crm:staff_detail", [other.pk])
    run.try_refused(f"read employee {other.username} over API", "get", "api-user-detail", [other.pk])


# --- lists, searches, exports -------------------------------------------------------------------


def _api_ids(response) -> set[int]:
    if response.status_code != 200:
        return set()
    body = response.json()
    rows = body.get("results", []) if isinstance(body, dict) else body
    return {row["id"] for row in rows}


def try_lists(run: Run, demo: Demo, *, clients, deals, tasks, leads, activities, staff, chosen) -> None:
    """`chosen`: the representatives, searched on the pages too (every object is searched over the API)."""
    pages = {
        "home page": run.send("get", "home"),
        "my day": run.send("get", "activities:my_day"),
        "deal list": run.send("get", "deals:list"),
        **{f"board {line}": run.send("get", "deals:board", [line]) for line in COLUMNS},
        **{
            f"column {stage}": run.send("get", "deals:board_column", [line, stage])
            for line, stages in COLUMNS.items()
            for stage in stages
        },
    }
    api_deals = _api_ids(run.send("get", "api-deals"))
    for d in deals:
        marker = _href(reverse("deals:detail", args=[d.pk]))
        for title, page in pages.items():
            run.expect(f"deal {d.pk} absent from {title}", marker not in page.content.decode())
        run.expect(f"deal {d.pk} absent from API deal list", d.pk not in api_deals)
        phone = d.client.phones.first()
        searches = [d.client.last_name, phone.number if phone else "", d.case_number]
        for text in filter(None, searches):
            if d in chosen:
                page = run.send("get", "deals:list", query={"q": text})
                run.expect(f"deal {d.pk} not found by «{text}» in the list", marker not in page.content.decode())
            found = _api_ids(run.send("get", "api-deals", query={"q": text}))
            run.expect(f"deal {d.pk} not found by «{text}» over API", d.pk not in found)

    api_clients = _api_ids(run.send("get", "api-clients"))
    lookups = run.user.role not in DESK  # the desk finds any contact by design: names and phones only
    for c in clients:
        run.expect(f"client {c.pk} absent from API client list", c.pk not in api_clients)
        marker = _href(reverse("clients:client_detail", args=[c.pk]))
        for title, page in pages.items():
            run.expect(f"client {c.pk} not linked from {title}", marker not in page.content.decode())
        phone = c.phones.first()
        if lookups and phone and c in chosen:
            page = run.send("get", "leads:lookup", query={"phone": phone.number}).content.decode()
            run.expect(f"client {c.pk} not found by phone in the lead lookup", c.display_name not in page)
    states = {
        s: run.send("get", "activities:clients_state", [s]).content.decode() for s in ("abandoned", "pool", "lost")
    }
    for c in Client.objects.exclude(status=Client.Status.ACTIVE):
        if not sees_in_state_list(run.user, c):
            marker = _href(reverse("clients:client_detail", args=[c.pk]))
            run.expect(
                f"client {c.pk} absent from the «{c.status}» list", all(marker not in s for s in states.values())
            )

    # Payments: the API list, the Excel download (all, and one manager's), the Excel import.
    forbidden_payments = {p.pk: p for p in Payment.objects.filter(deal__in=[d.pk for d in deals])}
    api_payments = _api_ids(run.send("get", "api-payments"))
    for p in forbidden_payments.values():
        run.expect(f"payment {p.pk} absent from API payments", p.pk not in api_payments)
    managers = {d.manager_id for d in deals}
    for query in [{"download": "1"}] + [{"download": "1", "manager": m} for m in sorted(managers)]:
        response = run.send("get", "deals:payments_table", query=query)
        exported = set()
        if response.status_code == 200 and response.get("Content-Type", "").startswith("application/vnd"):
            ws = load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
            exported = {row[0] for row in ws.iter_rows(min_row=2, values_only=True)}
        for p in forbidden_payments.values():
            run.expect(f"payment {p.pk} absent from Excel {query}", p.pk not in exported)
    if deals:
        # One file with a new payment for every such deal: the import must refuse each row and save none.
        today = timezone.localdate()
        rows = [[None, d.pk, d.client.display_name, f"{today:%d.%m.%Y}", 1000, "Перевод", "взлом"] for d in deals]
        response = run.send("post", "deals:payments_table", data={"file": _xlsx(rows)})
        body = response.content.decode()
        for line, d in enumerate(deals, start=2):
            run.expect(
                f"import of a payment for deal {d.pk} refused",
                refused(response) or (response.status_code == 400 and f"Строка {line}, столбец «№ сделки»" in body),
                f"→ {response.status_code}",
            )

    # Incoming documents: the register page, its Excel file, the API list and each paper's API detail.
    if run.user.role in DESK:
        run.try_refused("incoming register", "get", "incoming:register")
        run.try_refused("incoming register Excel", "get", "incoming:export")
        run.try_refused("incoming register over API", "get", "api-incoming-documents")
    forbidden_incoming = list(IncomingDocument.objects.filter(deal__in=[d.pk for d in deals]).order_by("pk"))
    register_page = run.send("get", "incoming:register").content.decode()
    response = run.send("get", "incoming:export")
    exported = set()
    if response.status_code == 200 and response.get("Content-Type", "").startswith("application/vnd"):
        ws = load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
        exported = {row[0] for row in ws.iter_rows(min_row=2, values_only=True)}
    api_incoming = _api_ids(run.send("get", "api-incoming-documents"))
    for doc in forbidden_incoming:
        run.expect(f"incoming {doc.number} absent from the register", doc.number not in register_page)
        run.expect(f"incoming {doc.number} absent from the register's Excel", doc.number not in exported)
        run.expect(f"incoming {doc.number} absent from API incoming documents", doc.pk not in api_incoming)
        run.try_refused("read incoming paper over API", "get", "api-incoming-document-detail", [doc.pk])

    # Tasks, leads, activities, staff.
    tabs = ("mine", "assigned", "co", "watching", "branch", "all")
    task_pages = [run.send("get", "tasks:list", query={"tab": t, "status": "all"}).content.decode() for t in tabs]
    api_tasks = set().union(*(_api_ids(run.send("get", "api-tasks", query={"tab": t, "status": "all"})) for t in tabs))
    for t in tasks:
        marker = _href(reverse("tasks:detail", args=[t.pk]))
        run.expect(f"task {t.pk} absent from the task lists", all(marker not in page for page in task_pages))
        run.expect(f"task {t.pk} absent from API tasks", t.pk not in api_tasks)
    lead_tabs = ("", "new", "work", "non_target", "office")
    lead_pages = [run.send("get", "leads:list", query={"tab": t}).content.decode() for t in lead_tabs]
    office = run.send("get", "leads:office").content.decode()
    api_leads = _api_ids(run.send("get", "api-leads"))
    for lead in leads:
        marker = _href(reverse("leads:detail", args=[lead.pk]))
        run.expect(f"lead {lead.pk} absent from lead lists", all(marker not in p for p in [*lead_pages, office]))
        run.expect(f"lead {lead.pk} absent from API leads", lead.pk not in api_leads)
        if lookups and lead.phone:
            page = run.send("get", "leads:lookup", query={"phone": lead.phone}).content.decode()
            run.expect(f"lead {lead.pk} not offered by the lead lookup", marker not in page)
    owners = {a.responsible_id for a in activities}
    for owner in owners:
        calendar = run.send("get", "activities:calendar_of", [owner], query={"view": "week"}).content.decode()
        feed = run.send("get", "activities:calendar_ics", [owner]).content.decode().replace("\r\n ", "")
        events = dict(re.findall(r"UID:activity-(\d+)@.*?SUMMARY:([^\r\n]*)", feed, flags=re.S))
        for a in (a for a in activities if a.responsible_id == owner):
            marker = _href(reverse("activities:activity_detail", args=[a.pk]))
            run.expect(f"activity {a.pk} not linked from the calendar", marker not in calendar)
            summary = events.get(str(a.pk), "")
            run.expect(f"activity {a.pk}: the .ics hides who", not a.who or a.who not in summary)
    api_activities = _api_ids(run.send("get", "api-activities", query={"status": "done"}))
    api_activities |= _api_ids(run.send("get", "api-activities"))
    for a in activities:
        run.expect(f"activity {a.pk} absent from API activities", a.pk not in api_activities)
    staff_page = run.send("get", "crm:staff_list").content.decode()
    api_staff = _api_ids(run.send("get", "api-users"))
    for other in staff:
        marker = _href(reverse("crm:staff_detail", args=[other.pk]))
        run.expect(f"employee {other.username} absent from the staff list", marker not in staff_page)
        run.expect(f"employee {other.username} absent from API users", other.pk not in api_staff)
    run.unchanged("lists, searches and exports")


def try_results(run: Run, demo: Demo) -> None:
    """An activity the role may open but whose result is case-file content: the page must not show it."""
    for a in Activity.objects.exclude(result="").select_related("client"):
        if opens_activity(run.user, a, demo.contracted) and not reads_activity_details(run.user, a, demo.contracted):
            page = run.send("get", "activities:activity_detail", [a.pk])
            run.expect(
                f"activity {a.pk}: result hidden",
                page.status_code in (403, 404) or a.result not in page.content.decode(),
            )


IDEMPOTENCY_KEY = "site-form-42"
KEYED_LEAD = {"source": "site", "phone": "+7 916 555-42-42", "name": "Заявка с сайта", "message": "Долг 2 млн"}


def try_idempotency_key(run: Run, keyed: Lead) -> None:
    """Another caller's `Idempotency-Key`, with the very same body: a lead of one's own (or a refusal),
    never the other caller's row."""
    response = run.send(
        "post", "api-leads", data=KEYED_LEAD, json=True, headers={"HTTP_IDEMPOTENCY_KEY": IDEMPOTENCY_KEY}
    )
    body = response.json() if response.status_code in (200, 201) else {}
    # The same phone is a repeat request: one who may see the open lead continues it (200, the request
    # kept in its history under this caller's own key) — the phone found it, never the other's key.
    repeat = LeadMessage.objects.filter(lead=keyed, created_by=run.user, idempotency_key=IDEMPOTENCY_KEY)
    continued = response.status_code == 200 and sees_lead(run.user, keyed) and repeat.exists()
    run.expect(
        "another caller's Idempotency-Key answers with their lead",
        refused(response) or (response.status_code == 201 and body.get("id") != keyed.pk) or continued,
        f"→ {response.status_code} {body.get('id')}",
    )
    if body.get("id") and body["id"] != keyed.pk:
        Lead.objects.filter(pk=body["id"]).delete()  # a fresh lead of their own: fine, and out of the way
    repeat.delete()  # the repeat request of their own: fine, and out of the way
    run.state = snapshot()


def try_back_office(run: Run) -> None:
    """The audit log, the admin site, the Disk page."""
    u = run.user
    if u.role not in EVERYTHING:
        run.try_refused("audit log", "get", "crm:audit_list")
        run.try_refused("Disk page", "get", "integrations:disk_status")
        run.try_refused("Disk reconcile", "post", "integrations:disk_reconcile")
        run.try_refused("Disk import", "post", "integrations:disk_import")
        run.try_refused("Disk retry", "post", "integrations:disk_retry", [1])
    if u.role != Role.ADMIN:
        run.try_refused("admin site", "get", "admin:index", check=refused_admin)
        for model in admin.site._registry:
            info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
            run.try_refused(f"admin list of {model._meta.label}", "get", f"{info}_changelist", check=refused_admin)
            obj = model.objects.order_by("pk").first()
            if obj is not None:
                run.try_refused(
                    f"admin change {model._meta.label}", "get", f"{info}_change", [obj.pk], check=refused_admin
                )
        user_add = {
            "username": "intruder",
            "full_name": "Взломов Иван",
            "role": "director",
            "password1": "Very-long-pass-42",
            "password2": "Very-long-pass-42",
        }
        run.try_refused("admin: create a director", "post", "admin:crm_user_add", data=user_add, check=refused_admin)
    run.unchanged("back office")


def reads_lawyer_calendar(u: User, lawyer: User) -> bool:
    """A lawyer's court calendar: the lawyer, the head of that branch, director, admin."""
    if u.role in EVERYTHING or u.pk == lawyer.pk:
        return True
    return u.role == Role.HEAD_OF_SALES and u.branch_id == lawyer.branch_id


def try_personal(run: Run) -> None:
    """Other people's notifications (one each) and lawyers' calendars; the branch day side by side."""
    u = run.user
    others = Notification.objects.exclude(user=u).order_by("user_id", "pk")
    seen: set[int] = set()
    for n in others:
        if n.user_id not in seen:
            seen.add(n.user_id)
            run.try_refused(f"open {n.user_id}'s notification", "get", "crm:notification_open", [n.pk])
    for lawyer in User.objects.filter(role=Role.LAWYER).order_by("pk"):
        if not reads_lawyer_calendar(u, lawyer):
            run.try_refused("lawyer's calendar", "get", "activities:calendar_of", [lawyer.pk], query={"view": "week"})
            run.try_refused("lawyer's calendar .ics", "get", "activities:calendar_ics", [lawyer.pk])
    if u.role not in EVERYTHING | {Role.HEAD_OF_SALES}:
        run.try_refused("branch calendars side by side", "get", "activities:calendar_branch")
    if u.role not in EVERYTHING:
        # «Позвонить» asked for by someone else: how it went is the asker's (and the director's, the admin's).
        for command in MangoCommand.objects.exclude(requested_by=u).order_by("pk"):
            run.try_refused("another's click-to-call over API", "get", "api-click-to-call-detail", [command.pk])
    run.unchanged("notifications, calendars and calls asked for")


# --- the test ---------------------------------------------------------------------------------


@pytest.fixture
def quiet_refusals():
    """Thousands of 403/404s are the point here, not news for the log."""
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)


CASE_RESULT = "Долг 1,2 млн, готов платить 150к в месяц"


def _add_case_material(users: dict) -> None:
    """What the demo lacks and the matrix needs: a finished meeting with a result the call-centre
    booked (the desk may open it, never read how it went), a client document and a task file."""
    manager, centre = users["manager.msk"], users["callcenter"]
    client = Client.objects.filter(manager=manager).order_by("pk").first()
    day = add_working_days(timezone.localdate(), 4)
    meeting = activity_services.meeting_book(
        by=centre,
        manager=manager,
        starts_at=timezone.make_aware(datetime.combine(day, time(16, 0))),
        ends_at=timezone.make_aware(datetime.combine(day, time(17, 0))),
        client=client,
        subject="Консультация",
    )
    activity_services.activity_complete(activity=meeting, by=manager, result=CASE_RESULT)
    client_services.document_add(client=client, by=manager, upload=_pdf(), kind="questionnaire")
    task = Task.objects.filter(responsible=manager).order_by("pk").first()
    task_services.attachment_add(task=task, by=manager, upload=_pdf())
    lead_create(by=centre, idempotency_key=IDEMPOTENCY_KEY, **KEYED_LEAD)
    # A made invoice on a contracted deal of each branch (the demo's requisites sign it).
    for login in ("manager.msk", "manager.spb"):
        deal = Deal.objects.filter(manager=users[login], stage__in=CONTRACTED).order_by("pk").first()
        document = document_services.document_request(deal=deal, by=users[login], kind="invoice", amount="1000")
        document_services.document_make(document.pk)


@pytest.fixture
def demo(db, settings, tmp_path) -> Demo:
    settings.MEDIA_ROOT = tmp_path
    # Mail on, so its pages refuse for who may not see the client, not merely because mail is off.
    settings.MAIL_ENABLED = True
    call_command("seed_demo", stdout=io.StringIO())
    _add_case_material({u.username: u for u in User.objects.filter(username__in=LOGINS)})
    participants: dict[int, set[int]] = {}
    for task_id, user_id in TaskParticipant.objects.values_list("task_id", "user_id"):
        participants.setdefault(task_id, set()).add(user_id)
    day = add_working_days(timezone.localdate(), 5)
    return Demo(
        users={u.username: u for u in User.objects.filter(username__in=LOGINS)},
        contracted=set(Deal.objects.filter(stage__in=CONTRACTED).values_list("client_id", flat=True)),
        participants=participants,
        future_10=timezone.make_aware(datetime.combine(day, time(10, 0))),
    )


def sees_daily_report(u: User, r) -> bool:
    if u.role == Role.DIRECTOR:
        return True
    if u.role == Role.HEAD_OF_SALES:
        return r.branch_id == u.branch_id
    return u.role == Role.MANAGER and r.manager_id == u.pk


def try_daily_reports(run: Run, u: User) -> None:
    """End-of-day reports out of reach: read, reviewed, over the pages and the API (one per branch and state)."""
    out = [r for r in DailyReport.objects.order_by("pk") if not sees_daily_report(u, r)]
    for r in representatives(out, lambda r: (r.branch_id == u.branch_id, r.status, r.is_current)):
        run.try_refused("read daily report", "get", "reports:detail", [r.pk])
        run.try_refused("read daily report over API", "get", "api-daily-report-detail", [r.pk])
        run.try_refused("review daily report", "post", "reports:review", [r.pk], data={"comment": "взлом"})
        review = {"comment": "взлом"}
        api_review = "api-daily-report-review"
        run.try_refused("review daily report over API", "post", api_review, [r.pk], data=review, json=True)
        run.unchanged(f"daily report {r.pk}")
    # The branch's extra questions: set by its head or the director only.
    for q in ReportQuestion.objects.order_by("pk"):
        if u.role == Role.DIRECTOR or (u.role == Role.HEAD_OF_SALES and q.branch_id == u.branch_id):
            continue
        run.try_refused("read report question", "get", "reports:question_edit", [q.pk])
        change = {"text": "взлом", "kind": "text", "order": 0, "is_active": "on"}
        run.try_refused("change report question", "post", "reports:question_edit", [q.pk], data=change)
        run.unchanged(f"report question {q.pk}")


ANALYTICS = ("funnel", "efficiency", "payments")


def reads_analytics(u: User) -> bool:
    """The heads' dashboards: a head of sales (their branch's figures) and the director (every branch)."""
    return u.role in {Role.DIRECTOR, Role.HEAD_OF_SALES}


def try_analytics(run: Run, deals: list) -> None:
    """Each dashboard's page and API: refused (403) to every other role; to a head, another branch is
    no choice (400, no figures) and no deal of it is linked from the tables, over a wide period."""
    u = run.user
    wide = {"date_from": (timezone.localdate() - timedelta(days=365)).isoformat()}
    other_branches = list(Branch.objects.exclude(pk=u.branch_id).order_by("pk")) if u.branch_id else []
    for slug in ANALYTICS:
        for name, args in (("reports:analytics", [slug]), (f"api-analytics-{slug}", [])):
            where = f"[{name} GET]"
            if not reads_analytics(u):
                response = run.send("get", name, args, query=wide)
                run.expect(
                    f"{slug} analytics refused {where}", response.status_code == 403, f"→ {response.status_code}"
                )
                continue
            response = run.send("get", name, args, query=wide)
            run.expect(f"{slug} analytics opens {where}", response.status_code == 200, f"→ {response.status_code}")
            body = response.content.decode()
            for d in deals:
                marker = _href(reverse("deals:detail", args=[d.pk])) if name.startswith("reports:") else f'"{d.url}"'
                run.expect(f"deal {d.pk} absent from {slug} analytics {where}", marker not in body)
            if u.role != Role.HEAD_OF_SALES:
                continue
            for branch in other_branches:
                response = run.send("get", name, args, query={**wide, "branch": branch.pk})
                shown = response.context["dashboard"] if name.startswith("reports:") else response.json().get("tables")
                run.expect(
                    f"{slug} analytics of branch {branch.pk} refused {where}",
                    response.status_code == 400 and not shown,
                    f"→ {response.status_code}",
                )
    run.unchanged("analytics")


def reads_call_log(u: User) -> bool:
    """«Звонки», the call log by staff member and day: heads (their branch's staff), director and admin."""
    return u.role in EVERYTHING | {Role.HEAD_OF_SALES}


def _xlsx_text(response) -> str:
    if response.status_code != 200 or not response.get("Content-Type", "").startswith("application/vnd"):
        return ""
    ws = load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
    return "\n".join(str(v) for row in ws.iter_rows(values_only=True) for v in row if v is not None)


def try_call_log(run: Run) -> None:
    """The call log's page and Excel: refused (403/404) to every role but the heads, the director and the
    admin; a head's, over a wide period, names no staff member of another branch, nor takes one as its filter."""
    u = run.user
    name = "integrations:mango_call_log"
    wide = {"date_from": (timezone.localdate() - timedelta(days=30)).isoformat()}
    if not reads_call_log(u):
        run.try_refused("call log", "get", name, query=wide)
        run.try_refused("call log Excel", "get", name, query={**wide, "format": "xlsx"})
        run.unchanged("call log")
        return
    if u.role != Role.HEAD_OF_SALES:
        return
    callers = set(MangoCall.objects.exclude(staff=None).values_list("staff_id", flat=True))
    others = list(User.objects.filter(pk__in=callers).exclude(branch_id=u.branch_id).order_by("pk"))
    page = run.send("get", name, query=wide)
    body = page.content.decode()
    run.expect(f"call log opens [{name} GET]", page.status_code == 200, f"→ {page.status_code}")
    exported = _xlsx_text(run.send("get", name, query={**wide, "format": "xlsx"}))
    run.expect(f"call log Excel is a workbook [{name} GET]", bool(exported))
    for other in others:
        names = (other.full_name, other.short_name)
        run.expect(f"{other.username}'s calls absent from the call log", all(n not in body for n in names))
        run.expect(f"{other.username}'s calls absent from the call log Excel", all(n not in exported for n in names))
        picked = run.send("get", name, query={**wide, "manager": other.pk})
        run.expect(
            f"{other.username} is no choice in the call log",
            picked.status_code == 400 and picked.context["log"] is None,
            f"→ {picked.status_code}",
        )
    run.unchanged("call log")


def makes_sales_documents(u: User) -> bool:
    """Contracts, invoices and acts: sales (own deals, a head's branch) and the director or admin."""
    return u.role in EVERYTHING | {Role.HEAD_OF_SALES, Role.MANAGER}


def try_documents_on_visible_deal(run: Run) -> None:
    """A role that opens a deal but may not make sales documents (the lawyer) is refused them."""
    u = run.user
    if makes_sales_documents(u):
        return
    visible = [d for d in Deal.objects.order_by("pk") if sees_deal(u, d)]
    for d in visible[:1]:
        for kind in ("invoice", "contract", "act"):
            data = {"kind": kind, "amount": "1000"}
            what = f"make a {kind} on a visible deal"
            run.try_refused(what, "post", "integrations:document_request", [d.pk], data=data)
            run.try_refused(
                f"make a {kind} on a visible deal over API", "post", "api-deal-documents", [d.pk], data=data, json=True
            )
        run.unchanged(f"sales documents on visible deal {d.pk}")


def run_role(demo: Demo, login: str) -> Run:
    """Everything `login` must not reach, tried with every action."""
    u = demo.user(login)
    web = WebClient()
    web.force_login(u)
    run = Run(user=u, web=web)
    clients = [c for c in Client.objects.order_by("pk") if not sees_client(u, c, demo.contracted)]
    deals = [d for d in Deal.objects.select_related("client").order_by("pk") if not sees_deal(u, d)]
    tasks = [t for t in Task.objects.order_by("pk") if not sees_task(u, t, demo.participants)]
    leads = [lead for lead in Lead.objects.order_by("pk") if not sees_lead(u, lead)]
    activities = [
        a
        for a in Activity.objects.select_related("client", "lead").order_by("pk")
        if not opens_activity(u, a, demo.contracted)
    ]
    staff = [s for s in User.objects.order_by("pk") if not sees_staff(u, s)]

    # Every object is read and listed; every action is tried on one object per reason it is out of
    # reach (another branch, a colleague's, no contract yet, …): that is what the rules tell apart.
    here = u.branch_id
    chosen = set(representatives(clients, lambda c: (c.branch_id == here, c.pk in demo.contracted)))
    chosen |= set(representatives(deals, lambda d: (d.branch_id == here, d.stage in CONTRACTED)))
    chosen |= set(representatives(tasks, lambda t: (t.branch_id == here, t.status in Task.OPEN)))
    chosen |= set(representatives(activities, lambda a: (a.branch_id == here, a.kind in Activity.CALENDAR_KINDS)))
    for c in clients:
        try_client(run, demo, c, every_action=c in chosen)
    undecided = [c for c in Client.objects.order_by("pk") if not decides_on(u, c)]
    for c in representatives(undecided, lambda c: (c.branch_id == here, c.manager_id == u.pk, c.status)):
        try_decisions(run, demo, c)
    for d in deals:
        try_deal(run, demo, d, every_action=d in chosen)
    for t in tasks:
        try_task(run, demo, t, every_action=t in chosen)
    for lead in leads:
        try_lead(run, demo, lead)
    for a in activities:
        try_activity(run, demo, a, every_action=a in chosen)
    for other in staff:
        try_staff(run, other)
    if not lifts_non_target(u):
        for contact in NonTargetContact.objects.filter(lifted_at__isnull=True).order_by("pk"):
            try_non_target_lift(run, contact)
    try_documents_on_visible_deal(run)
    try_daily_reports(run, u)
    try_analytics(run, deals)
    try_call_log(run)
    try_lists(
        run,
        demo,
        clients=clients,
        deals=deals,
        tasks=tasks,
        leads=leads,
        activities=activities,
        staff=staff,
        chosen=chosen,
    )
    try_results(run, demo)
    try_merges(run, demo)
    try_back_office(run)
    try_personal(run)
    if login != "callcenter":
        keyed = Lead.objects.get(created_by=demo.user("callcenter"), idempotency_key=IDEMPOTENCY_KEY)
        try_idempotency_key(run, keyed)
    return run


def test_no_role_reaches_what_it_must_not(demo, quiet_refusals, capsys):
    assert set(demo.users) == set(LOGINS), "seed_demo must create every demo login"
    runs = [run_role(demo, login) for login in LOGINS]

    attempts = sum(r.attempts for r in runs)
    requests = sum(r.requests for r in runs)
    with capsys.disabled():
        print(f"\nrole matrix: {attempts} attempts over {requests} requests")
        for r in runs:
            print(f"  {r.user.username:<13} {r.attempts:>5} attempts, {r.requests:>4} requests")
    failures = [f for r in runs for f in r.failures]
    assert not failures, f"{len(failures)} of {attempts} attempts got through:\n" + "\n".join(failures[:200])
    assert attempts >= 4000

    # Every URL that takes an object's id was tried by someone (or says here why it need not be).
    tried = set().union(*(r.names for r in runs))
    untried = _urls_with_ids() - tried - set(NOT_OBJECT_SCOPED)
    assert not untried, f"URL names with an object id that the matrix never tries: {sorted(untried)}"
