"""Reads for tasks: every query starts from what the user may see."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, Exists, F, Func, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from crm import access
from crm.models import Notification, User
from tasks.models import FEEDBACK_HOURS, ReportSchedule, Task, TaskAttachment, TaskParticipant

PAGE_SIZE = 50


def _participant_q(user: User) -> Q:
    roles = TaskParticipant.objects.filter(task=OuterRef("pk"), user_id=user.pk)
    return Q(responsible_id=user.pk) | Q(author_id=user.pk) | Q(Exists(roles))


def tasks_visible_to(user: User) -> QuerySet[Task]:
    return Task.objects.filter(access.tasks_q(user, participants=_participant_q(user)))


def task_get_for_user(user: User, pk) -> Task:
    """One task with everything its card shows; 404 when the user may not see it."""
    task = (
        tasks_visible_to(user)
        .select_related("author", "responsible", "client", "deal", "lead", "branch", "report_schedule")
        .prefetch_related(
            Prefetch("participants", queryset=TaskParticipant.objects.select_related("user")),
            "checklist",
            Prefetch("attachments", queryset=TaskAttachment.objects.select_related("uploaded_by")),
        )
        .filter(pk=pk)
        .first()
    )
    if task is None:
        raise Http404
    return task


def task_card(task: Task) -> dict:
    """The task's comments, history and route (who held it, in order)."""
    comments = list(task.comments.select_related("author"))
    events = list(task.events.select_related("actor"))
    return {"comments": comments, "events": events}


TABS = {
    "mine": "Мои задачи",
    "assigned": "Поручил",
    "co": "Соисполняю",
    "watching": "Наблюдаю",
    "branch": "Филиал",
    "all": "Все",
}


def tabs_for(user: User) -> list[tuple[str, str]]:
    tabs = ["mine", "assigned", "co", "watching"]
    if access.branch_overseen_by(user):
        tabs.append("branch")
    if access.sees_everything(user):
        tabs.append("all")
    return [(t, TABS[t]) for t in tabs]


def _tab_q(user: User, tab: str) -> Q:
    if tab == "mine":
        return Q(responsible_id=user.pk)
    if tab == "assigned":
        return Q(author_id=user.pk)
    if tab in ("co", "watching"):
        role = TaskParticipant.Role.CO_EXECUTOR if tab == "co" else TaskParticipant.Role.OBSERVER
        ids = TaskParticipant.objects.filter(user_id=user.pk, role=role).values("task_id")
        return Q(pk__in=ids)
    if tab == "branch" and access.branch_overseen_by(user):
        return Q(branch_id=access.branch_overseen_by(user))
    if tab == "all" and access.sees_everything(user):
        return Q()
    return access.NOTHING


STATUS_FILTERS = {
    "open": ("Открытые", Q(status__in=Task.OPEN)),
    "overdue": ("Просроченные", Q(status__in=Task.OPEN)),  # narrowed by date in tasks_list
    "closed": ("Закрытые", Q(status__in=Task.CLOSED)),
    "all": ("Все", Q()),
}


def tasks_list(
    user: User,
    *,
    tab: str = "mine",
    status: str = "open",
    form: str = "",
    q: str = "",
    cursor: str | None = None,
) -> tuple[list[Task], str | None]:
    """One page of a tab, overdue first (the earliest deadline first), keyset-paged on (deadline, id)."""
    qs = tasks_visible_to(user).filter(_tab_q(user, tab), STATUS_FILTERS.get(status, STATUS_FILTERS["open"])[1])
    if status == "overdue":
        qs = qs.filter(deadline__lt=timezone.localdate())
    if form in Task.Form.values:
        qs = qs.filter(form=form)
    if q:
        qs = qs.filter(title__icontains=q.strip()[:100])
    if cursor:
        try:
            day, pk = cursor.split("_")
            qs = qs.filter(
                Q(deadline__gt=date.fromisoformat(day)) | Q(deadline=date.fromisoformat(day), pk__gt=int(pk))
            )
        except ValueError:
            pass
    rows = list(qs.select_related("author", "responsible", "client").order_by("deadline", "pk")[: PAGE_SIZE + 1])
    next_cursor = None
    if len(rows) > PAGE_SIZE:
        rows = rows[:PAGE_SIZE]
        next_cursor = f"{rows[-1].deadline.isoformat()}_{rows[-1].pk}"
    return rows, next_cursor


def task_counters(user: User) -> dict:
    """The navigation's numbers, in one query: my open tasks, overdue among them, unread notifications."""
    if not access.is_active_staff(user):
        return {}
    today = timezone.localdate()
    mine = Task.objects.filter(responsible_id=OuterRef("pk"), status__in=Task.OPEN)
    row = (
        User.objects.filter(pk=user.pk)
        .annotate(
            open_tasks=_count(mine),
            overdue_tasks=_count(mine.filter(deadline__lt=today)),
            unread=_count(Notification.objects.filter(user_id=OuterRef("pk"), read_at__isnull=True)),
        )
        .values("open_tasks", "overdue_tasks", "unread")
        .first()
    )
    return row or {}


def _count(qs):
    """COUNT(*) of `qs` as a scalar subquery (Func, not Count, so no GROUP BY is added)."""
    counted = qs.order_by().annotate(c=Func(F("pk"), function="COUNT")).values("c")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def tab_counts(user: User) -> dict[str, int]:
    """Open tasks per tab, one query."""
    today = timezone.localdate()
    base = tasks_visible_to(user).filter(status__in=Task.OPEN)
    aggregates = {tab: Count("pk", filter=_tab_q(user, tab)) for tab, _ in tabs_for(user)}
    aggregates["overdue_mine"] = Count("pk", filter=Q(responsible_id=user.pk, deadline__lt=today))
    return base.aggregate(**aggregates)


@dataclass
class EfficiencyRow:
    employee: User
    total: int
    done_on_time: int
    done_late: int
    overdue_open: int
    feedback_late: int

    @property
    def percent(self) -> int | None:
        counted = self.done_on_time + self.done_late + self.overdue_open
        return round(100 * self.done_on_time / counted) if counted else None


def efficiency_people(user: User) -> QuerySet[User]:
    """Whose efficiency `user` may read: their own; a head — the branch; the director — everyone."""
    return User.objects.filter(access.efficiency_q(user), is_active=True)


def efficiency(user: User, *, date_from: date, date_to: date, employee_id: int | None = None) -> list[EfficiencyRow]:
    """Per employee, tasks whose deadline falls in the period: done on time, done late, overdue and open,
    and how many got their first reply after 24 hours. One grouped query."""
    people = efficiency_people(user)
    if employee_id:
        people = people.filter(pk=employee_id)
    today = timezone.localdate()
    silent_since = timezone.now() - timedelta(hours=FEEDBACK_HOURS)
    tasks = Task.objects.filter(responsible__in=people, deadline__range=(date_from, date_to)).exclude(
        status=Task.Status.REJECTED
    )
    done = Q(status=Task.Status.DONE)
    grouped = tasks.values("responsible_id").annotate(
        total=Count("pk"),
        done_on_time=Count("pk", filter=done & Q(completed_at__date__lte=F("deadline"))),
        done_late=Count("pk", filter=done & Q(completed_at__date__gt=F("deadline"))),
        overdue_open=Count("pk", filter=Q(status__in=Task.OPEN, deadline__lt=today)),
        # Flagged by beat, or silent past 24 hours and beat has not looked yet.
        feedback_late=Count(
            "pk",
            filter=Q(feedback_late=True)
            | Q(status__in=Task.OPEN, first_reply_at__isnull=True, assigned_at__lt=silent_since),
        ),
    )
    figures = {row.pop("responsible_id"): row for row in grouped}
    # `or [0]`: an empty IN skips the query, and callers pin their query counts whatever the period holds.
    employees = people.filter(pk__in=list(figures) or [0]) if not employee_id else people
    zero = {"total": 0, "done_on_time": 0, "done_late": 0, "overdue_open": 0, "feedback_late": 0}
    return [
        EfficiencyRow(employee=e, **figures.get(e.pk, zero))
        for e in employees.select_related("branch").order_by("full_name")[:500]
    ]


def report_schedules_for(user: User) -> QuerySet[ReportSchedule]:
    """Reports the user set (as a supervisor) or must hand in."""
    return ReportSchedule.objects.filter(access.report_schedules_q(user)).select_related("author", "responsible")


def report_schedule_get_for_user(user: User, pk) -> ReportSchedule:
    schedule = report_schedules_for(user).filter(pk=pk).first()
    if schedule is None:
        raise Http404
    return schedule


def subordinates_of(user: User) -> QuerySet[User]:
    """Whom `user` may ask for a report: direct subordinates (the director: anyone)."""
    qs = User.objects.filter(access.report_subordinates_q(user), is_active=True)
    return qs.exclude(pk=user.pk).order_by("full_name")


def tasks_needing_attention(user: User, *, scope: str = "mine", limit: int = 8) -> list[Task]:
    """For the home page: open tasks due today or overdue (mine), or overdue in what the user oversees."""
    today = timezone.localdate()
    qs = tasks_visible_to(user).filter(status__in=Task.OPEN)
    if scope == "mine":
        qs = qs.filter(responsible_id=user.pk, deadline__lte=today)
    else:
        qs = qs.filter(deadline__lt=today).exclude(responsible_id=user.pk)
    return list(qs.select_related("responsible").order_by("deadline", "pk")[:limit])


def prs_awaiting_decision(user: User, *, limit: int = 8) -> list[Task]:
    """ПР on `user`'s desk for a decision (they are its responsible and it is open): the head's home page."""
    qs = tasks_visible_to(user).filter(form=Task.Form.PR, responsible_id=user.pk, status__in=Task.OPEN)
    return list(qs.select_related("author").order_by("deadline", "pk")[:limit])


DEAL_PICK_LIMIT = 20


def deals_to_pick(user: User, text: str) -> list:
    """Deals `user` may open whose client's name (or phone) holds every word of `text`, or whose number
    is `text`: the ПР form finds a deal by the client's name. Newest first, at most DEAL_PICK_LIMIT."""
    deal_model = Task._meta.get_field("deal").related_model
    words = text.casefold().split()[:4]
    if not words or (len(text.strip()) < 2 and not text.strip().isdigit()):
        return []
    found = deal_model.objects.filter(access.deals_q(user))
    if len(words) == 1 and words[0].isdigit():
        found = found.filter(Q(pk=int(words[0])) | Q(search_key__contains=words[0]))
    else:
        # The deal's search_key is its client's casefolded name and phones (SQLite's LIKE folds only Latin).
        for word in words:
            found = found.filter(search_key__contains=word)
    return list(found.select_related("client").order_by("-pk")[:DEAL_PICK_LIMIT])


def deal_for_task(user: User, pk):
    """The deal a task is linked to: one `user` may open, else 404.

    Reached through the task's own relation, since tasks sit below deals and never import them.
    """
    deal_model = Task._meta.get_field("deal").related_model
    found = deal_model.objects.filter(access.deals_q(user)).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found
