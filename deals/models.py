from decimal import Decimal
from functools import cache

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from clients.models import Client, ClientDocument
from crm.models import Branch, User
from crm.pipelines import CLOSED, ServiceLine, Stage


@cache
def _deal_url_prefix() -> str:
    """«/deals/», from the URLconf once per process: boards print hundreds of card links."""
    return reverse("deals:detail", args=[0]).removesuffix("0/")


class Deal(models.Model):
    """One contract (or the hope of one) with a client in the ДБ or ДУ line."""

    class Source(models.TextChoices):
        CALL = "call", "Звонок"
        SITE = "site", "Сайт"
        REFERRAL = "referral", "Рекомендация"
        MAIL = "mail", "Почта"
        PARTNER = "partner", "Партнёр"
        WALK_IN = "walk_in", "Пришёл в офис"
        OTHER = "other", "Другое"

    client = models.ForeignKey(Client, verbose_name="клиент", on_delete=models.PROTECT, related_name="deals")
    service_line = models.CharField("направление", max_length=2, choices=ServiceLine.choices)
    stage = models.CharField("стадия", max_length=20, choices=Stage.choices)
    title = models.CharField("услуга", max_length=200, blank=True)
    manager = models.ForeignKey(User, verbose_name="менеджер", on_delete=models.PROTECT, related_name="deals")
    # The manager's branch at assignment, stored on the row so that branch
    # access checks and branch boards filter on one indexed column.
    branch = models.ForeignKey(Branch, verbose_name="филиал", on_delete=models.PROTECT, related_name="deals")
    source = models.CharField("источник", max_length=10, choices=Source.choices, default=Source.CALL)
    created_at = models.DateTimeField("создана", default=timezone.now)
    stage_changed_at = models.DateTimeField("на стадии с", default=timezone.now)
    closed_at = models.DateTimeField("закрыта", null=True, blank=True)

    # Contract
    contract_number = models.CharField("номер договора", max_length=50, blank=True)
    contract_date = models.DateField("дата договора", null=True, blank=True)
    fee = models.DecimalField(
        "стоимость услуг, ₽",
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    # Court (ДБ)
    court = models.CharField("арбитражный суд", max_length=200, blank=True)
    case_number = models.CharField("номер дела", max_length=40, blank=True)
    # The client's search key (name, phones, e-mail) kept on the deal, so a name search is one
    # trigram scan of deals sorted and cut to a page, not a join through thousands of clients.
    search_key = models.CharField(max_length=600, blank=True, editable=False)
    filing_date = models.DateField("дата подачи заявления", null=True, blank=True)
    judge = models.CharField("судья", max_length=200, blank=True)
    financial_manager = models.CharField("финансовый управляющий", max_length=200, blank=True)
    deposit_paid = models.BooleanField("депозит ФУ внесён", default=False)
    total_debt = models.DecimalField("общая сумма долга, ₽", max_digits=14, decimal_places=2, null=True, blank=True)
    property_notes = models.TextField("имущество", blank=True)
    # Outcome
    outcome_written_off = models.BooleanField("долги списаны", null=True, blank=True)
    outcome_date = models.DateField("дата завершения", null=True, blank=True)
    termination_reason = models.TextField("причина расторжения", blank=True)

    class Meta:
        verbose_name = "сделка"
        verbose_name_plural = "сделки"
        indexes = [
            # «Сделок без дела» per manager (the efficiency dashboard, «Мои дела» counts): the open deals alone,
            # read from the index (a head's: their branch's range), then anti-joined with the plans of the coming days
            # (bench, the whole firm: 228 → 70 ms).
            models.Index(
                fields=["branch", "manager"],
                name="deal_open_manager",
                include=["id", "service_line"],
                condition=~Q(stage__in=sorted(CLOSED)),
            ),
            # Board columns and lists: one index per scope (all / branch / own),
            # ordered as the column is shown, so a page is an index range scan.
            # (The stage code implies the service line, so it is not indexed apart.)
            models.Index(fields=["stage", "-stage_changed_at", "-id"], name="deal_board_all"),
            models.Index(fields=["branch", "stage", "-stage_changed_at", "-id"], name="deal_board_branch"),
            models.Index(fields=["manager", "stage", "-stage_changed_at", "-id"], name="deal_board_own"),
            models.Index(fields=["branch", "-id"], name="deal_list_branch"),
            models.Index(fields=["manager", "-id"], name="deal_list_own"),
            # The list sorted by stage change, per scope, without a stage filter.
            models.Index(fields=["-stage_changed_at", "-id"], name="deal_list_moved_all"),
            models.Index(fields=["branch", "-stage_changed_at", "-id"], name="deal_list_moved_branch"),
            models.Index(fields=["manager", "-stage_changed_at", "-id"], name="deal_list_moved_own"),
            # Prefix search «А40-1234…»: pattern ops let LIKE 'x%' use the index on PostgreSQL.
            models.Index(fields=["case_number"], name="deal_case_number", opclasses=["varchar_pattern_ops"]),
            # With the stage: «the stage of the client's newest deal» (the funnel's losses) is an index-only probe.
            models.Index(fields=["client", "-id"], name="deal_client", include=["stage"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_service_line_display()[:2]} · {self.client.display_name}" if self.client_id else "сделка"

    @property
    def url(self) -> str:
        return f"{_deal_url_prefix()}{self.pk}/"

    @property
    def move_url(self) -> str:
        return f"{self.url}move/"


class DealStageChange(models.Model):
    """Every stage a deal entered, written by the deal services as it happens: the heads'
    funnel, time in stage and losses read this table, never the audit log or the timeline.

    The deal's line, source, manager and branch are copied onto the row as they were at the
    move, so a funnel for a period, branch, manager or source is one index range scan
    without a join to a million deals; `seconds_in_from` is how long the deal sat in
    `from_stage`, so the median time in a stage needs no pairing of rows.
    """

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="stage_changes")
    service_line = models.CharField(max_length=2, choices=ServiceLine.choices)
    from_stage = models.CharField(max_length=20, choices=Stage.choices, blank=True)  # blank: the deal was opened
    to_stage = models.CharField(max_length=20, choices=Stage.choices)
    at = models.DateTimeField(default=timezone.now)
    # When the deal entered `from_stage`: "of the deals that entered a stage in the period, how many moved on".
    from_entered_at = models.DateTimeField(null=True, blank=True)
    seconds_in_from = models.BigIntegerField(null=True, blank=True)
    source = models.CharField(max_length=10, choices=Deal.Source.choices)
    manager = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+")
    # The deal's fee and termination reason as they were at the move: the funnel's «сумма договоров» and
    # losses by reason are then sums over this table (and its rollup), with no join to a million deals.
    fee = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    termination_reason = models.TextField(blank=True)

    class Meta:
        verbose_name = "смена стадии"
        verbose_name_plural = "история стадий"
        indexes = [
            models.Index(fields=["at"], name="stage_change_at"),
            models.Index(fields=["branch", "at"], name="stage_change_branch_at"),
            models.Index(fields=["manager", "at"], name="stage_change_manager_at"),
            # "Moved on": the rows leaving a stage, by when the deal had entered it.
            models.Index(fields=["from_entered_at"], name="stage_change_entered"),
            models.Index(fields=["branch", "from_entered_at"], name="stage_change_branch_entered"),
            models.Index(fields=["deal", "at"], name="stage_change_deal"),
            # Time in stage in order, per stage left: the funnel's exact medians read the middle rows from here.
            models.Index(
                fields=["from_stage", "seconds_in_from"],
                include=["at", "service_line", "branch"],
                condition=Q(seconds_in_from__isnull=False),
                name="stage_change_duration",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.deal_id}: {self.from_stage or '—'} → {self.to_stage}"


class DealStageCount(models.Model):
    """How many deals each manager has in each stage, kept by the deal services
    in the same transaction as the deal: board column counts at any scale
    read a few dozen rows instead of counting a million."""

    manager = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    branch = models.ForeignKey(Branch, on_delete=models.CASCADE, related_name="+")
    stage = models.CharField(max_length=20, choices=Stage.choices)
    count = models.IntegerField(default=0)
    # The sum of those deals' fees (no fee counts as 0), kept beside the count by the same
    # services: a board column's sum of fees at any scale is read with its count, no extra query.
    fee_total = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["manager", "branch", "stage"], name="deal_stage_count_unique")]

    def __str__(self) -> str:
        return f"{self.manager_id}/{self.stage}: {self.count}"


class Creditor(models.Model):
    class Kind(models.TextChoices):
        BANK = "bank", "Банк"
        MFO = "mfo", "МФО"
        TAX = "tax", "Налоговая"
        UTILITIES = "utilities", "ЖКХ"
        PERSON = "person", "Физлицо"
        OTHER = "other", "Другое"

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="creditors")
    name = models.CharField("кредитор", max_length=255)
    inn = models.CharField("ИНН", max_length=12, blank=True)
    kind = models.CharField("вид", max_length=10, choices=Kind.choices, default=Kind.BANK)
    amount = models.DecimalField("сумма, ₽", max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = "кредитор"
        verbose_name_plural = "кредиторы"

    def __str__(self) -> str:
        return self.name


class Hearing(models.Model):
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="hearings")
    date = models.DateTimeField("заседание")
    result = models.CharField("результат", max_length=500, blank=True)
    next_date = models.DateTimeField("следующее заседание", null=True, blank=True)

    class Meta:
        verbose_name = "заседание"
        verbose_name_plural = "заседания"
        ordering = ["-date"]

    def __str__(self) -> str:
        return f"{self.date:%d.%m.%Y}"


class Instalment(models.Model):
    """One planned payment of the fee schedule."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="instalments")
    due_date = models.DateField("срок")
    amount = models.DecimalField("сумма, ₽", max_digits=12, decimal_places=2)
    # Filled by the payment services (oldest instalment first), never by hand.
    paid_amount = models.DecimalField("оплачено, ₽", max_digits=12, decimal_places=2, default=Decimal("0"))
    # The deal's branch, manager, source and line as they are now (deal_reassign moves them with the deal):
    # the payments dashboard sums a year of instalments and the overdue ones by these from its indexes alone,
    # with no join to a million deals.
    # No single-column indexes: the composite ones below lead with these.
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+", editable=False, db_index=False)
    manager = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", editable=False, db_index=False)
    source = models.CharField(max_length=10, choices=Deal.Source.choices, editable=False)
    service_line = models.CharField(max_length=2, choices=ServiceLine.choices, editable=False)

    class Meta:
        verbose_name = "платёж по графику"
        verbose_name_plural = "график платежей"
        ordering = ["due_date", "id"]
        indexes = [
            models.Index(fields=["deal", "due_date"]),
            # Only unpaid instalments: the "overdue payments" lists and figures read this small index.
            models.Index(
                fields=["due_date"],
                name="instalment_unpaid_due",
                condition=Q(paid_amount__lt=F("amount")),
                include=["id", "branch", "manager", "source", "service_line", "deal", "amount", "paid_amount"],
            ),
            # Expected money by month (paid or not): the payments dashboard's period is a range on these.
            models.Index(
                fields=["due_date"],
                name="instalment_due",
                include=["branch", "manager", "source", "service_line", "amount", "paid_amount"],
            ),
            models.Index(
                fields=["branch", "due_date"],
                name="instalment_branch_due",
                include=["manager", "source", "service_line", "amount", "paid_amount"],
            ),
            models.Index(fields=["manager", "due_date"], name="instalment_manager_due"),
        ]

    def __str__(self) -> str:
        return f"{self.due_date:%d.%m.%Y} {self.amount}"

    @property
    def is_paid(self) -> bool:
        return self.paid_amount >= self.amount


class Payment(models.Model):
    class Method(models.TextChoices):
        CASH = "cash", "Наличные"
        CARD = "card", "Карта"
        TRANSFER = "transfer", "Перевод"
        INVOICE = "invoice", "Счёт"

    deal = models.ForeignKey(Deal, on_delete=models.PROTECT, related_name="payments")
    paid_on = models.DateField("дата")
    amount = models.DecimalField("сумма, ₽", max_digits=12, decimal_places=2)
    method = models.CharField("способ", max_length=10, choices=Method.choices)
    comment = models.CharField("комментарий", max_length=300, blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name="внёс")
    recorded_at = models.DateTimeField(default=timezone.now)
    # The deal's branch, manager, source and line when the money came in (payment_record copies them): it is
    # credited to whoever held the deal then, as the funnel credits a move, and the dashboards sum payments
    # by these with no join to a million deals.
    # No single-column indexes: the composite ones below lead with these.
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+", editable=False, db_index=False)
    manager = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", editable=False, db_index=False)
    source = models.CharField(max_length=10, choices=Deal.Source.choices, editable=False)
    service_line = models.CharField(max_length=2, choices=ServiceLine.choices, editable=False)

    class Meta:
        verbose_name = "платёж"
        verbose_name_plural = "платежи"
        ordering = ["-paid_on", "-id"]
        indexes = [
            models.Index(fields=["deal", "-paid_on"]),
            # The payments register: a period of the whole firm, newest first, is an index range scan.
            models.Index(fields=["-paid_on", "-id"], name="payment_register"),
            models.Index(fields=["branch", "paid_on"], name="payment_branch_paid"),
            models.Index(fields=["manager", "paid_on"], name="payment_manager_paid"),
        ]

    def __str__(self) -> str:
        return f"{self.paid_on:%d.%m.%Y} {self.amount}"


class StageAutomation(models.Model):
    """Configured in the admin: entering `stage` creates this task for the right person."""

    class Assignee(models.TextChoices):
        MANAGER = "manager", "Менеджер сделки"
        HEAD = "head", "РОП филиала"
        LAWYER = "lawyer", "Юрист филиала"

    stage = models.CharField("стадия", max_length=20, choices=Stage.choices)
    title = models.CharField("задача", max_length=200)
    body = models.TextField("описание", blank=True)
    assignee = models.CharField("кому", max_length=10, choices=Assignee.choices, default=Assignee.MANAGER)
    # The task rulebook caps a deadline at 3 working days.
    deadline_working_days = models.PositiveSmallIntegerField(
        "срок, рабочих дней", default=1, validators=[MinValueValidator(1), MaxValueValidator(3)]
    )
    is_active = models.BooleanField("включено", default=True)

    class Meta:
        verbose_name = "автозадача стадии"
        verbose_name_plural = "автозадачи стадий"
        ordering = ["stage", "id"]

    def __str__(self) -> str:
        return f"{self.get_stage_display()}: {self.title}"


class StageDocumentRule(models.Model):
    """Configured in the admin: a deal enters `stage` only once its client has a document of `document_kind`."""

    stage = models.CharField("стадия", max_length=20, choices=Stage.choices)
    document_kind = models.CharField("документ", max_length=15, choices=ClientDocument.Kind.choices)
    is_active = models.BooleanField("включено", default=True)

    class Meta:
        verbose_name = "документ для стадии"
        verbose_name_plural = "документы для стадий"
        ordering = ["stage", "id"]
        constraints = [models.UniqueConstraint(fields=["stage", "document_kind"], name="stage_document_rule_unique")]

    def __str__(self) -> str:
        return f"{self.get_stage_display()}: {self.get_document_kind_display()}"


class IncomingSeries(models.Model):
    """The next number of the incoming register in a year: taken under a row lock, never handed out twice."""

    year = models.PositiveSmallIntegerField("год", unique=True)
    next_number = models.PositiveIntegerField("следующий номер", default=1)

    class Meta:
        verbose_name = "нумератор входящих"
        verbose_name_plural = "нумераторы входящих"

    def __str__(self) -> str:
        return f"{self.year}: {self.next_number}"


class IncomingDocument(models.Model):
    """One paper that came in on a deal (a court ruling, a creditor's letter, the client's certificate),
    registered under a number of the year; its scan is a client document, so it lands in the client's folder."""

    class Kind(models.TextChoices):
        COURT_RULING = "court_ruling", "Определение/решение суда"
        COURT_NOTICE = "court_notice", "Извещение суда"
        CREDITOR_LETTER = "creditor_letter", "Письмо кредитора"
        CLIENT_CERTIFICATE = "client_certificate", "Справка клиента"
        BAILIFF = "bailiff", "Документ ФССП"
        OTHER = "other", "Другое"

    deal = models.ForeignKey(Deal, verbose_name="сделка", on_delete=models.PROTECT, related_name="incoming")
    # The deal's client, copied so the register filters and the client's card need no join.
    client = models.ForeignKey(Client, verbose_name="клиент", on_delete=models.PROTECT, related_name="+")
    number = models.CharField("входящий №", max_length=20, unique=True)
    year = models.PositiveSmallIntegerField("год")
    seq = models.PositiveIntegerField("порядковый номер")
    received_on = models.DateField("дата получения")
    sender = models.CharField("отправитель", max_length=300)
    kind = models.CharField("вид", max_length=20, choices=Kind.choices)
    summary = models.TextField("содержание", blank=True)
    file = models.ForeignKey(ClientDocument, verbose_name="файл", on_delete=models.PROTECT, related_name="+")
    reply_deadline = models.DateField("срок ответа", null=True, blank=True)
    responsible = models.ForeignKey(
        User, verbose_name="ответственный", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    task = models.ForeignKey(
        "tasks.Task", verbose_name="задача", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    registered_by = models.ForeignKey(User, verbose_name="зарегистрировал", on_delete=models.PROTECT, related_name="+")
    registered_at = models.DateTimeField("зарегистрирован", default=timezone.now)

    class Meta:
        verbose_name = "входящий документ"
        verbose_name_plural = "входящие документы"
        constraints = [models.UniqueConstraint(fields=["year", "seq"], name="incoming_year_seq_unique")]
        indexes = [
            # The register, newest first: the whole firm, a deal's card, a year.
            models.Index(fields=["-received_on", "-id"], name="incoming_register"),
            models.Index(fields=["deal", "-id"], name="incoming_deal"),
            models.Index(fields=["year", "-received_on", "-id"], name="incoming_year"),
            # «Срок ответа истёк / открыт»: only the rows with a deadline.
            models.Index(
                fields=["reply_deadline"], name="incoming_deadline", condition=Q(reply_deadline__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} от {self.received_on:%d.%m.%Y}" if self.received_on else self.number
