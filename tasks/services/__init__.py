"""Writes for tasks: the firm's rulebook for tasks, one module per concern.

Every function changes rows in one transaction, writes the task's history
and the audit log, and notifies the people concerned. Refusals raise
DomainError with a Russian message and change nothing. Callers import
this package (`from tasks import services`); the modules are:
rules (shared checks), creation, work, reports and clocks (beat jobs).
"""

from tasks.services.clocks import deadlines_notify, feedback_flag_overdue  # noqa: F401
from tasks.services.creation import pr_create, pr_title, rz_create, task_create  # noqa: F401
from tasks.services.reports import (  # noqa: F401
    report_period_start,
    report_schedule_create,
    report_schedule_stop,
    report_submit,
    reports_create_due,
)
from tasks.services.rules import (  # noqa: F401
    MAX_ATTACHMENT_BYTES,
    Action,
    Decision,
    Form,
    Role,
    Status,
    add_event,
    check_deadline,
    check_person,
    default_deadline,
    everyone_on,
    lock,
    mark_reply,
    require_open,
    require_responsible,
    task_url,
)
from tasks.services.work import (  # noqa: F401
    attachment_add,
    checklist_toggle,
    close_task,
    pr_answer,
    task_accept,
    task_add_observer,
    task_comment,
    task_complete,
    task_decide,
    task_decline,
    task_defer,
    task_delegate,
    task_return,
    task_set_deadline,
    task_start,
)
