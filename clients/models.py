"""Clients: persons and companies, their phones, contact persons, documents and history.

The tables keep the names they had when these models lived in `crm` (db_table),
so moving the code to its own app moved no data.
"""

from django.db import models
from django.utils import timezone

from crm.models import Branch, User


class Client(models.Model):
    """A person or company the firm serves or may serve. One client, one folder."""

    class Kind(models.TextChoices):
        PERSON = "person", "Физическое лицо"
        COMPANY = "company", "Организация"

    class Status(models.TextChoices):
        ACTIVE = "active", "Активный"
        ABANDONED = "abandoned", "Заброшен"
        POOL = "pool", "В отстойнике"
        LOST = "lost", "Потерян окончательно"

    kind = models.CharField("тип", max_length=10, choices=Kind.choices, default=Kind.PERSON)
    last_name = models.CharField("фамилия", max_length=100, blank=True)
    first_name = models.CharField("имя", max_length=100, blank=True)
    patronymic = models.CharField("отчество", max_length=100, blank=True)
    company_name = models.CharField("название организации", max_length=255, blank=True)
    # «Фамилия Имя Отчество» or the company name; kept by the services so
    # lists and boards sort and show it without recomputing.
    display_name = models.CharField("клиент", max_length=300)
    search_key = models.CharField(max_length=600, blank=True, editable=False)

    email = models.EmailField("e-mail", blank=True)
    # The address as letters are matched to it (crm.phones.normalize_email); kept by the services.
    email_norm = models.CharField(max_length=254, blank=True, editable=False, db_index=True)
    birth_date = models.DateField("дата рождения", null=True, blank=True)
    address = models.CharField("адрес", max_length=500, blank=True)
    region = models.CharField("регион", max_length=100, blank=True)

    # Personal data (152-ФЗ): shown masked; every opening is audited.
    passport = models.CharField("паспорт", max_length=100, blank=True)
    snils = models.CharField("СНИЛС", max_length=20, blank=True)
    inn = models.CharField("ИНН", max_length=12, blank=True)
    ogrn = models.CharField("ОГРН", max_length=15, blank=True)

    consent_at = models.DateTimeField("согласие на обработку ПДн", null=True, blank=True)
    consent_channel = models.CharField("как получено согласие", max_length=50, blank=True)
    consent_document = models.CharField("документ согласия", max_length=200, blank=True)

    manager = models.ForeignKey(
        User, verbose_name="ответственный", on_delete=models.PROTECT, related_name="clients", null=True, blank=True
    )
    branch = models.ForeignKey(Branch, verbose_name="филиал", on_delete=models.PROTECT, related_name="clients")
    status = models.CharField("статус", max_length=12, choices=Status.choices, default=Status.ACTIVE)
    # When the status last changed and, for «потерян окончательно», why: the heads' losses read these.
    status_changed_at = models.DateTimeField("статус с", null=True, blank=True)
    lost_reason = models.CharField("причина потери", max_length=500, blank=True)
    # The stage of the client's newest deal when it became abandoned, went to the pool or was lost: the heads'
    # losses by stage, set by those services, so the count needs no look-up of a deal per client.
    loss_stage = models.CharField("стадия сделки при потере", max_length=20, blank=True, editable=False)
    created_at = models.DateTimeField("создан", default=timezone.now)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # A duplicate merged into another card is kept (audit, the Disk folder record) but no longer listed.
    merged_into = models.ForeignKey(
        "self", verbose_name="объединён с", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        db_table = "crm_client"
        verbose_name = "клиент"
        verbose_name_plural = "клиенты"
        indexes = [
            models.Index(fields=["manager", "status", "-id"]),
            models.Index(fields=["branch", "status", "-id"]),
            models.Index(fields=["search_key"]),
            # Losses for a period: clients that became abandoned, went to the pool or were lost.
            # Covering: the count by status, reason and branch is read from the index alone.
            models.Index(
                fields=["status", "status_changed_at"],
                name="client_status_changed",
                include=["id", "merged_into", "lost_reason", "branch", "manager", "loss_stage"],
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def short_name(self) -> str:
        """«Иванов Иван Иванович» → «Иванов И.И.» (the Disk folder name)."""
        if self.kind == self.Kind.COMPANY:
            return self.company_name
        initials = "".join(f"{p[0]}." for p in (self.first_name, self.patronymic) if p)
        return f"{self.last_name} {initials}".strip()


class ClientPhone(models.Model):
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="phones")
    number = models.CharField("телефон", max_length=32)
    number_norm = models.CharField(max_length=15, db_index=True)
    is_primary = models.BooleanField(default=False)

    class Meta:
        db_table = "crm_clientphone"
        verbose_name = "телефон"
        verbose_name_plural = "телефоны"
        constraints = [models.UniqueConstraint(fields=["client", "number_norm"], name="client_phone_unique")]

    def __str__(self) -> str:
        return self.number


class ContactPerson(models.Model):
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="contact_persons")
    full_name = models.CharField("ФИО", max_length=200)
    position = models.CharField("должность", max_length=100, blank=True)
    phone = models.CharField("телефон", max_length=32, blank=True)
    email = models.EmailField("e-mail", blank=True)

    class Meta:
        db_table = "crm_contactperson"
        verbose_name = "контактное лицо"
        verbose_name_plural = "контактные лица"

    def __str__(self) -> str:
        return self.full_name


class TimelineEntry(models.Model):
    """One line of a client's history: comments, stage moves, payments, documents…"""

    class Kind(models.TextChoices):
        CREATED = "created", "Создание"
        COMMENT = "comment", "Комментарий"
        STAGE = "stage", "Смена стадии"
        ASSIGNMENT = "assignment", "Передача"
        CHANGE = "change", "Изменение данных"
        PAYMENT = "payment", "Платёж"
        DOCUMENT = "document", "Документ"
        TASK = "task", "Задача"
        ACTIVITY = "activity", "Дело"
        LEAD = "lead", "Обращение"

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="timeline")
    deal = models.ForeignKey("deals.Deal", null=True, blank=True, on_delete=models.CASCADE, related_name="timeline")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    text = models.TextField()
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    data = models.JSONField(default=dict, blank=True)
    mentions = models.ManyToManyField(User, blank=True, related_name="mentioned_in")

    class Meta:
        db_table = "crm_timelineentry"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["client", "-at"]), models.Index(fields=["deal", "-at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.text[:50]}"


def _document_path(instance, filename: str) -> str:
    return f"clients/{instance.client_id}/{filename}"


class ClientDocument(models.Model):
    """A document attached in the CRM (questionnaire, contract, scans); mirrored into the client's folder."""

    class Kind(models.TextChoices):
        QUESTIONNAIRE = "questionnaire", "Анкета"
        CONTRACT = "contract", "Договор"
        # The contract as signed by both sides, scanned: stage rules may ask for it (deals.StageDocumentRule).
        SIGNED_CONTRACT = "contract_signed", "Договор подписанный (скан)"
        INVOICE = "invoice", "Счёт"
        ACT = "act", "Акт"
        POWER_OF_ATTORNEY = "power_attorney", "Доверенность"
        CREDITOR_LIST = "creditor_list", "Список кредиторов"
        SCAN = "scan", "Скан"
        OTHER = "other", "Другое"

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField("вид", max_length=15, choices=Kind.choices, default=Kind.OTHER)
    file = models.FileField(upload_to=_document_path, max_length=400)
    name = models.CharField(max_length=200)
    size = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)
    on_disk_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "integrations_clientdocument"
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name
