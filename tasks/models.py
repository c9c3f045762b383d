"""Tasks the firm's way: one task, one question, one responsible.

Forms: ПР (письмо-решение, climbs the supervisor chain), РЗ (рабочая
задача), Отчёт (recurring, defined by a supervisor) and ordinary tasks.
Deadlines are dates on the Russian production calendar (crm.workdays).
"""

from datetime import timedelta

from django.db import models
from django.db.models import Q
from django.utils import timezone

from crm.models import User

# The rulebook: at most 3 working days to solve, first reply within 24 hours.
MAX_WORKING_DAYS = 3
FEEDBACK_HOURS = 24


class Task(models.Model):
    class Form(models.TextChoices):
        ORDINARY = "task", "Задача"
        PR = "pr", "ПР"
        RZ = "rz", "РЗ"
        REPORT = "report", "Отчёт"

    class Status(models.TextChoices):
        NEW = "new", "Новая"
        IN_PROGRESS = "in_progress", "В работе"
        AWAITING = "awaiting", "Ждёт решения/контроля"
        DONE = "done", "Выполнена"
        DEFERRED = "deferred", "Отложена"
        REJECTED = "rejected", "Отклонена"

    class PrKind(models.TextChoices):
        DISCOUNT = "discount", "Скидка или рассрочка"
        REFUND = "refund", "Возврат денег"
        EXCEPTION = "exception", "Нестандартное решение по делу"
        EXPENSE = "expense", "Расход"
        STAFF = "staff", "Кадровый вопрос"
        OTHER = "other", "Другое"

    OPEN = (Status.NEW, Status.IN_PROGRESS, Status.AWAITING, Status.DEFERRED)
    CLOSED = (Status.DONE, Status.REJECTED)

    form = models.CharField("форма", max_length=8, choices=Form.choices, default=Form.ORDINARY)
    title = models.CharField("название", max_length=250)
    body = models.TextField("описание", blank=True)
    status = models.CharField("статус", max_length=12, choices=Status.choices, default=Status.NEW)
    # None: created by the CRM itself (stage automation, the report schedule).
    author = models.ForeignKey(
        User, verbose_name="постановщик", null=True, blank=True, on_delete=models.PROTECT, related_name="tasks_authored"
    )
    responsible = models.ForeignKey(
        User, verbose_name="ответственный", on_delete=models.PROTECT, related_name="tasks_responsible"
    )
    # The responsible's branch, kept with the task so a head's list is one index scan.
    branch = models.ForeignKey("crm.Branch", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    deadline = models.DateField("срок")
    deadline_reason = models.TextField("почему срок больше 3 рабочих дней", blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # When the current responsible got the task: the 24-hour feedback clock starts here.
    assigned_at = models.DateTimeField(default=timezone.now)
    first_reply_at = models.DateTimeField(null=True, blank=True)
    feedback_flagged_at = models.DateTimeField(null=True, blank=True)
    # Set once a responsible let 24 hours pass without a reply: counts against efficiency.
    feedback_late = models.BooleanField(default=False)
    deadline_warned_at = models.DateTimeField(null=True, blank=True)
    overdue_notified_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    client = models.ForeignKey("clients.Client", null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks")
    deal = models.ForeignKey("deals.Deal", null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks")
    lead = models.ForeignKey("leads.Lead", null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks")

    # ПР: the letter's parts; РЗ: the wanted result.
    pr_kind = models.CharField("вид", max_length=12, choices=PrKind.choices, blank=True)
    essence = models.TextField("суть вопроса", blank=True)
    facts = models.TextField("полная информация", blank=True)
    proposal = models.TextField("предлагаемое решение", blank=True)
    wanted_result = models.TextField("ожидаемый результат", blank=True)

    # Отчёт: which schedule and which period it reports on; the answers.
    report_schedule = models.ForeignKey(
        "tasks.ReportSchedule", null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks"
    )
    report_for = models.DateField(null=True, blank=True)
    questions = models.JSONField(default=list, blank=True)
    answers = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = "задача"
        verbose_name_plural = "задачи"
        ordering = ["deadline", "id"]
        indexes = [
            models.Index(fields=["responsible", "deadline", "id"], name="task_resp_deadline"),
            models.Index(fields=["author", "deadline", "id"], name="task_author_deadline"),
            models.Index(fields=["branch", "deadline", "id"], name="task_branch_deadline"),
            # The beat jobs look only at open tasks.
            models.Index(
                fields=["assigned_at"],
                name="task_open_assigned",
                condition=Q(status__in=["new", "in_progress", "awaiting", "deferred"]),
            ),
        ]
        constraints = [
            # Beat may fire twice: one report task per schedule and period, whatever happens.
            models.UniqueConstraint(
                fields=["report_schedule", "report_for"],
                condition=Q(report_schedule__isnull=False),
                name="task_one_report_per_period",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    STATUS_BADGES = {
        Status.NEW: "text-bg-primary",
        Status.IN_PROGRESS: "text-bg-info",
        Status.AWAITING: "text-bg-warning",
        Status.DONE: "text-bg-success",
        Status.DEFERRED: "text-bg-secondary",
        Status.REJECTED: "text-bg-danger",
    }

    @property
    def status_badge(self) -> str:
        return self.STATUS_BADGES.get(self.status, "text-bg-secondary")

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.deadline < timezone.localdate()

    @property
    def feedback_due_at(self):
        return self.assigned_at + timedelta(hours=FEEDBACK_HOURS)

    @property
    def feedback_missing(self) -> bool:
        """No reply from the responsible within 24 hours of getting the task."""
        return self.is_open and self.first_reply_at is None and timezone.now() > self.feedback_due_at


class TaskParticipant(models.Model):
    """Co-executors (with their part written out) and observers."""

    class Role(models.TextChoices):
        CO_EXECUTOR = "co_executor", "Соисполнитель"
        OBSERVER = "observer", "Наблюдатель"

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="task_roles")
    role = models.CharField(max_length=12, choices=Role.choices)
    part = models.TextField("что требуется", blank=True)
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["role", "id"]
        constraints = [models.UniqueConstraint(fields=["task", "user", "role"], name="task_participant_once")]
        indexes = [models.Index(fields=["user", "role", "task"])]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.user}"


class ChecklistItem(models.Model):
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="checklist")
    text = models.CharField(max_length=300)
    done = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.text


class TaskComment(models.Model):
    class Kind(models.TextChoices):
        COMMENT = "comment", "Комментарий"
        DECISION = "decision", "Решение"
        ANSWER = "answer", "Ответ автора"

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.COMMENT)
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.text[:50]


def _attachment_path(instance, filename: str) -> str:
    return f"tasks/{instance.task_id}/{filename}"


class TaskAttachment(models.Model):
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=_attachment_path, max_length=300)
    name = models.CharField(max_length=200)
    size = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class TaskEvent(models.Model):
    """The task's history: who got it, who passed it on and who decided, in order."""

    class Kind(models.TextChoices):
        CREATED = "created", "Поставлена"
        STATUS = "status", "Статус"
        DELEGATED = "delegated", "Делегирована"
        ESCALATED = "escalated", "Передана выше"
        DECIDED = "decided", "Решение"
        DEADLINE = "deadline", "Срок"
        OBSERVER = "observer", "Наблюдатель"
        FEEDBACK_LATE = "feedback_late", "Нет ответа 24 ч"

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=14, choices=Kind.choices)
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    text = models.CharField(max_length=500)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return self.text


class ReportSchedule(models.Model):
    """A recurring report a supervisor asks of a subordinate; beat creates the tasks."""

    class Period(models.TextChoices):
        DAILY = "daily", "Каждый рабочий день"
        WEEKLY = "weekly", "Раз в неделю"
        MONTHLY = "monthly", "Раз в месяц"

    WEEKDAYS = [(0, "понедельник"), (1, "вторник"), (2, "среда"), (3, "четверг"), (4, "пятница")]

    author = models.ForeignKey(User, verbose_name="руководитель", on_delete=models.PROTECT, related_name="+")
    responsible = models.ForeignKey(User, verbose_name="сотрудник", on_delete=models.PROTECT, related_name="reports")
    title = models.CharField("название", max_length=200)
    questions = models.JSONField("вопросы", default=list)
    period = models.CharField("периодичность", max_length=8, choices=Period.choices, default=Period.WEEKLY)
    weekday = models.PositiveSmallIntegerField("день недели", choices=WEEKDAYS, default=4)
    month_day = models.PositiveSmallIntegerField("число месяца", default=1)
    deadline_working_days = models.PositiveSmallIntegerField("срок сдачи, рабочих дней", default=1)
    is_active = models.BooleanField("действует", default=True)
    created_at = models.DateTimeField(default=timezone.now)
    # The next period start for which no task exists yet; beat moves it forward.
    next_run = models.DateField("следующий отчёт")

    class Meta:
        verbose_name = "регулярный отчёт"
        verbose_name_plural = "регулярные отчёты"
        ordering = ["responsible__full_name", "id"]
        indexes = [models.Index(fields=["next_run"], name="report_next_run", condition=Q(is_active=True))]

    def __str__(self) -> str:
        return f"{self.title} — {self.responsible}"
