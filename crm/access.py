"""Who may see what: the one place that encodes the firm's access rules.

Every selector, page, API endpoint, export and task asks this module; no
other code compares roles. The rules (DESIGN.md):

- manager: own clients and deals;
- head of sales: everything of their branch;
- director, admin: everything;
- lawyer: contracted clients of their branch;
- call-centre: contact fields and calendars only, never case files;
- office manager: the non-target queue and the pool of abandoned clients.
"""

from django.db.models import Q

from crm.roles import Role

# Q that matches no row: used instead of .none() so callers can combine it.
NOTHING = Q(pk__in=[])

SEES_EVERYTHING = frozenset({Role.DIRECTOR, Role.ADMIN})
# Roles that book meetings or route requests across branches and so must
# see every branch's staff.
SEES_ALL_STAFF = SEES_EVERYTHING | {Role.CALL_CENTRE, Role.OFFICE_MANAGER}
MANAGES_BRANCH = frozenset({Role.HEAD_OF_SALES})


def is_active_staff(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def can_read_audit_log(user) -> bool:
    return is_active_staff(user) and user.role in SEES_EVERYTHING


def can_see_inactive_staff(user) -> bool:
    return is_active_staff(user) and (user.role in SEES_EVERYTHING or user.role in MANAGES_BRANCH)


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


def can_manage_branch(user, branch_id) -> bool:
    """Assign and reassign clients, decide «потерян окончательно»: heads in their branch, director, admin."""
    if not is_active_staff(user):
        return False
    if user.role in SEES_EVERYTHING:
        return True
    return user.role == Role.HEAD_OF_SALES and user.branch_id is not None and user.branch_id == branch_id


def can_work_records(user) -> bool:
    """Roles that change case files (move deals, record payments): not call-centre or office."""
    return is_active_staff(user) and user.role in {Role.MANAGER, Role.HEAD_OF_SALES, Role.DIRECTOR, Role.ADMIN}


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


def can_manage_reports_of(user, subordinate) -> bool:
    """A recurring report is set by the employee's supervisor (or the director)."""
    if not is_active_staff(user) or not subordinate.is_active:
        return False
    return subordinate.supervisor_id == user.pk or user.role in SEES_EVERYTHING
