from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from crm import access
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
    # The phone system rings this extension for the person's calls (integrations/mango).
    mango_extension = models.CharField(
        "добавочный в Mango Office", max_length=20, blank=True, help_text="Например 101; пусто — без телефонии."
    )
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
        constraints = [
            models.UniqueConstraint(
                fields=["mango_extension"], condition=~models.Q(mango_extension=""), name="user_mango_extension"
            )
        ]

    def __str__(self) -> str:
        return self.full_name or self.username

    # Roles replace Django's permission tables: the admin role may do
    # everything in the admin site, nobody else may enter it.
    @property
    def is_staff(self) -> bool:
        return access.may_use_admin_site(self)

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
        return short_person_name(self.full_name) or self.username


def short_person_name(full_name: str) -> str:
    """«Иванов Иван Иванович» → «Иванов И.И.» (staff, a firm's signatory); '' for no name."""
    parts = full_name.split()
    if not parts:
        return ""
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


class OutboxJob(models.Model):
    """Work an outside system must follow, stored in the same transaction as the change.

    `kind` names the handler an integration registered (crm/outbox.py); `key`
    is what the handler converges (a client, a manager's table, a notification).
    A worker takes every pending row of one (kind, key) under a lease, so a
    job run twice or by two workers at once changes nothing twice.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Ждёт"
        DONE = "done", "Выполнено"
        FAILED = "failed", "Ошибка (нужен администратор)"

    kind = models.CharField("вид", max_length=40)
    key = models.CharField("объект", max_length=64)
    payload = models.JSONField(default=dict, blank=True)
    reason = models.CharField("причина", max_length=100, blank=True)
    status = models.CharField("состояние", max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField("попыток", default=0)
    next_attempt_at = models.DateTimeField("следующая попытка", default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField("ошибка", blank=True)
    created_at = models.DateTimeField("создано", default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "задание для внешней системы"
        verbose_name_plural = "очередь внешних систем"
        ordering = ["id"]
        indexes = [
            models.Index(fields=["next_attempt_at"], name="outbox_due", condition=Q(status="pending")),
            models.Index(fields=["kind", "key", "status"], name="outbox_kind_key"),
            models.Index(fields=["status", "kind", "-id"], name="outbox_status_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.key} #{self.pk}"


class StaleDay(models.Model):
    """A day whose pre-computed sums no longer match its rows (reports/analytics/rollup.py): a service that
    changes a counted row marks the row's day in the same transaction; the dashboards read a marked day
    from the rows themselves until the rollup recomputes it and removes the marks it saw.

    Rows, not a unique (topic, day): a mark added while a recompute runs must survive that recompute's
    clean-up, which deletes only the marks it read.
    """

    topic = models.CharField(max_length=20)
    day = models.DateField()

    class Meta:
        indexes = [models.Index(fields=["topic", "day"], name="stale_day_topic")]

    def __str__(self) -> str:
        return f"{self.topic} {self.day}"
