"""The home page per role: blocks of what needs the user's attention today.

Each block is a function returning a context dict (or None to hide it) and
names its partial template; which blocks each role gets is crm.access.home_page.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Case, Count, Q, Value, When
from django.utils import timezone

from activities.models import ActivitySettings
from activities.selectors import COUNT_CAP, capped_count, clients_breaking_rule, clients_in_state, deals_breaking_rule
from clients.models import Client
from crm import access, selectors
from crm.models import AuditEntry, User
from crm.roles import BRANCH_ROLES, RANK, TOP_ROLES
from deals.selectors import overdue_instalments
from tasks.selectors import prs_awaiting_decision, tasks_needing_attention


@dataclass(frozen=True)
class Block:
    template: str
    build: Callable[[User], dict | None]


def profile_block(user: User) -> dict:
    return {"me": user, "chain": selectors.supervisor_chain(user)}


def team_block(user: User) -> dict | None:
    if user.branch_id is None:
        return None
    team = selectors.staff_visible_to(user).filter(branch_id=user.branch_id).exclude(pk=user.pk)
    rank = Case(*(When(role=role, then=Value(i)) for i, role in enumerate(RANK)), default=Value(99))
    return {"team": list(team.annotate(rank=rank).order_by("rank", "full_name")[:100])}


def branches_block(user: User) -> dict:
    return {"branches": list(selectors.branches_with_staff_counts(user))}


def org_chart_gaps_block(user: User) -> dict | None:
    """Active staff the org chart leaves hanging: no (working) supervisor, or no branch where one is needed."""
    qs = selectors.staff_visible_to(user).filter(is_active=True)
    gaps = qs.filter(
        (Q(supervisor__isnull=True) & ~Q(role__in=list(TOP_ROLES)))
        | Q(supervisor__is_active=False)
        | (Q(branch__isnull=True) & Q(role__in=list(BRANCH_ROLES)))
    )
    return {"gaps": list(gaps.select_related("supervisor").order_by("full_name")[:50])}


def login_alerts_block(user: User) -> dict:
    since = timezone.now() - timedelta(hours=24)
    Action = AuditEntry.Action
    return (
        selectors.audit_entries_for(user)
        .filter(at__gte=since)
        .aggregate(
            locked=Count("pk", filter=Q(action=Action.LOGIN_LOCKED)),
            failed=Count("pk", filter=Q(action=Action.LOGIN_FAILED)),
        )
    )


def recent_audit_block(user: User) -> dict:
    return {"entries": list(selectors.audit_entries_for(user)[:8])}


def managers_on_duty_block(user: User) -> dict:
    # Everyone whose calendar the desk books into: managers and heads of sales.
    managers = selectors.staff_visible_to(user).filter(access.owners_q())
    return {"managers": list(managers.order_by("branch__name", "full_name")[:200])}


def overdue_payments_block(user: User) -> dict:
    rows, total = overdue_instalments(user)
    return {"rows": rows, "total": total}


def my_tasks_block(user: User) -> dict:
    return {"rows": tasks_needing_attention(user, scope="mine"), "scope": "mine"}


def pr_to_decide_block(user: User) -> dict:
    return {"rows": prs_awaiting_decision(user)}


def team_overdue_tasks_block(user: User) -> dict:
    tab = "all" if access.sees_everything(user) else "branch"
    return {"rows": tasks_needing_attention(user, scope="team"), "scope": "team", "tab": tab}


def activity_rule_block(user: User) -> dict:
    """Seed 004's rule on the home page: deals and clients with nothing planned, abandoned and pool counts."""

    settings = ActivitySettings.load()
    counts = {
        "deals": capped_count(deals_breaking_rule(user, settings)),
        "clients": capped_count(clients_breaking_rule(user, settings)),
        "settings": settings,
        "cap": COUNT_CAP,
    }
    if access.may_decide_abandoned(user):
        counts["abandoned"] = capped_count(clients_in_state(user, Client.Status.ABANDONED))
    return counts


OVERDUE_PAYMENTS = Block("web/home/_overdue_payments.html", overdue_payments_block)
PROFILE = Block("web/home/_profile.html", profile_block)
TEAM = Block("web/home/_team.html", team_block)
BRANCHES = Block("web/home/_branches.html", branches_block)
GAPS = Block("web/home/_org_gaps.html", org_chart_gaps_block)
LOGIN_ALERTS = Block("web/home/_login_alerts.html", login_alerts_block)
RECENT_AUDIT = Block("web/home/_recent_audit.html", recent_audit_block)
MANAGERS_ON_DUTY = Block("web/home/_managers_on_duty.html", managers_on_duty_block)
MY_TASKS = Block("web/home/_tasks.html", my_tasks_block)
ACTIVITY_RULE = Block("web/home/_activity_rule.html", activity_rule_block)
TEAM_OVERDUE_TASKS = Block("web/home/_tasks.html", team_overdue_tasks_block)
PR_TO_DECIDE = Block("web/home/_pr_to_decide.html", pr_to_decide_block)

# The blocks by the names crm.access.home_page gives each role.
BLOCKS = {
    "profile": PROFILE,
    "team": TEAM,
    "branches": BRANCHES,
    "gaps": GAPS,
    "login_alerts": LOGIN_ALERTS,
    "recent_audit": RECENT_AUDIT,
    "managers_on_duty": MANAGERS_ON_DUTY,
    "my_tasks": MY_TASKS,
    "activity_rule": ACTIVITY_RULE,
    "team_overdue_tasks": TEAM_OVERDUE_TASKS,
    "overdue_payments": OVERDUE_PAYMENTS,
    "pr_to_decide": PR_TO_DECIDE,
}


def home_title(user: User) -> str:
    return access.home_page(user)[0]


def home_blocks_for(user: User) -> list[tuple[str, dict]]:
    rendered = []
    for name in access.home_page(user)[1]:
        block = BLOCKS[name]
        context = block.build(user)
        if context is not None:
            rendered.append((block.template, context))
    return rendered
