"""The rules that were disputed or scattered, decided once in crm/access.py and asked on every edge.

For each: the page, the API (where there is one) and the service refuse the wrong
role and change nothing; the right role gets through. README «Кто что видит»
states the same rules in Russian. The last part counts role comparisons left
outside the access module, so the drift cannot come back.
"""

import ast
import re
from datetime import datetime
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from openpyxl import Workbook

from activities import services as activity_services
from activities.models import Activity
from clients.models import Client, TimelineEntry
from crm import access
from crm.errors import DomainError
from crm.models import AuditEntry, User
from deals.models import Deal, Payment
from leads.models import Lead
from leads.services import lead_assign, lead_convert, lead_create
from tests.conftest import token_client
from tests.factories import make_client

MSK = ZoneInfo("Europe/Moscow")
ROLES = ["director", "admin", "rop.msk", "manager.msk", "lawyer.msk", "callcenter", "office"]


def at(*args):
    return time_machine.travel(datetime(*args, tzinfo=MSK), tick=False)


def snapshot():
    """Everything a refused request might have touched."""
    return {
        "leads": list(Lead.objects.values_list("pk", "assigned_to_id", "status")),
        "activities": list(Activity.objects.values_list("pk", "status", "planned_at")),
        "clients": list(Client.objects.values_list("pk", "status", "manager_id")),
        "deals": Deal.objects.count(),
        "payments": Payment.objects.count(),
        "timeline": TimelineEntry.objects.count(),
        "audit": AuditEntry.objects.exclude(action__in=["login", "login_failed"]).count(),
    }


# --- booking: the office manager books (the front desk answers the phone) -----------------------

BOOKING = {"kind": "meeting", "duration": 60}


def _book_on_page(web, user, manager, client, starts_at):
    web.force_login(user)
    data = BOOKING | {"manager": manager.pk, "client": client.pk, "starts_at": starts_at}
    return web.post(f"/booking/new/?manager={manager.pk}", data)


def _book_over_api(api, manager, client, starts_at):
    ends_at = starts_at.replace(":00:00+", ":59:00+")
    body = {"manager": manager.pk, "client": client.pk, "starts_at": starts_at, "ends_at": ends_at}
    return api.post(reverse("api-meetings"), body, format="json")


def _book_in_service(user, manager, client, hour):
    return activity_services.meeting_book(
        by=user,
        manager=manager,
        client=client,
        starts_at=datetime(2026, 11, 25, hour, tzinfo=MSK),
        ends_at=datetime(2026, 11, 25, hour, 59, tzinfo=MSK),
    )


def test_office_manager_books_on_the_page_the_api_and_the_service(everyone, web, msk):
    office, manager = everyone["office"], everyone["manager.msk"]
    client = make_client(manager=manager)
    with at(2026, 11, 24, 8, 0):
        web.force_login(office)
        grid = web.get(f"/booking/?branch={msk.pk}&date=2026-11-25")
        page = _book_on_page(web, office, manager, client, "2026-11-25T10:00")
        api = _book_over_api(token_client(office), manager, client, "2026-11-25T12:00:00+03:00")
        _book_in_service(office, manager, client, 14)
    assert grid.status_code == 200 and manager.pk in grid.context["bookable"]
    assert (page.status_code, api.status_code) == (302, 201)
    assert list(Activity.objects.values_list("booked_by__username", flat=True)) == ["office"] * 3


@pytest.mark.parametrize("who", ["lawyer.msk", "admin"])
def test_who_does_not_book_is_refused_on_the_page(everyone, web, who, msk):
    client = make_client(manager=everyone["manager.msk"])
    before = snapshot()
    with at(2026, 11, 24, 8, 0):
        web.force_login(everyone[who])
        grid = web.get(f"/booking/?branch={msk.pk}&date=2026-11-25")
        form = web.get(f"/booking/new/?manager={everyone['manager.msk'].pk}")
        post = _book_on_page(web, everyone[who], everyone["manager.msk"], client, "2026-11-25T10:00")
    assert (grid.status_code, form.status_code, post.status_code) == (403, 403, 403)
    assert snapshot() == before


@pytest.mark.parametrize("who", ["lawyer.msk", "admin"])
def test_who_does_not_book_is_refused_by_the_api(everyone, who):
    client = make_client(manager=everyone["manager.msk"])
    api = token_client(everyone[who])
    before = snapshot()
    with at(2026, 11, 24, 8, 0):
        response = _book_over_api(api, everyone["manager.msk"], client, "2026-11-25T10:00:00+03:00")
    assert response.status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize("who", ["lawyer.msk", "admin"])
def test_who_does_not_book_is_refused_by_the_service(everyone, who):
    client = make_client(manager=everyone["manager.msk"])
    before = snapshot()
    with at(2026, 11, 24, 8, 0), pytest.raises(DomainError) as refused:
        _book_in_service(everyone[who], everyone["manager.msk"], client, 10)
    assert refused.value.code == "forbidden"
    assert snapshot() == before


@pytest.mark.parametrize(
    "who, books, for_msk_manager, for_spb_manager",
    [
        ("director", True, True, True),
        ("admin", False, False, False),
        ("rop.msk", True, True, False),
        ("manager.msk", True, True, False),
        ("manager2.msk", True, False, False),
        ("lawyer.msk", False, False, False),
        ("callcenter", True, True, True),
        ("office", True, True, True),
    ],
)
def test_booking_rule_per_role(everyone, who, books, for_msk_manager, for_spb_manager):
    user = everyone[who]
    assert access.may_book_meetings(user) is books
    assert access.can_book_for(user, everyone["manager.msk"]) is for_msk_manager
    assert access.can_book_for(user, everyone["manager.spb"]) is for_spb_manager


# --- «потерян окончательно»: the head of sales or the director, never the admin -----------------


@pytest.fixture
def abandoned(everyone):
    client = make_client(manager=everyone["manager.msk"], last_name="Забытов")
    Client.objects.filter(pk=client.pk).update(status=Client.Status.ABANDONED)
    return Client.objects.get(pk=client.pk)


def test_admin_is_not_shown_the_lost_form(everyone, web, abandoned):
    url = reverse("activities:clients_state", args=["abandoned"])
    web.force_login(everyone["admin"])
    admin_page = web.get(url)
    web.force_login(everyone["rop.msk"])
    head_page = web.get(url)
    assert (admin_page.status_code, head_page.status_code) == (200, 200)
    assert (admin_page.context["can_mark_lost"], head_page.context["can_mark_lost"]) == (False, True)
    lost = reverse("activities:client_lost", args=[abandoned.pk])
    assert lost not in admin_page.content.decode()
    assert lost in head_page.content.decode()
    # The admin still reanimates or sends to the pool: that is assignment, not the decision.
    assert reverse("activities:client_to_pool", args=[abandoned.pk]) in admin_page.content.decode()


@pytest.mark.parametrize("who", ["admin", "manager.msk", "lawyer.msk", "office"])
def test_the_lost_page_refuses_and_changes_nothing(everyone, web, abandoned, who):
    before = snapshot()
    web.force_login(everyone[who])
    response = web.post(reverse("activities:client_lost", args=[abandoned.pk]), {"reason": "Уехал"})
    assert response.status_code in (403, 404)
    assert snapshot() == before


def test_a_head_of_another_branch_does_not_find_the_client(everyone, web, abandoned):
    before = snapshot()
    web.force_login(everyone["rop.spb"])
    assert web.post(reverse("activities:client_lost", args=[abandoned.pk]), {"reason": "Уехал"}).status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize("who", ["admin", "rop.spb", "manager.msk", "office"])
def test_the_lost_service_refuses_and_changes_nothing(everyone, abandoned, who):
    before = snapshot()
    with pytest.raises(DomainError) as refused:
        activity_services.client_mark_lost(client=abandoned, by=everyone[who], reason="Уехал")
    assert refused.value.code == "forbidden"
    assert snapshot() == before


def test_head_marks_lost_on_the_page_and_the_director_in_the_service(everyone, web, abandoned):
    other = make_client(manager=everyone["manager.msk"], last_name="Другов")
    web.force_login(everyone["rop.msk"])
    response = web.post(reverse("activities:client_lost", args=[abandoned.pk]), {"reason": "Уехал"})
    activity_services.client_mark_lost(client=other, by=everyone["director"], reason="Нашёл других юристов")
    assert response.status_code == 302
    assert set(Client.objects.values_list("status", flat=True)) == {Client.Status.LOST}


# --- lawyers take no leads, on any edge ----------------------------------------------------------

INTAKE = {"source": "call", "phone": "+7 916 700-00-01", "name": "Пётр", "message": "Долги по кредитам"}


def test_lawyer_gets_403_on_every_leads_page(everyone, web):
    web.force_login(everyone["lawyer.msk"])
    answers = (
        web.get(reverse("leads:new")).status_code,
        web.post(reverse("leads:new"), INTAKE).status_code,
        web.get(reverse("leads:list")).status_code,
    )
    assert answers == (403, 403, 403)
    assert Lead.objects.count() == 0


def test_lawyer_gets_403_from_the_api_even_assigning_another_branch(everyone):
    body = INTAKE | {"assigned_to": everyone["manager.spb"].pk}
    response = token_client(everyone["lawyer.msk"]).post(reverse("api-leads"), body, format="json")
    assert response.status_code == 403
    assert Lead.objects.count() == 0


def test_the_lead_service_refuses_a_lawyer(everyone):
    with pytest.raises(DomainError) as refused:
        lead_create(by=everyone["lawyer.msk"], **INTAKE)
    assert refused.value.code == "forbidden"
    assert Lead.objects.count() == 0


@pytest.mark.parametrize("who", ["callcenter", "office", "manager.msk", "rop.msk", "director"])
def test_the_rest_take_leads_over_the_api(everyone, who):
    response = token_client(everyone[who]).post(reverse("api-leads"), INTAKE, format="json")
    assert response.status_code == 201
    assert Lead.objects.get().created_by == everyone[who]


# --- who gives a lead to whom: the page, the API and the service agree ------------------------------


def test_head_cannot_give_a_lead_to_another_branch_over_the_api(everyone):
    head = token_client(everyone["rop.msk"])
    refused = head.post(reverse("api-leads"), INTAKE | {"assigned_to": everyone["manager.spb"].pk}, format="json")
    assert refused.status_code == 403
    assert Lead.objects.count() == 0
    own = head.post(reverse("api-leads"), INTAKE | {"assigned_to": everyone["manager2.msk"].pk}, format="json")
    assert (own.status_code, own.json()["assigned_to"]) == (201, everyone["manager2.msk"].pk)


def test_manager_takes_a_lead_only_on_themselves_over_the_api(everyone):
    manager = token_client(everyone["manager.msk"])
    refused = manager.post(reverse("api-leads"), INTAKE | {"assigned_to": everyone["manager2.msk"].pk}, format="json")
    assert refused.status_code == 403
    assert Lead.objects.count() == 0
    own = manager.post(reverse("api-leads"), INTAKE | {"assigned_to": everyone["manager.msk"].pk}, format="json")
    assert own.status_code == 201


def test_call_centre_gives_a_lead_to_any_branch(everyone, web):
    response = token_client(everyone["callcenter"]).post(
        reverse("api-leads"), INTAKE | {"assigned_to": everyone["manager.spb"].pk}, format="json"
    )
    web.force_login(everyone["callcenter"])
    page = web.post(reverse("leads:new"), INTAKE | {"phone": "+7 916 700-00-02", "assigned_to": everyone["rop.spb"].pk})
    assert (response.status_code, page.status_code) == (201, 302)
    assert set(Lead.objects.values_list("assigned_to__username", flat=True)) == {"manager.spb", "rop.spb"}


def test_head_cannot_give_a_lead_to_another_branch_on_the_page(everyone, web):
    web.force_login(everyone["rop.msk"])
    intake = web.post(reverse("leads:new"), INTAKE | {"assigned_to": everyone["manager.spb"].pk})
    assert intake.status_code == 400
    assert Lead.objects.count() == 0
    lead, _ = lead_create(
        by=everyone["callcenter"], source="call", phone="+79167000003", branch=everyone["rop.msk"].branch
    )
    before = snapshot()
    assign = web.post(reverse("leads:assign", args=[lead.pk]), {"manager": everyone["manager.spb"].pk})
    assert assign.status_code == 400
    assert snapshot() == before


def test_head_cannot_give_a_lead_to_another_branch_in_the_service(everyone):
    with pytest.raises(DomainError) as refused:
        lead_create(by=everyone["rop.msk"], assigned_to=everyone["manager.spb"], **INTAKE)
    assert (refused.value.code, Lead.objects.count()) == ("forbidden", 0)
    lead, _ = lead_create(by=everyone["callcenter"], source="call", phone="+79167000004")
    before = snapshot()
    for by in ("rop.msk", "manager.msk", "office", "lawyer.msk"):
        with pytest.raises(DomainError) as refused:
            lead_assign(lead=lead, manager=everyone["manager.spb"], by=everyone[by])
        assert refused.value.code == "forbidden"
    assert snapshot() == before
    lead_assign(lead=lead, manager=everyone["manager.spb"], by=everyone["director"])
    assert Lead.objects.get(pk=lead.pk).assigned_to == everyone["manager.spb"]


@pytest.mark.parametrize("who", ROLES)
def test_the_page_picker_the_api_and_the_service_ask_one_rule(everyone, web, who):
    user = everyone[who]
    web.force_login(user)
    page = web.get(reverse("leads:new"))
    offered = (
        set() if page.status_code == 403 else {v for v, _ in page.context["form"].fields["assigned_to"].choices if v}
    )
    by_rule = set(User.objects.filter(access.lead_assignees_q(user)).values_list("pk", flat=True))
    by_service = {p.pk for p in everyone.values() if access.may_assign_lead_to(user, p)}
    assert offered == by_rule == by_service


# --- converting a lead: case workers only -------------------------------------------------------


def test_call_centre_cannot_convert_a_lead_on_the_page_or_in_the_service(everyone, web):
    lead, _ = lead_create(
        by=everyone["callcenter"], source="site", phone="+79160001122", assigned_to=everyone["manager.msk"]
    )
    before = snapshot()
    web.force_login(everyone["callcenter"])
    data = {"service_line": "db", "manager": everyone["manager.msk"].pk, "last_name": "Новиков", "kind": "person"}
    assert web.post(reverse("leads:convert", args=[lead.pk]), data).status_code == 400
    with pytest.raises(DomainError) as refused:
        lead_convert(lead=lead, by=everyone["callcenter"], service_line="db", manager=everyone["manager.msk"])
    assert refused.value.code == "forbidden"
    assert snapshot() == before


# --- the payments register and the deals section --------------------------------------------------


def _xlsx() -> BytesIO:
    wb = Workbook()
    wb.active.append(["№ платежа"])
    content = BytesIO()
    wb.save(content)
    content.seek(0)
    content.name = "payments.xlsx"
    return content


@pytest.mark.parametrize("who", ["admin", "lawyer.msk", "callcenter", "office"])
def test_payments_register_is_refused_and_nothing_is_exported_or_loaded(everyone, web, who):
    before = snapshot()
    web.force_login(everyone[who])
    url = reverse("deals:payments_table")
    answers = (
        web.get(url).status_code,
        web.get(url, {"download": 1}).status_code,
        web.post(url, {"file": _xlsx()}).status_code,
    )
    assert answers == (403, 403, 403)
    assert snapshot() == before


@pytest.mark.parametrize("who", ["director", "rop.msk", "manager.msk"])
def test_sales_and_the_director_keep_the_payments_register(everyone, web, who):
    web.force_login(everyone[who])
    assert web.get(reverse("deals:payments_table")).status_code == 200


@pytest.mark.parametrize("who, answer", [("callcenter", 403), ("office", 403), ("lawyer.msk", 200), ("admin", 200)])
def test_deals_section_is_for_case_workers(everyone, web, who, answer):
    web.force_login(everyone[who])
    pages = [
        reverse("deals:list"),
        reverse("deals:board", args=["db"]),
        reverse("deals:board_column", args=["db", "db_in_work"]),
    ]
    assert [web.get(url).status_code for url in pages] == [answer] * 3


# --- no role comparisons outside the access module -----------------------------------------------

ROOT = Path(__file__).resolve().parents[2]
APPS = ["crm", "clients", "tasks", "deals", "leads", "activities", "reports", "integrations", "web"]
# The rules themselves, and demo data (which creates staff of each role).
NOT_COUNTED = {"crm/access.py", "crm/roles.py", "crm/demo.py"}
NOT_COUNTED_DIRS = ("web/demo/",)
ENUMERATIONS = {"choices", "values", "labels", "names"}
ROLE_SETS = {name for name in dir(access) if name.isupper() and isinstance(getattr(access, name), frozenset)}

# What may stay outside crm/access.py: (file, function) → (lines, why it is not an access decision).
ALLOWED = {
    ("crm/models.py", "User"): (1, "the role field's default: new staff are managers"),
    ("crm/models.py", "UserManager.create_superuser"): (1, "Django's createsuperuser makes an admin"),
    ("crm/services.py", "user_check"): (2, "org-chart validation: a branch role needs a branch"),
    ("crm/selectors.py", "branches_with_staff_counts"): (3, "the director's home counts staff per role"),
    ("deals/services.py", "_assignee_for"): (1, "stage automation gives its task to the branch's head or lawyer"),
    ("leads/services.py", "_office_manager_for"): (1, "seed 001: non-target requests go to the office manager"),
    ("activities/services.py", "_hand_out_branch"): (1, "seed 004: the pool is handed out to the branch's managers"),
    ("integrations/yandex_disk/importer.py", "Importer.manager"): (2, "the Disk import creates the managers it finds"),
    ("web/home.py", "team_block"): (1, "colleagues are listed by rank"),
    ("web/home.py", "org_chart_gaps_block"): (2, "org-chart gaps: user_check's structure rule, reported"),
    ("tasks/views.py", "_card"): (2, "a task participant's role (co-executor, observer), not a staff role"),
}
TEMPLATE_ROLE_TEST = re.compile(r"\.role\s*(==|!=|\bin\b)|user\.role")


class _RoleUses(ast.NodeVisitor):
    """Lines that read a staff role: `x.role`, `Role.MANAGER`, a role set from crm.roles or crm.access."""

    def __init__(self, role_imports: dict, access_names: set):
        self.role_imports, self.access_names = role_imports, access_names
        self.scope, self.lines = [], {}

    def _enter(self, node):
        self.scope.append(node.name)
        self.generic_visit(node)
        self.scope.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _enter

    def _hit(self, node):
        self.lines.setdefault(node.lineno, ".".join(self.scope) or "<module>")

    def visit_Attribute(self, node):
        base = node.value.id if isinstance(node.value, ast.Name) else None
        role_member = self.role_imports.get(base) == "Role" and node.attr not in ENUMERATIONS
        role_set = base in self.access_names and node.attr in ROLE_SETS
        role_read = node.attr == "role" and isinstance(node.ctx, ast.Load)
        if role_member or role_set or role_read:
            self._hit(node)
        self.generic_visit(node)

    def visit_Name(self, node):
        if isinstance(node.ctx, ast.Load) and self.role_imports.get(node.id, "Role") != "Role":
            self._hit(node)


def role_uses(source: str) -> dict[int, str]:
    """Line number → enclosing function of each role comparison in a module's source."""
    tree = ast.parse(source)
    role_imports, access_names = {}, set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "crm.roles":
            role_imports.update({a.asname or a.name: a.name for a in node.names})
        if isinstance(node, ast.ImportFrom) and node.module == "crm":
            access_names.update(a.asname or a.name for a in node.names if a.name == "access")
    visitor = _RoleUses(role_imports, access_names)
    visitor.visit(tree)
    return visitor.lines


def _application_modules():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if "/migrations/" in rel or rel in NOT_COUNTED or rel.startswith(NOT_COUNTED_DIRS):
                continue
            yield rel, path.read_text(encoding="utf-8")


def test_the_counter_finds_each_kind_of_role_comparison():
    source = (
        "from crm import access\nfrom crm.roles import BRANCH_ROLES, Role\n"
        "def f(user):\n"
        "    a = user.role == 'manager'\n"
        "    b = Role.MANAGER\n"
        "    c = access.SEES_EVERYTHING\n"
        "    d = BRANCH_ROLES\n"
        "    e = Role.choices\n"
        "    return access.may_take_leads(user)\n"
    )
    assert role_uses(source) == {4: "f", 5: "f", 6: "f", 7: "f"}


def test_role_comparisons_outside_the_access_module_are_only_the_allowed_ones():
    found: dict[tuple[str, str], list[str]] = {}
    for rel, source in _application_modules():
        lines = source.splitlines()
        for lineno, scope in role_uses(source).items():
            found.setdefault((rel, scope), []).append(f"{rel}:{lineno}: {lines[lineno - 1].strip()}")
    unexpected = {key: hits for key, hits in found.items() if key not in ALLOWED or len(hits) > ALLOWED[key][0]}
    assert unexpected == {}, "ask crm/access.py instead (or add to ALLOWED with the reason)"
    assert sum(len(hits) for hits in found.values()) <= sum(n for n, _ in ALLOWED.values()) == 17


def test_templates_do_not_compare_roles():
    hits = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in sorted((ROOT / "templates").rglob("*.html"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if TEMPLATE_ROLE_TEST.search(line)
    ]
    assert hits == []
