"""Outside-system state: where each client's folder is on the Disk, and the Disk imports.

The work queue itself is the core's generic outbox (crm.models.OutboxJob)."""

from django.db import models
from django.utils import timezone

from clients.models import Client, ClientDocument
from crm.models import User
from crm.phones import format_phone, normalize_phone
from deals.models import Deal
from leads.models import Lead


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


# --- documents from templates (integrations/documents) -----------------------------------------


class LegalEntity(models.Model):
    """The firm's requisites as one legal entity it signs through; documents name one of them."""

    class Vat(models.TextChoices):
        NONE = "none", "Без НДС (упрощённая система)"
        RATE = "rate", "С НДС по ставке"

    name = models.CharField("полное наименование", max_length=300)
    short_name = models.CharField("краткое наименование", max_length=150)
    inn = models.CharField("ИНН", max_length=12)
    kpp = models.CharField("КПП", max_length=9, blank=True, help_text="У индивидуального предпринимателя пусто.")
    ogrn = models.CharField("ОГРН / ОГРНИП", max_length=15)
    address = models.CharField("юридический адрес", max_length=500)
    signatory = models.CharField("подписант, ФИО", max_length=200)
    signatory_position = models.CharField("должность подписанта", max_length=100, default="Генеральный директор")
    signatory_basis = models.CharField(
        "действует на основании", max_length=200, default="Устава", help_text="«Устава» или «доверенности № 5 от …»."
    )
    bank = models.CharField("банк", max_length=200)
    bik = models.CharField("БИК", max_length=9)
    account = models.CharField("расчётный счёт", max_length=20)
    corr_account = models.CharField("корреспондентский счёт", max_length=20)
    vat_mode = models.CharField("НДС", max_length=4, choices=Vat.choices, default=Vat.NONE)
    # 22 % from 1 January 2026 (the general rate); kept editable for a reduced rate.
    vat_rate = models.DecimalField("ставка НДС, %", max_digits=4, decimal_places=1, default=22)
    phone = models.CharField("телефон", max_length=50, blank=True)
    email = models.EmailField("e-mail", blank=True)
    is_default = models.BooleanField("по умолчанию", default=False, help_text="Им подписываются новые документы.")
    is_active = models.BooleanField("действует", default=True)

    class Meta:
        verbose_name = "реквизиты юрлица"
        verbose_name_plural = "реквизиты фирмы"
        ordering = ["-is_default", "short_name", "id"]

    def __str__(self) -> str:
        return self.short_name


def _template_path(instance, filename: str) -> str:
    return f"document_templates/{instance.kind}/v{instance.version}-{filename}"


class DocumentTemplate(models.Model):
    """A `.docx` template of one kind, uploaded by the admin; the newest active version is used."""

    class Kind(models.TextChoices):
        CONTRACT_DB = "contract_db", "Договор ДБ"
        CONTRACT_DU = "contract_du", "Договор ДУ"
        INVOICE = "invoice", "Счёт"
        ACT = "act", "Акт об оказанных услугах"
        POWER_OF_ATTORNEY = "power_of_attorney", "Доверенность"
        CREDITOR_LIST = "creditor_list", "Список кредиторов"

    kind = models.CharField("вид", max_length=20, choices=Kind.choices)
    version = models.PositiveIntegerField("версия")
    file = models.FileField("файл .docx", upload_to=_template_path, max_length=300)
    note = models.CharField("что изменилось", max_length=300, blank=True)
    is_active = models.BooleanField("используется", default=True)
    uploaded_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField("загружен", default=timezone.now)

    class Meta:
        verbose_name = "шаблон документа"
        verbose_name_plural = "шаблоны документов"
        ordering = ["kind", "-version"]
        constraints = [models.UniqueConstraint(fields=["kind", "version"], name="document_template_version")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}, версия {self.version}"


class DocumentSeries(models.Model):
    """A numbering series per year (contracts, invoices, acts): numbers are taken under a row lock, never reused."""

    class Key(models.TextChoices):
        CONTRACT_DB = "contract_db", "Договоры ДБ"
        CONTRACT_DU = "contract_du", "Договоры ДУ"
        INVOICE = "invoice", "Счета"
        ACT = "act", "Акты"
        POWER_OF_ATTORNEY = "power_of_attorney", "Доверенности"
        CREDITOR_LIST = "creditor_list", "Списки кредиторов"

    key = models.CharField("серия", max_length=20, choices=Key.choices)
    year = models.PositiveSmallIntegerField("год")
    pattern = models.CharField(
        "формат номера",
        max_length=50,
        help_text="{year} — год, {n} — порядковый номер; {n:04} — с нулями до 4 знаков. Например ДБ-{year}-{n:04}.",
    )
    next_number = models.PositiveIntegerField("следующий номер", default=1)

    class Meta:
        verbose_name = "нумерация документов"
        verbose_name_plural = "нумерация документов"
        ordering = ["-year", "key"]
        constraints = [models.UniqueConstraint(fields=["key", "year"], name="document_series_year")]

    def __str__(self) -> str:
        return f"{self.get_key_display()} {self.year}"


class GeneratedDocument(models.Model):
    """A document the CRM makes from a template for a deal: asked for on the card or by the API,
    made on a worker (docx, then PDF), kept as the client's documents."""

    class Kind(models.TextChoices):
        CONTRACT = "contract", "Договор"
        INVOICE = "invoice", "Счёт"
        ACT = "act", "Акт об оказанных услугах"
        POWER_OF_ATTORNEY = "power_of_attorney", "Доверенность"
        CREDITOR_LIST = "creditor_list", "Список кредиторов"

    class Status(models.TextChoices):
        PENDING = "pending", "Готовится"
        READY = "ready", "Готов"
        FAILED = "failed", "Ошибка"

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="generated_documents")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="generated_documents")
    kind = models.CharField("вид", max_length=20, choices=Kind.choices)
    number = models.CharField("номер", max_length=50)
    version = models.PositiveIntegerField("версия", default=1)
    amount = models.DecimalField("сумма, ₽", max_digits=12, decimal_places=2, null=True, blank=True)
    purpose = models.CharField("назначение", max_length=300, blank=True)
    legal_entity = models.ForeignKey(LegalEntity, on_delete=models.PROTECT, related_name="+")
    template = models.ForeignKey(DocumentTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField("состояние", max_length=10, choices=Status.choices, default=Status.PENDING)
    error = models.CharField("ошибка", max_length=500, blank=True)
    docx = models.ForeignKey(ClientDocument, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    pdf = models.ForeignKey(ClientDocument, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    requested_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField("заказан", default=timezone.now)
    ready_at = models.DateTimeField("готов", null=True, blank=True)

    class Meta:
        verbose_name = "составленный документ"
        verbose_name_plural = "составленные документы"
        ordering = ["-id"]
        indexes = [models.Index(fields=["deal", "-id"], name="generated_document_deal")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} № {self.number}"


# --- Mango Office telephony (integrations/mango) -----------------------------------------------


class MangoEvent(models.Model):
    """An event Mango posted, stored as it came before anything is done with it (so none is lost).

    `key` makes a repeated delivery a no-op: the kind with the ids Mango gives the event
    (entry, call and seq for a call's state; entry for a summary; command for a result)."""

    kind = models.CharField("событие", max_length=30)
    key = models.CharField(max_length=300, unique=True)
    entry_id = models.CharField(max_length=100, blank=True)
    call_id = models.CharField(max_length=100, blank=True)
    seq = models.IntegerField(null=True, blank=True)
    payload = models.JSONField()
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "событие Mango"
        verbose_name_plural = "события Mango"
        indexes = [models.Index(fields=["entry_id", "seq"], name="mango_event_entry")]

    def __str__(self) -> str:
        return f"{self.kind} {self.entry_id} #{self.seq}"


def talk_text(seconds: int | None) -> str:
    """A call's talk time as the card and «Мои дела» say it: «45 с», «2 мин 05 с»."""
    seconds = seconds or 0
    return f"{seconds // 60} мин {seconds % 60:02d} с" if seconds >= 60 else f"{seconds} с"


class MangoCall(models.Model):
    """A call as the PBX saw it, assembled from its events in the order of their `seq`."""

    class Direction(models.TextChoices):
        INBOUND = "inbound", "Входящий"
        OUTBOUND = "outbound", "Исходящий"
        INTERNAL = "internal", "Внутренний"

    entry_id = models.CharField(max_length=100, unique=True)
    direction = models.CharField("направление", max_length=10, choices=Direction.choices, blank=True)
    from_number = models.CharField("кто звонил", max_length=50, blank=True)
    from_extension = models.CharField("добавочный звонившего", max_length=20, blank=True)
    to_number = models.CharField("куда звонили", max_length=100, blank=True)
    to_extension = models.CharField("добавочный ответившего", max_length=20, blank=True)
    line_number = models.CharField("линия", max_length=50, blank=True)
    state = models.CharField("состояние", max_length=15, blank=True)
    last_seq = models.IntegerField(default=0)
    appeared_at = models.DateTimeField(null=True, blank=True)
    connected_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    talk_seconds = models.IntegerField(null=True, blank=True)
    answered = models.BooleanField(null=True)
    disconnect_reason = models.IntegerField(null=True, blank=True)
    # Whose number it is (matched by the normalised number) and whether the ringing person was told.
    client = models.ForeignKey(Client, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # A call from a number no client has: the request it became (for the call-centre), or continued.
    lead = models.ForeignKey(Lead, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The staff member on our side: who answered an inbound call, who dialled an outbound one.
    staff = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    ring_notified = models.BooleanField(default=False)
    # A non-target caller sent to the office manager's extension (commands/route), once per call.
    routed_at = models.DateTimeField(null=True, blank=True)
    # Filled in from stats/request by the nightly catch-up, not from events (those were lost).
    from_stats = models.BooleanField(default=False)
    # The «Звонок» put into «Мои дела» when the call ended (and the call back planned for a missed one).
    logged = models.BooleanField(default=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "звонок"
        verbose_name_plural = "звонки"
        ordering = ["-id"]
        indexes = [
            # The client's calls on the card, and the heads' call log by person and day.
            models.Index(fields=["client", "-appeared_at"], name="mango_call_client"),
            models.Index(fields=["staff", "appeared_at"], name="mango_call_staff_day"),
            models.Index(fields=["appeared_at"], name="mango_call_day"),
        ]

    def __str__(self) -> str:
        return f"{self.from_number} → {self.to_number} ({self.state})"

    @property
    def outside_display(self) -> str:
        """The other party's number as people read it: «+7 916 123-45-67»."""
        return format_phone(normalize_phone(self.outside_number)) or self.outside_number

    @property
    def talk_display(self) -> str:
        return talk_text(self.talk_seconds)

    @property
    def outside_number(self) -> str:
        """The other party's number: the caller of an inbound call, the number dialled on an outbound one."""
        return self.to_number if self.direction == self.Direction.OUTBOUND else self.from_number


class MangoCommand(models.Model):
    """A command the CRM sent to Mango (click-to-call, routing a non-target caller), kept with its
    `command_id` so the result event Mango posts later is matched to it."""

    class Kind(models.TextChoices):
        CALLBACK = "callback", "Звонок из CRM"
        ROUTE = "route", "Перевод на секретаря"

    class State(models.TextChoices):
        PENDING = "pending", "Отправляется"
        SENT = "sent", "Принята Mango"
        DONE = "done", "Выполнена"
        FAILED = "failed", "Не выполнена"

    command_id = models.CharField(max_length=64, unique=True)
    kind = models.CharField("команда", max_length=10, choices=Kind.choices)
    state = models.CharField("состояние", max_length=10, choices=State.choices, default=State.PENDING)
    from_extension = models.CharField("с добавочного", max_length=20, blank=True)
    to_number = models.CharField("на номер", max_length=100)
    # route: the call being transferred (Mango's call_id) and its entry.
    call_id = models.CharField(max_length=100, blank=True)
    entry_id = models.CharField(max_length=100, blank=True)
    requested_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    client = models.ForeignKey(Client, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    lead = models.ForeignKey(Lead, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    answer_code = models.IntegerField("ответ Mango", null=True, blank=True)  # the command's own answer
    result_code = models.IntegerField("результат", null=True, blank=True)  # from result/callback
    error = models.CharField("ошибка", max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    result_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "команда Mango"
        verbose_name_plural = "команды Mango"
        ordering = ["-id"]
        constraints = [
            # A non-target call is routed to the secretary once, however often its Appeared comes.
            models.UniqueConstraint(
                fields=["entry_id"], condition=models.Q(kind="route"), name="mango_route_once_per_entry"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.to_number} ({self.get_state_display()})"


def _recording_path(recording, filename: str) -> str:
    return f"mango/recordings/{timezone.now():%Y/%m}/{recording.recording_id}{_suffix(filename)}"


def _suffix(filename: str) -> str:
    dot = filename.rfind(".")
    return filename[dot:].lower()[:6] if dot > 0 else ".mp3"


class MangoRecording(models.Model):
    """A call's recording: announced by events/recording, fetched by a worker through
    queries/recording/post, kept here and played on the client's card to those who may see the client."""

    recording_id = models.CharField(max_length=200, unique=True)
    entry_id = models.CharField(max_length=100, blank=True)
    call = models.ForeignKey(MangoCall, null=True, blank=True, on_delete=models.SET_NULL, related_name="recordings")
    extension = models.CharField("добавочный", max_length=20, blank=True)
    file = models.FileField(upload_to=_recording_path, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    fetched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "запись разговора"
        verbose_name_plural = "записи разговоров"
        ordering = ["id"]
        indexes = [models.Index(fields=["entry_id"], name="mango_recording_entry")]

    def __str__(self) -> str:
        return self.recording_id


class MangoStatsRequest(models.Model):
    """The nightly catch-up for one day: Mango's report key (stats/request), polled until it is ready
    (stats/result), then the calls missing here filled in from it."""

    day = models.DateField(unique=True)
    key = models.CharField(max_length=100, blank=True)
    requested_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    rows = models.IntegerField(default=0)
    added = models.IntegerField(default=0)

    class Meta:
        verbose_name = "сверка звонков за день"
        verbose_name_plural = "сверки звонков"
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"{self.day:%d.%m.%Y}"


# --- Yandex.Mail (integrations/mail) --------------------------------------------------------------


class Mailbox(models.Model):
    """A mailbox the CRM reads (IMAP) and sends from (SMTP): a staff member's own, or a shared one
    (the site's info@) that the admin connects and names who handles."""

    class Kind(models.TextChoices):
        PERSONAL = "personal", "Личный"
        SHARED = "shared", "Общий"

    class Security(models.TextChoices):
        SSL = "ssl", "SSL/TLS"
        PLAIN = "plain", "Без шифрования (только для тестового сервера на этой машине)"

    class State(models.TextChoices):
        NEW = "new", "Не проверен"
        OK = "ok", "Работает"
        FAILED = "failed", "Ошибка"

    kind = models.CharField("вид", max_length=10, choices=Kind.choices, default=Kind.PERSONAL)
    owner = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.CASCADE, related_name="mailboxes", verbose_name="владелец"
    )
    # Who takes the letters of a shared mailbox (empty: the call-centre).
    handlers = models.ManyToManyField(User, blank=True, related_name="handled_mailboxes", verbose_name="разбирают")
    address = models.EmailField("адрес (логин)", max_length=254)
    # Fernet token of the app password (integrations/mail/services.py); never shown, never logged.
    password_encrypted = models.TextField(editable=False)
    imap_host = models.CharField("IMAP-сервер", max_length=200, default="imap.yandex.ru")
    imap_port = models.PositiveIntegerField("IMAP-порт", default=993)
    smtp_host = models.CharField("SMTP-сервер", max_length=200, default="smtp.yandex.ru")
    smtp_port = models.PositiveIntegerField("SMTP-порт", default=465)
    security = models.CharField("шифрование", max_length=10, choices=Security.choices, default=Security.SSL)
    sent_folder = models.CharField("папка отправленных", max_length=200, blank=True)
    # Where reading stopped: UIDs are only comparable within one UIDVALIDITY of the INBOX.
    uidvalidity = models.BigIntegerField(null=True, blank=True)
    last_uid = models.BigIntegerField(default=0)
    state = models.CharField(max_length=10, choices=State.choices, default=State.NEW)
    last_check_at = models.DateTimeField(null=True, blank=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "почтовый ящик"
        verbose_name_plural = "почтовые ящики"
        ordering = ["address"]
        constraints = [
            models.UniqueConstraint(fields=["address"], name="mailbox_address_unique"),
            # One personal mailbox per person: «Почта» in the profile connects, replaces or disconnects it.
            models.UniqueConstraint(
                fields=["owner"], condition=models.Q(kind="personal"), name="mailbox_one_personal_per_owner"
            ),
        ]

    def __str__(self) -> str:
        return self.address


class MailMessage(models.Model):
    """A letter the CRM read from a mailbox or sent from a card, once (keyed by its Message-ID, across mailboxes)."""

    class Direction(models.TextChoices):
        INBOUND = "inbound", "Входящее"
        OUTBOUND = "outbound", "Исходящее"

    class State(models.TextChoices):
        RECEIVED = "received", "Получено"
        PENDING = "pending", "Отправляется"
        SENT = "sent", "Отправлено"
        FAILED = "failed", "Не отправлено"

    message_id = models.CharField(max_length=500, unique=True)
    direction = models.CharField(max_length=10, choices=Direction.choices)
    state = models.CharField(max_length=10, choices=State.choices, default=State.RECEIVED)
    mailbox = models.ForeignKey(Mailbox, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages")
    uid = models.BigIntegerField(null=True, blank=True)
    from_address = models.CharField("от", max_length=254, blank=True)
    from_name = models.CharField(max_length=200, blank=True)
    to = models.TextField("кому", blank=True)
    cc = models.TextField("копия", blank=True)
    subject = models.CharField("тема", max_length=500, blank=True)
    text = models.TextField("текст", blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    in_reply_to = models.CharField(max_length=500, blank=True)
    references = models.TextField(blank=True)
    # The thread's first Message-ID: letters of one correspondence are shown together.
    thread = models.CharField(max_length=500, blank=True, db_index=True)
    client = models.ForeignKey(Client, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    lead = models.ForeignKey(Lead, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    activity = models.ForeignKey(
        "activities.Activity", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = "письмо"
        verbose_name_plural = "письма"
        ordering = ["-id"]
        indexes = [models.Index(fields=["client", "-received_at"], name="mail_client_received")]

    def __str__(self) -> str:
        return self.subject or "(без темы)"


def _mail_attachment_path(attachment, filename: str) -> str:
    return f"mail/{timezone.now():%Y/%m}/{attachment.message_id or 'new'}/{filename}"


class MailAttachment(models.Model):
    """A letter's file: for a client's letter it is also one of the client's documents (and so on the Disk)."""

    message = models.ForeignKey(MailMessage, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to=_mail_attachment_path, max_length=400, blank=True)
    document = models.ForeignKey(ClientDocument, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = "вложение письма"
        verbose_name_plural = "вложения писем"
        ordering = ["id"]

    def __str__(self) -> str:
        return self.filename
