"""«Дела»: activities, the calendar settings, managers' hours and the pool rule.

The tables keep the names they had when these models lived in `crm` (db_table).
"""

from datetime import time

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from clients.models import Client
from crm.models import Branch, User
from crm.text import count_ru


class ActivitySettings(models.Model):
    """The firm's «Мои дела» rule and calendar defaults, edited in the admin (one row)."""

    deal_horizon_days = models.PositiveSmallIntegerField(
        "у активной сделки дело в ближайшие, дней", default=14, validators=[MinValueValidator(1)]
    )
    client_horizon_days = models.PositiveSmallIntegerField(
        "у клиента без сделки дело в ближайшие, дней", default=30, validators=[MinValueValidator(1)]
    )
    abandon_grace_days = models.PositiveSmallIntegerField(
        "клиент без дел становится заброшенным через, дней", default=7, validators=[MinValueValidator(1)]
    )
    day_start = models.TimeField("начало рабочего дня", default=time(9, 0))
    day_end = models.TimeField("конец рабочего дня", default=time(18, 0))
    slot_minutes = models.PositiveSmallIntegerField(
        "длина слота записи, минут", default=60, validators=[MinValueValidator(15)]
    )

    class Meta:
        db_table = "crm_activitysettings"
        verbose_name = "правила дел и календаря"
        verbose_name_plural = "правила дел и календаря"

    def __str__(self) -> str:
        return "Правила дел и календаря"

    @classmethod
    def load(cls) -> "ActivitySettings":
        row, _ = cls.objects.get_or_create(pk=1)
        return row


class WorkingHours(models.Model):
    """A manager's own hours on a weekday; without rows the firm's day applies on working days."""

    WEEKDAYS = [(0, "пн"), (1, "вт"), (2, "ср"), (3, "чт"), (4, "пт"), (5, "сб"), (6, "вс")]

    user = models.ForeignKey(User, verbose_name="сотрудник", on_delete=models.CASCADE, related_name="working_hours")
    weekday = models.PositiveSmallIntegerField("день недели", choices=WEEKDAYS)
    start = models.TimeField("с")
    end = models.TimeField("до")

    class Meta:
        db_table = "crm_workinghours"
        verbose_name = "рабочие часы"
        verbose_name_plural = "рабочие часы"
        ordering = ["user", "weekday"]
        constraints = [models.UniqueConstraint(fields=["user", "weekday"], name="working_hours_once_a_day")]

    def __str__(self) -> str:
        return f"{self.user}: {self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"


class Activity(models.Model):
    """A «дело»: a call, meeting, remote consultation, letter… planned or arrived, on a deal or a client.

    Meetings, consultations and busy time have an end: they occupy the
    manager's calendar, and two of them never overlap (on PostgreSQL an
    exclusion constraint guarantees it, see migration 0008).
    """

    class Kind(models.TextChoices):
        CALL = "call", "Звонок"
        MEETING = "meeting", "Встреча"
        REMOTE = "remote", "Дистанционная консультация"
        EMAIL = "email", "Письмо"
        MESSAGE = "message", "Сообщение"
        OTHER = "other", "Другое"
        BUSY = "busy", "Занято"

    class Direction(models.TextChoices):
        OUTBOUND = "outbound", "Исходящее"
        INBOUND = "inbound", "Входящее"

    class Status(models.TextChoices):
        PLANNED = "planned", "Запланировано"
        DONE = "done", "Выполнено"
        CANCELLED = "cancelled", "Отменено"

    class Place(models.TextChoices):
        OFFICE = "office", "В офисе"
        REMOTE = "remote", "Дистанционно"

    CALENDAR_KINDS = (Kind.MEETING, Kind.REMOTE, Kind.BUSY)

    kind = models.CharField("вид", max_length=10, choices=Kind.choices)
    direction = models.CharField("направление", max_length=10, choices=Direction.choices, default=Direction.OUTBOUND)
    status = models.CharField("статус", max_length=10, choices=Status.choices, default=Status.PLANNED)
    subject = models.CharField("о чём", max_length=300, blank=True)
    client = models.ForeignKey(Client, null=True, blank=True, on_delete=models.CASCADE, related_name="activities")
    deal = models.ForeignKey("deals.Deal", null=True, blank=True, on_delete=models.CASCADE, related_name="activities")
    lead = models.ForeignKey("leads.Lead", null=True, blank=True, on_delete=models.SET_NULL, related_name="activities")
    responsible = models.ForeignKey(
        User, verbose_name="ответственный", on_delete=models.PROTECT, related_name="activities"
    )
    branch = models.ForeignKey(Branch, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    planned_at = models.DateTimeField("когда")
    ends_at = models.DateTimeField("до", null=True, blank=True)
    place = models.CharField("место", max_length=10, choices=Place.choices, blank=True)
    location = models.CharField("адрес, ссылка или телефон", max_length=300, blank=True)
    result = models.TextField("результат", blank=True)
    booked_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Busy time read back from the owner's outside calendar (its event's UID): such a row is
    # replaced by every read-back and never mirrored out again.
    external_uid = models.CharField("событие внешнего календаря", max_length=255, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "crm_activity"
        verbose_name = "дело"
        verbose_name_plural = "дела"
        ordering = ["planned_at", "id"]
        indexes = [
            models.Index(fields=["responsible", "status", "planned_at"], name="activity_resp_plan"),
            models.Index(fields=["deal", "status", "planned_at"], name="activity_deal_plan"),
            models.Index(fields=["client", "status", "planned_at"], name="activity_client_plan"),
            # The columns the efficiency dashboard counts by ride along (INCLUDE): a period of a branch or of
            # the firm is read from the index alone, without visiting a million rows of the table
            # (bench: a month of the firm 230 → 70 ms, a year of a 20-manager branch 380 → 85 ms).
            models.Index(
                fields=["branch", "planned_at"],
                name="activity_branch_day",
                include=["responsible", "status", "kind", "id"],
            ),
            # The dashboards' period over every branch (the director's view): a range on this index.
            models.Index(
                fields=["planned_at"],
                name="activity_planned_at",
                include=["responsible", "status", "kind", "branch", "id"],
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=models.F("planned_at")),
                name="activity_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.planned_at:%d.%m.%Y %H:%M}"

    @property
    def who(self) -> str:
        if self.client_id:
            return self.client.display_name
        if self.lead_id:
            return self.lead.name or self.lead.phone
        return ""

    @property
    def is_overdue(self) -> bool:
        return self.status == self.Status.PLANNED and self.planned_at < timezone.now()


class PoolRule(models.Model):
    """A head's rule for handing pool clients out for reanimation: how many per manager, how often."""

    branch = models.OneToOneField(Branch, verbose_name="филиал", on_delete=models.CASCADE, related_name="pool_rule")
    per_manager = models.PositiveSmallIntegerField("клиентов на менеджера", default=3)
    every_days = models.PositiveSmallIntegerField("раз в, дней", default=7, validators=[MinValueValidator(1)])
    is_active = models.BooleanField("действует", default=True)
    last_run_on = models.DateField("последняя раздача", null=True, blank=True)
    set_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        db_table = "crm_poolrule"
        verbose_name = "правило раздачи из отстойника"
        verbose_name_plural = "правила раздачи из отстойника"

    def __str__(self) -> str:
        clients = count_ru(self.per_manager, "клиенту", "клиента", "клиентов")  # «по» + dative for one
        return f"{self.branch}: по {clients} на менеджера раз в {count_ru(self.every_days, 'день', 'дня', 'дней')}"
