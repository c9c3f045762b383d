from django.db import models
from django.db.models import Q
from django.utils import timezone

from clients.models import Client
from crm.models import Branch, User
from crm.phones import format_phone
from crm.pipelines import ServiceLine
from deals.models import Deal


class Lead(models.Model):
    """An incoming request. Stored first, before any routing or matching."""

    class Status(models.TextChoices):
        NEW = "new", "Новый"
        IN_WORK = "in_work", "В работе"
        CONVERTED = "converted", "Сделка создана"
        NON_TARGET = "non_target", "Нецелевой"
        CLOSED = "closed", "Закрыт без сделки"

    source = models.CharField("источник", max_length=10, choices=Deal.Source.choices, default=Deal.Source.CALL)
    name = models.CharField("имя", max_length=300, blank=True)
    phone = models.CharField("телефон", max_length=32, blank=True)
    phone_norm = models.CharField(max_length=15, blank=True, db_index=True)
    email = models.EmailField("e-mail", blank=True)
    email_norm = models.CharField(max_length=254, blank=True, db_index=True)
    message = models.TextField("суть обращения", blank=True)
    service_line = models.CharField("направление", max_length=2, choices=ServiceLine.choices, blank=True)
    branch = models.ForeignKey(Branch, verbose_name="филиал", null=True, blank=True, on_delete=models.PROTECT)
    status = models.CharField("статус", max_length=12, choices=Status.choices, default=Status.NEW)
    assigned_to = models.ForeignKey(
        User, verbose_name="ответственный", null=True, blank=True, on_delete=models.PROTECT, related_name="leads"
    )
    # Set when the contact is on the non-target list: the lead went to the
    # office manager's queue and never reaches a sales manager.
    routed_to_office = models.BooleanField("передан офис-менеджеру", default=False)
    non_target_reason = models.CharField("причина «нецелевой»", max_length=300, blank=True)
    # A request handled without a deal (advertising, not our profile, a wrong number): closed with why.
    close_reason = models.CharField("причина закрытия", max_length=300, blank=True)
    closed_at = models.DateTimeField("закрыт", null=True, blank=True)
    closed_by = models.ForeignKey(
        User, verbose_name="закрыл", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    client = models.ForeignKey(Client, null=True, blank=True, on_delete=models.SET_NULL, related_name="leads")
    deal = models.ForeignKey(Deal, null=True, blank=True, on_delete=models.SET_NULL, related_name="leads")
    created_at = models.DateTimeField("поступил", default=timezone.now)
    # The first time anyone answered the request by acting on it (a «дело» done, a deal made, closed, marked
    # non-target); routing or handing it to a manager is not an answer. Set once, never moved later.
    first_response_at = models.DateTimeField("первый ответ", null=True, blank=True)
    # first_response_at − created_at, kept with them by the services: the dashboards' exact medians read the
    # middle values from an index of it (reports/analytics/rollup.py) instead of sorting a year of requests.
    response_seconds = models.FloatField("секунд до первого ответа", null=True, blank=True, editable=False)
    # The deal made from this request has a signed contract (set by leads_of_signed_deal, never by hand).
    contract_signed = models.BooleanField(default=False, editable=False)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # A retry token of the caller who sent it (`created_by`; none for mail and
    # telephony intake): unique per caller, so one caller's key never finds
    # another's lead. The fingerprint is of the request the key first came with;
    # the key reused with another request is refused. Blank on rows stored
    # before fingerprints were kept.
    idempotency_key = models.CharField(max_length=100, null=True, blank=True)
    idempotency_fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    # A duplicate merged into another lead is kept (its story and audit stay readable) but no longer listed.
    merged_into = models.ForeignKey(
        "self", verbose_name="объединён с", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "лид"
        verbose_name_plural = "лиды"
        indexes = [
            models.Index(fields=["assigned_to", "status", "-id"]),
            models.Index(fields=["branch", "status", "-id"]),
            models.Index(fields=["routed_to_office", "status", "-id"]),
            # The dashboards' period over leads: the whole firm's, and a head's branch.
            # The dashboards' requests of a period: counted from the index alone (what became of each).
            models.Index(
                fields=["created_at"],
                name="lead_created",
                include=["id", "source", "status", "deal", "contract_signed", "branch", "assigned_to", "merged_into"],
            ),
            models.Index(
                fields=["branch", "created_at"],
                name="lead_branch_created",
                include=["id", "source", "status", "deal", "contract_signed", "assigned_to", "merged_into"],
            ),
            # The funnel's losses: leads closed in the period, and leads marked non-target among those that came
            # in it (two ranges, glued with UNION ALL), with what the count groups and filters by.
            models.Index(
                fields=["status", "closed_at"],
                name="lead_status_closed",
                include=[
                    "id",
                    "close_reason",
                    "merged_into",
                    "branch",
                    "assigned_to",
                    "source",
                    "deal",
                    "service_line",
                ],
            ),
            # The same for a head: their branch's rows only.
            models.Index(
                fields=["branch", "status", "closed_at"],
                name="lead_branch_status_closed",
                include=["id", "close_reason", "merged_into", "assigned_to", "source", "deal", "service_line"],
            ),
            models.Index(
                fields=["branch", "status", "created_at"],
                name="lead_branch_status_created",
                include=["id", "non_target_reason", "merged_into", "assigned_to", "source", "deal", "service_line"],
            ),
            models.Index(
                fields=["status", "created_at"],
                name="lead_status_created",
                include=[
                    "id",
                    "non_target_reason",
                    "merged_into",
                    "branch",
                    "assigned_to",
                    "source",
                    "deal",
                    "service_line",
                ],
            ),
            # The median first response: the middle value(s) of a manager's, a branch's or the firm's requests
            # in a bucket of durations, read in order from these (the period and scope ride along).
            models.Index(
                fields=["assigned_to", "response_seconds"],
                name="lead_manager_response",
                include=["created_at", "merged_into", "branch", "source"],
                condition=models.Q(response_seconds__isnull=False),
            ),
            models.Index(
                fields=["branch", "response_seconds"],
                name="lead_branch_response",
                include=["created_at", "merged_into", "assigned_to", "source"],
                condition=models.Q(response_seconds__isnull=False),
            ),
            models.Index(
                fields=["response_seconds"],
                name="lead_response",
                include=["created_at", "merged_into", "branch", "assigned_to", "source"],
                condition=models.Q(response_seconds__isnull=False),
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["created_by", "idempotency_key"], name="lead_idempotency_key_per_caller"),
            # NULLs are distinct in a unique index: intake with no caller needs its own.
            models.UniqueConstraint(
                fields=["idempotency_key"],
                condition=Q(created_by__isnull=True, idempotency_key__isnull=False),
                name="lead_idempotency_key_no_caller",
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.phone_display or self.email or f"Лид {self.pk}"

    @property
    def phone_display(self) -> str:
        """«+7 916 123-45-67», however the caller's number was typed."""
        return format_phone(self.phone_norm) if self.phone_norm else self.phone


class LeadPhone(models.Model):
    """Another number of the same caller (a merged duplicate's): matched on repeat calls, carried on conversion."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="other_phones")
    number = models.CharField("телефон", max_length=32)
    number_norm = models.CharField(max_length=15, db_index=True)

    class Meta:
        verbose_name = "телефон лида"
        verbose_name_plural = "телефоны лида"
        constraints = [models.UniqueConstraint(fields=["lead", "number_norm"], name="lead_phone_unique")]

    def __str__(self) -> str:
        return format_phone(self.number_norm)


class LeadMessage(models.Model):
    """A later request of the same caller (a repeat call, a merged duplicate): the lead's history.

    A repeat request sent through the API with an Idempotency-Key keeps the key
    here, as a new lead keeps it on the lead: unique per caller.
    """

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="history")
    source = models.CharField("источник", max_length=10, choices=Deal.Source.choices, default=Deal.Source.CALL)
    text = models.TextField("суть обращения", blank=True)
    at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    idempotency_key = models.CharField(max_length=100, null=True, blank=True)
    idempotency_fingerprint = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = "повторное обращение"
        verbose_name_plural = "повторные обращения"
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["created_by", "idempotency_key"], name="lead_message_idempotency_key_per_caller"
            ),
            models.UniqueConstraint(
                fields=["idempotency_key"],
                condition=Q(created_by__isnull=True, idempotency_key__isnull=False),
                name="lead_message_idempotency_key_no_caller",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_source_display()} {self.at:%d.%m.%Y %H:%M}"


class NonTargetContact(models.Model):
    """A phone or e-mail marked non-target: its later requests go to the office manager."""

    class Kind(models.TextChoices):
        PHONE = "phone", "Телефон"
        EMAIL = "email", "E-mail"

    kind = models.CharField(max_length=5, choices=Kind.choices)
    value = models.CharField(max_length=254)
    reason = models.CharField("причина", max_length=300)
    marked_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    marked_at = models.DateTimeField(default=timezone.now)
    lifted_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    lifted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "нецелевой контакт"
        verbose_name_plural = "нецелевые контакты"
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "value"], condition=Q(lifted_at__isnull=True), name="non_target_active_unique"
            )
        ]

    def __str__(self) -> str:
        return self.display

    @property
    def display(self) -> str:
        """«+7 903 111-22-33» for a phone, the address for an e-mail."""

        return format_phone(self.value) if self.kind == self.Kind.PHONE else self.value
