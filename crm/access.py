"""Who may do what: the one place that encodes the firm's access rules.

Every selector, page, API endpoint, export, beat job and the menu asks this
module; no other code compares roles (tests/crm/test_access_rules.py counts
what is left outside, each with its reason). A question is a function:
`may_*`/`can_*` answer yes or no, `*_q` say which rows. The rules (the
README's «Кто что видит»):

- manager: own clients, deals and leads; books into their own calendar;
- head of sales: everything of their branch; assigns within it; decides
  «потерян окончательно» there;
- director: everything; admin: reads everything but is IT, not sales
  (no booking, no «потерян окончательно», no payments register);
- lawyer: contracted clients of their branch and their court work; no leads;
- call-centre and office manager (the front desk): take requests, book
  meetings into any manager's calendar, see contact fields, never case files;
  the office manager also keeps the non-target queue and the pool.
"""

from django.db.models import Q

from crm.pipelines import CONTRACTED
from crm.roles import Role

# Q that matches no row: used instead of .none() so callers can combine it.
NOTHING = Q(pk__in=[])

SEES_EVERYTHING = frozenset({Role.DIRECTOR, Role.ADMIN})
# Roles that book meetings or route requests across branches and so must
# see every branch's staff.
SEES_ALL_STAFF = SEES_EVERYTHING | {Role.CALL_CENTRE, Role.OFFICE_MANAGER}
MANAGES_BRANCH = frozenset({Role.HEAD_OF_SALES})
# The front desk answers the phone: takes requests and books meetings for every branch.
FRONT_DESK = frozenset({Role.CALL_CENTRE, Role.OFFICE_MANAGER})
# Sales staff hold clients, deals and leads and keep the calendars others book into.
SALES = frozenset({Role.MANAGER, Role.HEAD_OF_SALES})
WORKS_RECORDS = SALES | SEES_EVERYTHING
HAS_CASE_FILES = WORKS_RECORDS | {Role.LAWYER}
KEEPS_MY_DAY = SALES | {Role.DIRECTOR, Role.LAWYER}
BOOKS_MEETINGS = SALES | {Role.DIRECTOR} | FRONT_DESK
TAKES_LEADS = WORKS_RECORDS | FRONT_DESK  # everyone but the lawyer
ASSIGNS_LEADS = MANAGES_BRANCH | SEES_EVERYTHING | {Role.CALL_CENTRE}
KEEPS_NON_TARGET_QUEUE = MANAGES_BRANCH | SEES_EVERYTHING | {Role.OFFICE_MANAGER}
DECIDES_ABANDONED = MANAGES_BRANCH | SEES_EVERYTHING
DECIDES_LOST = frozenset({Role.HEAD_OF_SALES, Role.DIRECTOR})
READS_PAYMENTS_REGISTER = SALES | {Role.DIRECTOR}
OFFERED_API_DOCS = frozenset({Role.DIRECTOR, Role.ADMIN})


# --- who someone is ------------------------------------------------------------------------


def is_active_staff(user) -> bool:
    """A signed-in member of staff who still works here."""
    return bool(user and user.is_authenticated and user.is_active)


def _is(user, roles) -> bool:
    return is_active_staff(user) and user.role in roles


def sees_everything(user) -> bool:
    """Director and admin: every branch's records, tasks and activities."""
    return _is(user, SEES_EVERYTHING)


def branch_overseen_by(user) -> int | None:
    """The branch a head of sales oversees; None for everyone else."""
    return user.branch_id if _is(user, MANAGES_BRANCH) and user.branch_id else None


def works_front_desk(user) -> bool:
    """The front desk (call-centre, office manager): answers calls, takes requests, books meetings."""
    return _is(user, FRONT_DESK)


def may_own_clients(user) -> bool:
    """May be responsible for clients, deals and leads and keep a bookable calendar: active sales staff."""
    return _is(user, SALES)


def owners_q() -> Q:
    """Staff rows that may own clients: `may_own_clients` as a filter."""
    return Q(is_active=True, role__in=SALES)


def has_calendar(user) -> bool:
    """Keeps a calendar others book into: sales staff with a branch."""
    return may_own_clients(user) and user.branch_id is not None


# --- staff, branches, the admin site, the audit log ----------------------------------------


def can_read_audit_log(user) -> bool:
    """The audit log and the Disk mirror's status: director and admin."""
    return _is(user, SEES_EVERYTHING)


def can_see_inactive_staff(user) -> bool:
    """Dismissed staff in the directory: director, admin and heads."""
    return _is(user, SEES_EVERYTHING | MANAGES_BRANCH)


def staff_q(user) -> Q:
    """Which staff rows `user` may see in the directory, API and pickers.

    Branch staff see their own branch plus the staff attached to no branch
    (director, top management), who sit at the top of every ПР chain.
    """
    if not is_active_staff(user):
        return NOTHING
    if user.role in SEES_ALL_STAFF:
        q = Q()
    elif user.branch_id is None:
        q = Q(branch__isnull=True)
    else:
        q = Q(branch_id=user.branch_id) | Q(branch__isnull=True)
    if not can_see_inactive_staff(user):
        q &= Q(is_active=True)
    return q


def branches_q(user) -> Q:
    """Which branches `user` may pick: all for those who see all staff, else their own."""
    if not is_active_staff(user):
        return NOTHING
    return Q() if user.role in SEES_ALL_STAFF else Q(pk=user.branch_id)


def may_use_admin_site(user) -> bool:
    """Django admin (branches, staff, passwords): the admin only."""
    return _is(user, {Role.ADMIN})


def offers_api_docs(user) -> bool:
    """The menu links the API docs for the director and admin (the page is open to all staff)."""
    return _is(user, OFFERED_API_DOCS)


# --- tasks and reports ---------------------------------------------------------------------


def tasks_q(user, *, participants: Q) -> Q:
    """Which tasks `user` may open: their own (`participants` says how the
    task rows name them) plus, for a head, every task of the branch and, for
    the director and admin, every task."""
    if not is_active_staff(user):
        return NOTHING
    if user.role in SEES_EVERYTHING:
        return Q()
    if user.role == Role.HEAD_OF_SALES and user.branch_id:
        return participants | Q(branch_id=user.branch_id)
    return participants


def efficiency_q(user) -> Q:
    """Whose task efficiency `user` reads: their own; a head's branch; everyone's for director and admin."""
    if not is_active_staff(user):
        return NOTHING
    if user.role in SEES_EVERYTHING:
        return Q()
    branch = branch_overseen_by(user)
    return Q(branch_id=branch) | Q(pk=user.pk) if branch else Q(pk=user.pk)


def can_manage_reports_of(user, subordinate) -> bool:
    """A recurring report is set by the employee's supervisor (or the director)."""
    if not is_active_staff(user) or not subordinate.is_active:
        return False
    return subordinate.supervisor_id == user.pk or user.role in SEES_EVERYTHING


def report_subordinates_q(user) -> Q:
    """Whom `user` may ask for a recurring report: `can_manage_reports_of` as a filter."""
    if not is_active_staff(user):
        return NOTHING
    return Q() if user.role in SEES_EVERYTHING else Q(supervisor_id=user.pk)


def report_schedules_q(user) -> Q:
    """Recurring reports `user` sees: those they set or hand in; all for director and admin."""
    if not is_active_staff(user):
        return NOTHING
    return Q() if user.role in SEES_EVERYTHING else Q(author_id=user.pk) | Q(responsible_id=user.pk)


# --- case files: clients, deals, payments --------------------------------------------------


def records_q(user, *, owner: str = "manager", branch: str = "branch", contracted: Q | None = None) -> Q:
    """Which client/deal rows `user` may open as case files.

    `owner` and `branch` name the row's lookups for the responsible manager
    and the branch; `contracted` is the condition "a contract is signed" for
    this kind of row (lawyers see only those). The call-centre and the office
    manager get no case files here: they read through narrower selectors
    (contact fields, the non-target queue, the pool).
    """
    if not is_active_staff(user):
        return NOTHING
    if user.role in SEES_EVERYTHING:
        return Q()
    if user.role == Role.HEAD_OF_SALES:
        return Q(**{f"{branch}_id": user.branch_id}) if user.branch_id else NOTHING
    if user.role == Role.MANAGER:
        return Q(**{f"{owner}_id": user.pk})
    if user.role == Role.LAWYER:
        if contracted is None or user.branch_id is None:
            return NOTHING
        return Q(**{f"{branch}_id": user.branch_id}) & contracted
    return NOTHING


def deals_q(user) -> Q:
    """Which deals `user` may open: the records rule, where «contracted» is the deal's own stage."""
    return records_q(user, contracted=Q(stage__in=CONTRACTED))


def may_see_deals(user) -> bool:
    """The deals section (list, board): roles with case files — sales, director, admin, lawyer."""
    return _is(user, HAS_CASE_FILES)


def can_work_records(user) -> bool:
    """Roles that change case files (move deals, record payments): not call-centre or office."""
    return _is(user, WORKS_RECORDS)


def may_do_court_work(user) -> bool:
    """Court work on a visible deal (case data, creditors, hearings, into court, archive): case workers, lawyers."""
    return _is(user, HAS_CASE_FILES)


# Documents lawyers draw up for court; contracts, invoices and acts are the sales side's.
COURT_DOCUMENTS = frozenset({"power_of_attorney", "creditor_list"})


def may_make_document(user, kind: str) -> bool:
    """Make a document from a template for a deal the user may open: sales and heads any kind,
    lawyers the court papers (power of attorney, creditor list)."""
    if kind in COURT_DOCUMENTS:
        return _is(user, HAS_CASE_FILES)
    return _is(user, WORKS_RECORDS)


def offers_documents(user) -> bool:
    """The «Документы» block with its buttons on the deal card."""
    return _is(user, HAS_CASE_FILES)


def may_manage_document_templates(user) -> bool:
    """Requisites, templates and number series: the admin and the director."""
    return _is(user, {Role.ADMIN, Role.DIRECTOR})


def may_look_up_any_contact(user) -> bool:
    """Find any client by phone or e-mail (name, phones, manager; never the case file): the front desk."""
    return works_front_desk(user)


def can_manage_branch(user, branch_id) -> bool:
    """Assign and reassign clients, pool or reanimate abandoned ones: the branch's head, director, admin."""
    if not is_active_staff(user):
        return False
    if user.role in SEES_EVERYTHING:
        return True
    return user.role == Role.HEAD_OF_SALES and user.branch_id is not None and user.branch_id == branch_id


def assignees_q(user) -> Q:
    """Whom `user` may hand clients and deals to: a head — the branch's sales staff; director and admin — anyone's."""
    if not is_active_staff(user):
        return NOTHING
    if user.role in SEES_EVERYTHING:
        return owners_q()
    branch = branch_overseen_by(user)
    return owners_q() & Q(branch_id=branch) if branch else NOTHING


def may_open_case_for(user, manager) -> bool:
    """Open a client or deal (a new client, a lead's conversion) with `manager` responsible:
    a manager for themselves, a head within the branch, director and admin for anyone."""
    if not (can_work_records(user) and may_own_clients(manager)):
        return False
    if user.role in SEES_EVERYTHING:
        return True
    if user.role in MANAGES_BRANCH:
        return user.branch_id is not None and manager.branch_id == user.branch_id
    return manager.pk == user.pk


def deal_rows_q(user, *, deal: str = "deal") -> Q:
    """Rows hung on a deal (incoming documents) that `user` may see: the deal rule through the row's
    deal (`deal` names the lookup), so a register filters on the deal's manager, branch and stage."""
    return records_q(
        user,
        owner=f"{deal}__manager",
        branch=f"{deal}__branch",
        contracted=Q(**{f"{deal}__stage__in": CONTRACTED}),
    )


def deal_openers_q(deal) -> Q:
    """Staff who may open `deal` (the `deals_q` rule turned round), as a filter on users: whom a paper
    on the deal may be given to answer. Active staff only."""
    openers = Q(role__in=SEES_EVERYTHING) | Q(role=Role.MANAGER, pk=deal.manager_id)
    if deal.branch_id:
        openers |= Q(role=Role.HEAD_OF_SALES, branch_id=deal.branch_id)
        if deal.stage in CONTRACTED:
            openers |= Q(role=Role.LAWYER, branch_id=deal.branch_id)
    return Q(is_active=True) & openers


def may_view_payments_register(user) -> bool:
    """The payments table (Excel export and import): sales staff and the director — not IT, lawyers or the desk."""
    return _is(user, READS_PAYMENTS_REGISTER)


# --- leads ---------------------------------------------------------------------------------


def may_take_leads(user) -> bool:
    """Take in requests and see the leads section (page, API): everyone but the lawyer."""
    return _is(user, TAKES_LEADS)


def may_work_leads(user) -> bool:
    """«Лиды» in the menu: those who follow leads up (sales, director, admin, call-centre);
    the office manager's leads are its non-target queue, offered as «Нецелевые»."""
    return may_take_leads(user) and user.role != Role.OFFICE_MANAGER


def leads_q(user) -> Q:
    """Which leads `user` sees. Manager: assigned to them. Head: their branch and the unrouted.
    Director, admin, call-centre: all (leads hold contact fields only, and operators must find
    a caller's earlier request). Office manager: the non-target queue."""
    if not may_take_leads(user):
        return NOTHING
    if user.role in SEES_EVERYTHING or user.role == Role.CALL_CENTRE:
        return Q()
    if user.role == Role.HEAD_OF_SALES:
        return Q(branch_id=user.branch_id) | Q(branch__isnull=True, assigned_to__isnull=True)
    if user.role == Role.MANAGER:
        return Q(assigned_to_id=user.pk)
    if user.role == Role.OFFICE_MANAGER:
        return Q(routed_to_office=True)
    return NOTHING


def may_assign_leads(user) -> bool:
    """Give leads to other people: heads (their branch), the call-centre, director and admin (any branch)."""
    return _is(user, ASSIGNS_LEADS)


def may_assign_lead_to(user, assignee) -> bool:
    """Give a lead to `assignee` (at intake or later): `lead_assignees_q` for one person."""
    if not (may_take_leads(user) and may_own_clients(assignee)):
        return False
    if user.role in SEES_EVERYTHING or user.role == Role.CALL_CENTRE:
        return True
    if user.role in MANAGES_BRANCH:
        return user.branch_id is not None and assignee.branch_id == user.branch_id
    return user.role == Role.MANAGER and assignee.pk == user.pk


def lead_assignees_q(user) -> Q:
    """Whom `user` may give a lead to: any branch's sales staff (call-centre, director, admin),
    the head's branch's, or a manager themselves; nobody for the office manager."""
    if not may_take_leads(user):
        return NOTHING
    if user.role in SEES_EVERYTHING or user.role == Role.CALL_CENTRE:
        return owners_q()
    if user.role in MANAGES_BRANCH:
        return owners_q() & Q(branch_id=user.branch_id) if user.branch_id else NOTHING
    if user.role == Role.MANAGER:
        return owners_q() & Q(pk=user.pk)
    return NOTHING


def may_see_non_target_list(user) -> bool:
    """Contacts marked non-target: the queue's keepers and the call-centre, who routes by it."""
    return _is(user, KEEPS_NON_TARGET_QUEUE | {Role.CALL_CENTRE})


def offers_non_target_queue(user) -> bool:
    """«Нецелевые» in the menu: the office manager's daily work. Heads, the director and the admin
    may open the queue too, from the leads list; their menu stays within one line at 1280 px."""
    return _is(user, {Role.OFFICE_MANAGER})


def may_close_lead(user, lead) -> bool:
    """Close a request without a deal, with a reason: the office manager the requests of their queue,
    a head those of their branch (and the unrouted), the director and the admin any. Never a manager
    (their lead ends as a deal or is marked non-target), the call-centre or the lawyer."""
    if lead is None or not is_active_staff(user):
        return False
    if user.role in SEES_EVERYTHING:
        return True
    if user.role == Role.OFFICE_MANAGER:
        return lead.routed_to_office
    if user.role == Role.HEAD_OF_SALES:
        return lead.branch_id == user.branch_id or (lead.branch_id is None and lead.assigned_to_id is None)
    return False


def may_keep_non_target_queue(user) -> bool:
    """The non-target queue and lifting a mark: office manager, heads, director, admin."""
    return _is(user, KEEPS_NON_TARGET_QUEUE)


# --- activities, calendars, booking, the pool ------------------------------------------------


def keeps_my_day(user) -> bool:
    """«Мои дела» in the menu: those whose own work is planned activities — sales, director, lawyer."""
    return _is(user, KEEPS_MY_DAY)


def activities_q(user, *, cases: Q, meetings: Q) -> Q:
    """Which activities `user` may open: their own and those they booked; a head's branch;
    a manager's or lawyer's visible clients (`cases`); every meeting for the front desk
    (`meetings`: it reschedules and cancels bookings). Director and admin: all."""
    if not is_active_staff(user):
        return NOTHING
    if user.role in SEES_EVERYTHING:
        return Q()
    q = Q(responsible_id=user.pk) | Q(booked_by_id=user.pk)
    branch = branch_overseen_by(user)
    if branch:
        q |= Q(branch_id=branch)
    elif user.role in (Role.MANAGER, Role.LAWYER):
        q |= cases
    elif user.role in FRONT_DESK:
        q |= meetings
    return q


def may_book_meetings(user) -> bool:
    """Book meetings and remote consultations: sales staff, the director and the front desk
    (the office manager answers the front-desk phone); not the lawyer, not the admin."""
    return _is(user, BOOKS_MEETINGS)


def can_book_for(user, manager) -> bool:
    """Book, move or cancel in `manager`'s calendar: the front desk and the director for
    anyone, a head within the branch, a manager only their own."""
    if not may_book_meetings(user):
        return False
    if user.role in FRONT_DESK or user.role == Role.DIRECTOR:
        return True
    if user.role in MANAGES_BRANCH:
        return user.branch_id is not None and manager.branch_id == user.branch_id
    return manager.pk == user.pk


def clients_in_state_q(user, *, pool: bool) -> Q:
    """Abandoned, pool or lost clients `user` oversees: a head's branch, everyone's for director
    and admin, a manager's own; the office manager also keeps the pool of their branch."""
    if not is_active_staff(user):
        return NOTHING
    if pool and user.role == Role.OFFICE_MANAGER and user.branch_id:
        return Q(branch_id=user.branch_id)
    if user.role in SEES_EVERYTHING:
        return Q()
    branch = branch_overseen_by(user)
    if branch:
        return Q(branch_id=branch)
    return Q(manager_id=user.pk) if user.role == Role.MANAGER else NOTHING


# The office manager calls back the clients nobody works: the pool and the abandoned of their branch.
OFFICE_KEEPS_STATES = frozenset({"pool", "abandoned"})


def offers_client_pool(user) -> bool:
    """«Отстойник» in the menu (its page has the «Заброшенные» tab): the office manager's daily work.
    Heads, the director and the admin reach the same page from their home page."""
    return _is(user, {Role.OFFICE_MANAGER})


def client_states_for(user) -> tuple[str, ...]:
    """Which state lists (abandoned, pool, lost) `user` may open: the office manager the two they
    call back; everyone else all three (each list filtered by `client_state_rows_q`)."""
    if not is_active_staff(user):
        return ()
    if user.role == Role.OFFICE_MANAGER:
        return ("pool", "abandoned")
    return ("abandoned", "pool", "lost")


def client_state_rows_q(user, status: str) -> Q:
    """The clients in `status` `user` may list: the office manager the pool and the abandoned of
    their branch; everyone else as `clients_in_state_q`."""
    if not is_active_staff(user):
        return NOTHING
    if user.role == Role.OFFICE_MANAGER:
        return Q(branch_id=user.branch_id) if user.branch_id and status in OFFICE_KEEPS_STATES else NOTHING
    return clients_in_state_q(user, pool=status == "pool")


def may_open_contact_card(user, client) -> bool:
    """The contact card (name, phones, e-mail, manager, status, history; never personal data, deals
    or documents): the office manager for a pool or abandoned client of their branch."""
    return (
        _is(user, {Role.OFFICE_MANAGER})
        and client is not None
        and user.branch_id is not None
        and client.branch_id == user.branch_id
        and client.status in OFFICE_KEEPS_STATES
    )


def may_edit_client(user, client) -> bool:
    """Change a client's card (contacts, consent, personal data): the case-file roles that change
    records — the client's manager, the branch's head, director, admin; never the lawyer or the desk.
    Decided on the row, so the card's «Изменить» costs no query."""
    if not can_work_records(user) or client is None:
        return False
    if user.role in SEES_EVERYTHING:
        return True
    if user.role in MANAGES_BRANCH:
        return user.branch_id is not None and client.branch_id == user.branch_id
    return client.manager_id == user.pk


def may_decide_abandoned(user) -> bool:
    """Reanimate abandoned clients or send them to the pool (per client: `can_manage_branch`)."""
    return _is(user, DECIDES_ABANDONED)


def may_decide_lost(user) -> bool:
    """«Потерян окончательно» is decided by the head of sales and the director — never the admin (IT, not sales)."""
    return _is(user, DECIDES_LOST)


def may_mark_lost(user, branch_id) -> bool:
    """Mark a client of this branch «потерян окончательно»: a head their own branch, the director any."""
    return may_decide_lost(user) and can_manage_branch(user, branch_id)


def may_set_pool_rule(user, branch_id) -> bool:
    """The pool hand-out rule of a branch: its head (and director or admin, for a branch they belong to)."""
    return branch_id is not None and can_manage_branch(user, branch_id)


# --- the home page -------------------------------------------------------------------------

# Title and blocks of each role's home page; web/home.py knows how to draw each block.
HOME_PAGES = {
    Role.MANAGER: ("Мой день", ("my_tasks", "activity_rule", "overdue_payments", "profile", "team")),
    Role.HEAD_OF_SALES: (
        "Отдел продаж филиала",
        (
            "my_tasks",
            "pr_to_decide",
            "activity_rule",
            "team_overdue_tasks",
            "overdue_payments",
            "team",
            "gaps",
            "profile",
        ),
    ),
    Role.DIRECTOR: (
        "Компания сегодня",
        (
            "branches",
            "my_tasks",
            "pr_to_decide",
            "activity_rule",
            "team_overdue_tasks",
            "overdue_payments",
            "gaps",
            "login_alerts",
            "recent_audit",
        ),
    ),
    Role.ADMIN: ("Администрирование", ("login_alerts", "gaps", "branches", "recent_audit")),
    Role.CALL_CENTRE: ("Колл-центр", ("my_tasks", "managers_on_duty", "profile")),
    Role.LAWYER: ("Юридический отдел", ("my_tasks", "profile", "team")),
    Role.OFFICE_MANAGER: ("Офис", ("my_tasks", "managers_on_duty", "profile")),
}


def home_page(user) -> tuple[str, tuple[str, ...]]:
    """The title and the blocks of `user`'s home page."""
    if not is_active_staff(user):
        return "Главная", ()
    return HOME_PAGES.get(user.role, ("Главная", ("profile",)))


# --- activities on a client's case file -------------------------------------------------


def may_open_client(user, client) -> bool:
    """The row form of the client rule (`clients_visible_to`): may `user` open this client's case file.

    Asked of the database, so the answer is the list's answer: a lawyer's
    «contract signed» is the client's deals as they are now.
    """
    if client is None or client.pk is None:
        return False
    rule = records_q(user, contracted=Q(deals__stage__in=CONTRACTED))
    if rule == NOTHING:
        return False
    if rule == Q():
        return True
    return type(client).objects.filter(rule, pk=client.pk).exists()


def can_plan_activity_for(user, client) -> bool:
    """Plan a call, letter or message on a client: whoever may open the client's case file.

    The page «запланировать дело», POST /api/v1/activities/ and the service ask
    this; the call-centre and the office book meetings (`can_book_for`) but do
    not write into case files.
    """
    return may_open_client(user, client)


def may_see_activity_details(user, activity) -> bool:
    """What an entry says beyond when, where and with whom (its result, the close-out form):
    its responsible, a head for the branch's entries, and whoever may open the client's case file.

    The intake desk opens meetings to move and cancel them (`activities_visible_to`),
    never to read how they went.
    """
    if not is_active_staff(user):
        return False
    if user.role in SEES_EVERYTHING or activity.responsible_id == user.pk:
        return True
    branch = branch_overseen_by(user)
    if branch and activity.branch_id == branch:
        return True
    return activity.client_id is not None and may_open_client(user, activity.client)


# --- search and the client list ---------------------------------------------------------------


def may_list_clients(user) -> bool:
    """The client list (page «Клиенты», filters by branch, manager and state): whoever holds case files —
    sales, director, admin, lawyer; rows by `records_q`. The front desk has no case files: its
    clients come only through a phone or e-mail (`may_look_up_any_contact`), so the list is 403."""
    return _is(user, HAS_CASE_FILES)


def may_search(user) -> bool:
    """The header search: every member of staff; what each finds is the rule of each kind of row
    (`records_q` for clients and deals, `leads_q`, contact-only for the front desk)."""
    return is_active_staff(user)


# --- merging duplicates --------------------------------------------------------------------

MERGES_DUPLICATES = MANAGES_BRANCH | {Role.DIRECTOR, Role.OFFICE_MANAGER}


def may_merge_duplicates(user) -> bool:
    """Merge two leads or two clients of one person: heads of sales, the director, the office manager
    (who keeps the reception's records) — not managers, the call-centre, lawyers or the admin (IT)."""
    return _is(user, MERGES_DUPLICATES)


def may_merge_in_branch(user, branch_id) -> bool:
    """Merge records of this branch: a head only their own branch; the director and the office manager any."""
    if not may_merge_duplicates(user):
        return False
    if user.role in MANAGES_BRANCH:
        return user.branch_id is not None and branch_id == user.branch_id
    return True


def may_merge_lead(user, lead) -> bool:
    """Merge this lead with another (both must pass): by the lead's branch; a head also the unrouted
    leads with no branch yet, which are in every head's queue (`leads_q`)."""
    if lead.branch_id is None and _is(user, MANAGES_BRANCH) and user.branch_id is not None:
        return True
    return may_merge_in_branch(user, lead.branch_id)


def may_merge_client(user, client) -> bool:
    """Merge this client with another (both must pass): by the client's branch."""
    return may_merge_in_branch(user, client.branch_id)


def mergeable_q(user, *, branch: str = "branch", unrouted: bool = False) -> Q:
    """The rows `user` may merge, as a filter (`branch` names the row's branch lookup; `unrouted`:
    rows with no branch yet count as every head's — leads, see `may_merge_lead`)."""
    if not may_merge_duplicates(user):
        return NOTHING
    if user.role in MANAGES_BRANCH:
        if not user.branch_id:
            return NOTHING
        own = Q(**{f"{branch}_id": user.branch_id})
        return own | Q(**{f"{branch}__isnull": True}) if unrouted else own
    return Q()


# --- calendars: a lawyer's court calendar, the branch side by side ----------------------------


def keeps_court_calendar(user) -> bool:
    """Has an own calendar of court hearings (their cases) and meetings: a lawyer of a branch."""
    return _is(user, {Role.LAWYER}) and user.branch_id is not None


def court_calendar_keepers_q(branch_id) -> Q:
    """Whose calendars a branch's court hearings go into: its active lawyers."""
    return Q(role=Role.LAWYER, branch_id=branch_id, is_active=True)


def may_read_calendar_of(user, owner) -> bool:
    """A sales calendar: everyone on staff; a lawyer's: the lawyer, the branch's head, director, admin."""
    if has_calendar(owner):
        return is_active_staff(user)
    if keeps_court_calendar(owner):
        return (is_active_staff(user) and user.pk == owner.pk) or can_manage_branch(user, owner.branch_id)
    return False


def may_see_branch_calendars(user, branch_id) -> bool:
    """The branch's calendars side by side, one column per manager: its head, director, admin."""
    return can_manage_branch(user, branch_id)


def offers_branch_calendars(user) -> bool:
    """Offer the side-by-side day at all (a link on the calendar page): heads, director, admin."""
    return _is(user, MANAGES_BRANCH | SEES_EVERYTHING)


# --- the end-of-day report (reports/) ---------------------------------------------------------

FILES_DAILY_REPORT = frozenset({Role.MANAGER})
READS_DAILY_REPORTS = frozenset({Role.MANAGER, Role.HEAD_OF_SALES, Role.DIRECTOR})


def files_daily_report(user) -> bool:
    """Who files an end-of-day report: sales managers (with a branch), for their own day."""
    return _is(user, FILES_DAILY_REPORT) and user.branch_id is not None


def offers_daily_reports(user) -> bool:
    """«Отчёты» in the menu and the API list: managers (their own), heads (branch), director (all).
    The admin is IT, not sales; the lawyer and the front desk file no reports."""
    return _is(user, READS_DAILY_REPORTS)


def daily_reports_q(user) -> Q:
    """Which end-of-day reports `user` reads: a manager their own, a head their branch's, the director all."""
    if not offers_daily_reports(user):
        return NOTHING
    if user.role == Role.DIRECTOR:
        return Q()
    branch = branch_overseen_by(user)
    if branch:
        return Q(branch_id=branch)
    return Q(manager_id=user.pk) if user.role == Role.MANAGER else NOTHING


def may_review_daily_reports_of(user, branch_id) -> bool:
    """Mark reports reviewed and see who has not filed: the branch's head and the director."""
    if _is(user, {Role.DIRECTOR}):
        return True
    return branch_id is not None and branch_overseen_by(user) == branch_id


def may_set_report_questions(user, branch_id) -> bool:
    """The branch's extra questions in the end-of-day report: its head, or the director for any branch."""
    return may_review_daily_reports_of(user, branch_id)


def reviews_daily_reports(user) -> bool:
    """The branch day view at all (the «Отчёты» page opens on it): heads and the director."""
    return _is(user, MANAGES_BRANCH | {Role.DIRECTOR})


# --- the outside calendar (integrations/caldav) ------------------------------------------


def may_connect_calendar(user) -> bool:
    """May connect an own Yandex.Calendar that the CRM fills: whoever keeps a calendar here
    (managers and heads of a branch, lawyers for their hearings)."""
    return has_calendar(user) or keeps_court_calendar(user)


def may_see_calendar_connections(user) -> bool:
    """The state of everyone's calendar connections (never their passwords): the admin and the director."""
    return sees_everything(user)


# --- the heads' analytics (reports/analytics) --------------------------------------------


READS_ANALYTICS = frozenset({Role.DIRECTOR})


def offers_analytics(user) -> bool:
    """The funnel, efficiency and payments dashboards: heads of a branch and the director.
    Managers have their own figures in the end-of-day report; the admin is IT, not sales."""
    return _is(user, READS_ANALYTICS) or branch_overseen_by(user) is not None


def analytics_branch(user) -> int | None:
    """The branch a reader's dashboards are held to: a head's own; None (every branch) for the director."""
    return branch_overseen_by(user)


def analytics_rows_q(user, *, branch: str = "branch") -> Q:
    """Which rows feed `user`'s dashboards: a head's branch, everything for the director, nothing else.
    `branch` names the row's branch lookup."""
    if not offers_analytics(user):
        return NOTHING
    overseen = analytics_branch(user)
    return Q(**{f"{branch}_id": overseen}) if overseen else Q()


def analytics_people_q(user) -> Q:
    """Whose figures `user` may pick in the dashboards' manager filter: sales staff of the branch, or all."""
    if not offers_analytics(user):
        return NOTHING
    return Q(role__in=SALES) & analytics_rows_q(user)


# --- telephony (Mango Office) -------------------------------------------------------------------


def may_call_from_crm(user) -> bool:
    """«Позвонить» beside a number (Mango's click-to-call rings the user's own phone first):
    active staff with a Mango extension; the number itself must be on a card they may open."""
    return is_active_staff(user) and bool(getattr(user, "mango_extension", ""))


def may_listen_to_call(user, call) -> bool:
    """Play a call's recording: whoever may open the client's case file; for a call from a number
    no client has, the staff member on the call, the head of that person's branch, director and admin.
    A recording kept without its call (`call` None) belongs to nobody to check against: director and admin."""
    if not is_active_staff(user):
        return False
    if call is None:
        return user.role in SEES_EVERYTHING
    if call.client_id is not None:
        return may_open_client(user, call.client)
    if user.role in SEES_EVERYTHING or (call.staff_id is not None and call.staff_id == user.pk):
        return True
    branch = branch_overseen_by(user)
    return branch is not None and call.staff is not None and call.staff.branch_id == branch


def offers_call_log(user) -> bool:
    """«Звонки», the call log by manager and day: heads of a branch, the director and the admin."""
    return _is(user, SEES_EVERYTHING) or branch_overseen_by(user) is not None


def call_log_q(user, *, staff: str = "staff") -> Q:
    """Which calls feed `user`'s call log: those of a head's branch staff, every call for director and admin."""
    if not offers_call_log(user):
        return NOTHING
    if user.role in SEES_EVERYTHING:
        return Q()
    return Q(**{f"{staff}__branch_id": branch_overseen_by(user)})


def secretaries_q() -> Q:
    """Who takes non-target callers on the phone: active office managers with a Mango extension."""
    return Q(role=Role.OFFICE_MANAGER, is_active=True) & ~Q(mango_extension="")


# --- mail (Yandex.Mail) -----------------------------------------------------------------------------


def may_connect_mailbox(user) -> bool:
    """Connect one's own mailbox («Почта» in the profile, `PUT /api/v1/me/mailbox/`): any active staff member."""
    return is_active_staff(user)


def shared_mailbox_handlers_q() -> Q:
    """Who reads a shared mailbox's letters when the admin named nobody: the call-centre."""
    return Q(role=Role.CALL_CENTRE, is_active=True)


def may_manage_shared_mailboxes(user) -> bool:
    """Shared mailboxes (the site's info@) and who handles them: the admin, in the admin site."""
    return _is(user, {Role.ADMIN})
