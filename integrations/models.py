"""Outside-system state: where each client's folder is on the Disk, and the Disk imports.

The work queue itself is the core's generic outbox (crm.models.OutboxJob)."""

from django.db import models
from django.utils import timezone

from clients.models import Client
from crm.models import User


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


class CalendarConnection(models.Model):
    """A staff member's own outside calendar (Yandex over CalDAV) that the CRM keeps filled."""

    class State(models.TextChoices):
        NEW = "new", "Не проверено"
        OK = "ok", "Работает"
        FAILED = "failed", "Ошибка"

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="calendar_connection")
    url = models.URLField("адрес сервера CalDAV", max_length=300)
    username = models.CharField("логин", max_length=254)
    # Fernet token of the app password (integrations/caldav/services.py); never shown, never logged.
    password_encrypted = models.TextField(editable=False)
    calendar = models.CharField("календарь", max_length=200)
    # Found by the check: events go here by URL, so the account's list is read once, not per event.
    calendar_url = models.CharField(max_length=1000, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.NEW)
    last_check_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    last_readback_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "подключение календаря"
        verbose_name_plural = "подключения календарей"

    def __str__(self) -> str:
        return f"{self.user}: {self.calendar}"


class CalendarEvent(models.Model):
    """A CRM entry mirrored into an outside calendar: where its event is and the ETag last seen."""

    # "activity:<id>": one row per CRM entry (hearings may follow with their own prefix).
    entry = models.CharField(max_length=100, unique=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    uid = models.CharField(max_length=255)
    href = models.CharField(max_length=1000)
    etag = models.CharField(max_length=200, blank=True)
    synced_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.entry
