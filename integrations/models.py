"""Outside-system state: the Yandex.Disk outbox, each client's folder and documents for the Disk."""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from clients.models import Client
from crm.models import User


class DiskJob(models.Model):
    """Outbox row: written in the same transaction as the change that needs the Disk to follow.

    `client` jobs converge one client's folder (create, move, rename, documents)
    to what the database says now, so running one twice changes nothing and a
    later job can never be overtaken by an earlier one. `payments` jobs
    refresh one manager's payments table.
    """

    class Kind(models.TextChoices):
        CLIENT = "client", "Папка клиента"
        PAYMENTS = "payments", "Таблица платежей"

    class Status(models.TextChoices):
        PENDING = "pending", "Ждёт"
        DONE = "done", "Выполнено"
        FAILED = "failed", "Ошибка (нужен администратор)"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    client = models.ForeignKey(Client, null=True, blank=True, on_delete=models.CASCADE, related_name="disk_jobs")
    manager = models.ForeignKey(User, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["next_attempt_at"], name="diskjob_due", condition=Q(status="pending")),
            models.Index(fields=["client", "status"], name="diskjob_client"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class ClientFolder(models.Model):
    """Where the client's folder is on the Disk now, and its stable name."""

    client = models.OneToOneField(Client, on_delete=models.CASCADE, related_name="disk_folder")
    # «Иванов И.И.» or «Иванов И.И. (2)»: chosen once, so namesakes never swap folders.
    folder_name = models.CharField(max_length=300)
    synced_path = models.CharField(max_length=1000, blank=True)
    questionnaire_uploaded = models.BooleanField(default=False)
    # A worker's lease instead of a long transaction: a killed worker's lease simply runs out.
    lease_until = models.DateTimeField(null=True, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)
    # For ДУ folders imported from «ДУ/<год>» whose contract date the CRM does not know.
    year_hint = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        # Not unique: imported trees may hold namesakes under different managers; new names avoid them.
        indexes = [models.Index(fields=["folder_name"], name="disk_folder_name")]

    def __str__(self) -> str:
        return self.synced_path or self.folder_name



class DiskImportRun(models.Model):
    """One import of an existing Disk tree: progress and what could not be placed."""

    class Status(models.TextChoices):
        RUNNING = "running", "Идёт"
        DONE = "done", "Готово"
        FAILED = "failed", "Ошибка"

    started_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    folders_seen = models.PositiveIntegerField(default=0)
    clients_created = models.PositiveIntegerField(default=0)
    already_known = models.PositiveIntegerField(default=0)
    problems = models.JSONField(default=list)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"Импорт #{self.pk}"
