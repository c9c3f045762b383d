from datetime import time

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from crm.roles import Role


class Branch(models.Model):
    name = models.CharField("название", max_length=100, unique=True)
    city = models.CharField("город", max_length=100)
    is_active = models.BooleanField("действует", default=True)

    class Meta:
        verbose_name = "филиал"
        verbose_name_plural = "филиалы"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, username, password=None, **fields):
        # Used by Django's own commands (createsuperuser); the CRM itself
        # creates staff through crm.services.user_create.
        user = self.model(username=username, **fields)
        user.search_key = user.build_search_key()
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, username, password=None, **fields):
        fields["role"] = Role.ADMIN
        return self.create_user(username, password, **fields)


class User(AbstractBaseUser):
    """A member of staff. The role decides what they may see and do."""

    username = models.CharField(
        "логин",
        max_length=150,
        unique=True,
        validators=[UnicodeUsernameValidator()],
        error_messages={"unique": "Сотрудник с таким логином уже есть."},
    )
    full_name = models.CharField("ФИО", max_length=200)
    # Lower-cased ФИО and login for search: SQLite's LIKE folds only ASCII
    # case, and one indexed column is cheaper than UPPER() on PostgreSQL.
    search_key = models.CharField(max_length=400, blank=True, editable=False, db_index=True)
    email = models.EmailField("e-mail", blank=True)
    phone = models.CharField("телефон", max_length=32, blank=True)
    role = models.CharField("роль", max_length=20, choices=Role.choices, default=Role.MANAGER)
    branch = models.ForeignKey(
        Branch, verbose_name="филиал", null=True, blank=True, on_delete=models.PROTECT, related_name="staff"
    )
    supervisor = models.ForeignKey(
        "self",
        verbose_name="непосредственный руководитель",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="subordinates",
    )
    is_active = models.BooleanField("работает", default=True)
    date_joined = models.DateTimeField("создан", default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        verbose_name = "сотрудник"
        verbose_name_plural = "сотрудники"
        ordering = ["full_name"]
        indexes = [models.Index(fields=["branch", "role"])]

    def __str__(self) -> str:
        return self.full_name or self.username

    # Roles replace Django's permission tables: the admin role may do
    # everything in the admin site, nobody else may enter it.
    @property
    def is_staff(self) -> bool:
        return self.is_active and self.role == Role.ADMIN

    @property
    def is_superuser(self) -> bool:
        return self.is_staff

    def has_perm(self, perm, obj=None) -> bool:
        return self.is_staff

    def has_perms(self, perm_list, obj=None) -> bool:
        return self.is_staff

    def has_module_perms(self, app_label) -> bool:
        return self.is_staff

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.short_name

    def build_search_key(self) -> str:
        return f"{self.full_name} {self.username}".casefold()

    @property
    def short_name(self) -> str:
        """«Иванов Иван Иванович» → «Иванов И.И.»."""
        parts = self.full_name.split()
        if not parts:
            return self.username
        return parts[0] + (" " + "".join(f"{p[0]}." for p in parts[1:]) if parts[1:] else "")


class AuditEntry(models.Model):
    """Who changed what, when. Written by services, never edited."""

    class Action(models.TextChoices):
        CREATE = "create", "создание"
        UPDATE = "update", "изменение"
        DELETE = "delete", "удаление"
        LOGIN = "login", "вход"
        LOGOUT = "logout", "выход"
        LOGIN_FAILED = "login_failed", "неудачный вход"
        LOGIN_LOCKED = "login_locked", "вход заблокирован"
        PASSWORD_CHANGE = "password_change", "смена пароля"
        TOKEN_ISSUED = "token_issued", "выдан API-токен"
        VIEW_PERSONAL_DATA = "view_pd", "просмотр персональных данных"
        EXPORT = "export", "выгрузка"
        IMPORT = "import", "загрузка"

    at = models.DateTimeField("когда", default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        User, verbose_name="кто", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField("действие", max_length=32, choices=Action.choices)
    target_type = models.CharField("объект", max_length=64)
    target_id = models.CharField("id объекта", max_length=64, blank=True)
    target_repr = models.CharField("описание объекта", max_length=255, blank=True)
    # {"field": [old, new]} for updates, {"field": value} for creations.
    changes = models.JSONField("изменения", default=dict, blank=True)
    ip = models.GenericIPAddressField("IP", null=True, blank=True)

    class Meta:
        verbose_name = "запись журнала"
        verbose_name_plural = "журнал изменений"
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["target_type", "target_id", "-id"]),
            models.Index(fields=["actor", "-id"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.target_repr}"


class LoginFailure(models.Model):
    """One failed login; enough of them in a window lock the login."""

    username = models.CharField(max_length=150)
    ip = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["username", "at"]), models.Index(fields=["ip", "at"])]

    def __str__(self) -> str:
        return f"{self.username} {self.at:%d.%m.%Y %H:%M}"


class WorkdayOverride(models.Model):
    """A late government decree the `holidays` package does not know yet:
    makes one date a day off or a working day for the whole firm."""

    date = models.DateField("дата", unique=True)
    is_working = models.BooleanField("рабочий день", help_text="Снимите флажок, чтобы сделать день выходным.")
    reason = models.CharField("основание", max_length=200, blank=True)

    class Meta:
        verbose_name = "исключение производственного календаря"
        verbose_name_plural = "производственный календарь: исключения"
        ordering = ["-date"]

    def __str__(self) -> str:
        return f"{self.date:%d.%m.%Y}: {'рабочий' if self.is_working else 'выходной'}"


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
    created_at = models.DateTimeField("создан", default=timezone.now)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = "клиент"
        verbose_name_plural = "клиенты"
        indexes = [
            models.Index(fields=["manager", "status", "-id"]),
            models.Index(fields=["branch", "status", "-id"]),
            models.Index(fields=["search_key"]),
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
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["client", "-at"]), models.Index(fields=["deal", "-at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.text[:50]}"


class Notification(models.Model):
    """A message to one employee inside the CRM (mention, assignment, deadline…)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    text = models.CharField(max_length=500)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    # Set when the e-mail copy went out, so a retried job never sends it twice.
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["user", "read_at", "-id"])]

    def __str__(self) -> str:
        return self.text


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
    created_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "дело"
        verbose_name_plural = "дела"
        ordering = ["planned_at", "id"]
        indexes = [
            models.Index(fields=["responsible", "status", "planned_at"], name="activity_resp_plan"),
            models.Index(fields=["deal", "status", "planned_at"], name="activity_deal_plan"),
            models.Index(fields=["client", "status", "planned_at"], name="activity_client_plan"),
            models.Index(fields=["branch", "planned_at"], name="activity_branch_day"),
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
        verbose_name = "правило раздачи из отстойника"
        verbose_name_plural = "правила раздачи из отстойника"

    def __str__(self) -> str:
        return f"{self.branch}: по {self.per_manager} раз в {self.every_days} дн."
