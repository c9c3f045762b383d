"""The manager's end-of-day report and the branch's extra questions for it."""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from crm.models import Branch, User


class ReportQuestion(models.Model):
    """An extra question the head of sales asks the branch's managers in the end-of-day report."""

    class Kind(models.TextChoices):
        TEXT = "text", "Свободный текст"
        NUMBER = "number", "Число"
        CHOICE = "choice", "Выбор из вариантов"

    branch = models.ForeignKey(Branch, verbose_name="филиал", on_delete=models.CASCADE, related_name="report_questions")
    text = models.CharField("вопрос", max_length=300)
    kind = models.CharField("вид ответа", max_length=10, choices=Kind.choices, default=Kind.TEXT)
    # One option a line: the admin edits a textarea, the report offers a select.
    options = models.TextField("варианты (по одному в строке)", blank=True)
    required = models.BooleanField("обязательный", default=False)
    order = models.PositiveSmallIntegerField("порядок", default=0)
    is_active = models.BooleanField("задаётся", default=True)

    class Meta:
        verbose_name = "вопрос отчёта за день"
        verbose_name_plural = "вопросы отчёта за день"
        ordering = ["branch", "order", "id"]

    def __str__(self) -> str:
        return self.text

    @property
    def option_list(self) -> list[str]:
        return [line.strip() for line in self.options.splitlines() if line.strip()]


class DailyReport(models.Model):
    """One version of a manager's report for one working day.

    Submitted versions are frozen: a correction is a new version, and only the
    newest is current (a partial unique constraint keeps one current per day).
    """

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Сдан"
        REVIEWED = "reviewed", "Просмотрен"

    manager = models.ForeignKey(User, verbose_name="менеджер", on_delete=models.PROTECT, related_name="daily_reports")
    # The manager's branch when filing: a head's day view filters on one indexed column.
    branch = models.ForeignKey(Branch, verbose_name="филиал", on_delete=models.PROTECT, related_name="+")
    date = models.DateField("день")
    version = models.PositiveSmallIntegerField("версия", default=1)
    is_current = models.BooleanField("действующая версия", default=True)
    status = models.CharField("статус", max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    # The figures as the CRM counted them when the report was submitted: {key: number or "1234.00"}.
    figures = models.JSONField("показатели", default=dict)
    comments = models.JSONField("комментарии к показателям", default=dict, blank=True)
    # [{"question": id, "text": …, "kind": …, "answer": …}]: the question's wording is kept with the answer.
    answers = models.JSONField("ответы на вопросы", default=list, blank=True)
    submitted_at = models.DateTimeField("сдан", default=timezone.now)
    reviewed_by = models.ForeignKey(
        User, verbose_name="просмотрел", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField("просмотрен", null=True, blank=True)
    review_comment = models.TextField("комментарий руководителя", blank=True)

    class Meta:
        verbose_name = "отчёт за день"
        verbose_name_plural = "отчёты за день"
        ordering = ["-date", "manager_id", "-version"]
        indexes = [models.Index(fields=["branch", "date"], name="daily_report_branch_day")]
        constraints = [
            models.UniqueConstraint(fields=["manager", "date", "version"], name="daily_report_version_unique"),
            models.UniqueConstraint(
                fields=["manager", "date"], condition=Q(is_current=True), name="daily_report_one_current"
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="daily_report_version_positive"),
            models.CheckConstraint(
                condition=Q(status="submitted") | Q(reviewed_at__isnull=False), name="daily_report_reviewed_has_time"
            ),
        ]

    def __str__(self) -> str:
        return f"Отчёт {self.manager} за {self.date:%d.%m.%Y} (в. {self.version})"


class Fact(models.Model):
    """Events the heads' dashboards count, summed by day and by month (reports/analytics/rollup.py).

    Derived data: every row is a sum over append-only rows (stage moves, payments) up to the fact's
    watermark; the dashboards add the few rows past it, so a figure is exact whenever it is read. Dims a
    fact does not group by hold 0 or ''. Plain integers, no foreign keys: nothing here is edited by hand.
    """

    fact = models.CharField(max_length=20)
    grain = models.CharField(max_length=1)  # "d": a day; "m": a month (`day` is its first day)
    day = models.DateField()
    branch_id = models.IntegerField(default=0)
    manager_id = models.IntegerField(default=0)
    source = models.CharField(max_length=10, blank=True)
    line = models.CharField(max_length=2, blank=True)
    k1 = models.CharField(max_length=20, blank=True)
    k2 = models.CharField(max_length=200, blank=True)
    n = models.BigIntegerField(default=0)
    amount = models.DecimalField(max_digits=18, decimal_places=2, default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["fact", "grain", "day", "branch_id", "manager_id", "source", "line", "k1", "k2"],
                name="fact_key",
            )
        ]
        indexes = [models.Index(fields=["fact", "grain", "day", "branch_id"], name="fact_period")]

    def __str__(self) -> str:
        return f"{self.fact} {self.grain} {self.day}: {self.n}"


class FactWatermark(models.Model):
    """The last source row id a fact's rollup holds; rows past it are read raw."""

    fact = models.CharField(max_length=20, primary_key=True)
    last_id = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.fact} ≤ {self.last_id}"
