"""Writes for the shared core: staff, branches, the audit log, login.

Each public function changes rows in one transaction and records what it
did in the audit log; pages, the API, the admin and commands all call these.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone
from rest_framework.authtoken.models import Token

from crm.errors import DomainError, InvalidCredentials, LoginThrottled
from crm.models import AuditEntry, Branch, LoginFailure, User
from crm.roles import BRANCH_ROLES, Role

Action = AuditEntry.Action

USER_AUDITED_FIELDS = (
    "username",
    "full_name",
    "email",
    "phone",
    "mango_extension",
    "role",
    "branch",
    "supervisor",
    "is_active",
)
BRANCH_AUDITED_FIELDS = ("name", "city", "is_active")


# --- audit ------------------------------------------------------------------------


def _plain(value):
    if isinstance(value, Model):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _snapshot(obj: Model, fields) -> dict:
    return {name: _plain(getattr(obj, name)) for name in fields}


def _diff(before: dict, after: dict) -> dict:
    return {k: [before[k], after[k]] for k in after if before.get(k) != after[k]}


def audit_record(
    *,
    actor: User | None,
    action: str,
    target: Model | None = None,
    target_type: str = "",
    target_id: str = "",
    target_repr: str = "",
    changes: dict | None = None,
    ip: str | None = None,
) -> AuditEntry:
    """Append one entry to the audit log."""
    if target is not None:
        target_type = target_type or target._meta.label_lower
        target_id = target_id or str(target.pk)
        target_repr = target_repr or str(target)[:255]
    return AuditEntry.objects.create(
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=target_id,
        target_repr=target_repr,
        changes=changes or {},
        ip=ip,
    )


# --- branches ---------------------------------------------------------------------


@transaction.atomic
def branch_create(*, by: User | None, name: str, city: str) -> Branch:
    """Open a branch."""
    branch = Branch.objects.create(name=name.strip(), city=city.strip())
    audit_record(actor=by, action=Action.CREATE, target=branch, changes=_snapshot(branch, BRANCH_AUDITED_FIELDS))
    return branch


@transaction.atomic
def branch_update(*, branch: Branch, by: User | None, data: dict) -> Branch:
    """Rename, move or close a branch."""
    branch = Branch.objects.select_for_update().get(pk=branch.pk)
    before = _snapshot(branch, BRANCH_AUDITED_FIELDS)
    for field, value in data.items():
        setattr(branch, field, value)
    branch.save()
    changes = _diff(before, _snapshot(branch, BRANCH_AUDITED_FIELDS))
    if changes:
        audit_record(actor=by, action=Action.UPDATE, target=branch, changes=changes)
    return branch


# --- staff ------------------------------------------------------------------------


def user_check(*, user: User) -> None:
    """Refuse an org chart that cannot work: raise DomainError naming the field."""
    if user.role in BRANCH_ROLES and user.branch_id is None:
        raise DomainError(f"Для роли «{Role(user.role).label}» нужно указать филиал.", field="branch")
    user.mango_extension = (user.mango_extension or "").strip()
    if user.mango_extension:
        if not user.mango_extension.isdigit():
            raise DomainError("Добавочный номер — только цифры, например 101.", field="mango_extension")
        holder = User.objects.filter(mango_extension=user.mango_extension).exclude(pk=user.pk).first()
        if holder is not None:
            raise DomainError(f"Добавочный {user.mango_extension} уже у сотрудника {holder}.", field="mango_extension")
    if user.supervisor_id is None:
        return
    if user.pk and user.supervisor_id == user.pk:
        raise DomainError("Сотрудник не может быть руководителем сам себе.", field="supervisor")
    # Read the chain from the database, not from objects the caller holds:
    # those may be stale (a supervisor dismissed a moment ago).
    chain = {u.pk: u for u in User.objects.only("pk", "is_active", "supervisor_id")}
    supervisor = chain.get(user.supervisor_id)
    if supervisor is None or not supervisor.is_active:
        raise DomainError("Руководитель должен быть действующим сотрудником.", field="supervisor")
    # The ПР route climbs supervisors until it reaches the top: a loop would
    # send a letter round for ever.
    seen = {user.pk} if user.pk else set()
    node = supervisor
    while node is not None:
        if node.pk in seen:
            raise DomainError("Цепочка руководителей не может замыкаться в круг.", field="supervisor")
        seen.add(node.pk)
        node = chain.get(node.supervisor_id)


@transaction.atomic
def user_create(
    *,
    by: User | None,
    username: str,
    full_name: str,
    role: str,
    password: str | None,
    branch: Branch | None = None,
    supervisor: User | None = None,
    email: str = "",
    phone: str = "",
    mango_extension: str = "",
) -> User:
    """Hire a member of staff."""
    # Logins are case-insensitive for people ("Ivanov" and "ivanov" are one
    # person); the unique index still guards the exact spelling under a race.
    if User.objects.filter(username__iexact=username).exists():
        raise DomainError("Сотрудник с таким логином уже есть.", field="username")
    user = User(
        username=username,
        full_name=full_name.strip(),
        role=role,
        branch=branch,
        supervisor=supervisor,
        email=email,
        phone=phone,
        mango_extension=mango_extension,
    )
    user_check(user=user)
    user.search_key = user.build_search_key()
    user.set_password(password) if password else user.set_unusable_password()
    user.save()
    audit_record(actor=by, action=Action.CREATE, target=user, changes=_snapshot(user, USER_AUDITED_FIELDS))
    return user


@transaction.atomic
def user_update(*, user: User, by: User | None, data: dict) -> User:
    """Change a member of staff's card, role, branch, supervisor or status."""
    user = User.objects.select_for_update().get(pk=user.pk)
    before = _snapshot(user, USER_AUDITED_FIELDS)
    for field, value in data.items():
        if field not in USER_AUDITED_FIELDS:
            raise DomainError(f"Поле «{field}» нельзя менять здесь.", field=field)
        setattr(user, field, value)
    user_check(user=user)
    user.search_key = user.build_search_key()
    user.save()
    changes = _diff(before, _snapshot(user, USER_AUDITED_FIELDS))
    if changes:
        audit_record(actor=by, action=Action.UPDATE, target=user, changes=changes)
    if "is_active" in changes and not user.is_active:
        # A dismissed employee's API token must stop working at once.
        Token.objects.filter(user=user).delete()
    return user


@transaction.atomic
def user_set_password(*, user: User, by: User | None, password: str, ip: str | None = None) -> User:
    """Set a new password (own change or an admin reset)."""
    user.set_password(password)
    user.save(update_fields=["password"])
    audit_record(actor=by, action=Action.PASSWORD_CHANGE, target=user, ip=ip)
    return user


# --- login ------------------------------------------------------------------------


def _lockout_window() -> timedelta:
    return timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)


def login_retry_after(*, username: str, ip: str | None) -> int:
    """Seconds until `username` (or `ip`) may try again; 0 if not locked."""
    now = timezone.now()
    since = now - _lockout_window()
    limit = settings.LOGIN_FAILURE_LIMIT
    recent = LoginFailure.objects.filter(at__gte=since)
    checks = [(recent.filter(username=username.lower()), limit)]
    if ip:
        # Spraying many logins from one address is locked too, more loosely
        # because a whole office may share one address.
        checks.append((recent.filter(ip=ip), limit * 4))
    retry = 0
    for failures, cap in checks:
        times = list(failures.order_by("-at").values_list("at", flat=True)[:cap])
        if len(times) >= cap:
            retry = max(retry, int((times[-1] + _lockout_window() - now).total_seconds()) + 1)
    return retry


# Advisory lock namespaces (PostgreSQL): one lock per login, one per address.
_LOGIN_LOCK, _ADDRESS_LOCK = 7101, 7102


def _lock_login_counting(*, login: str, ip: str | None) -> None:
    """Hold, until the transaction ends, the right to count and record attempts on `login` and `ip`."""
    if connection.vendor != "postgresql":
        # SQLite: the transaction took the database's write lock at BEGIN
        # (IMMEDIATE mode, see settings), so writers already run one at a time.
        return
    with connection.cursor() as cursor:
        # A login that names nobody has no row to lock, hence advisory locks.
        # Always login first, then address: two attempts never wait on each other in a cycle.
        cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [_LOGIN_LOCK, login])
        if ip:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [_ADDRESS_LOCK, ip])


def _login_attempt_reserve(*, login: str, ip: str | None) -> tuple[LoginFailure | None, int]:
    """Count recent failures and, unless locked, record this attempt as a failure in advance.

    Counting and recording happen under one lock, so each attempt sees every
    attempt admitted before it: however many arrive at once, at most
    LOGIN_FAILURE_LIMIT passwords per login are checked in a window.
    Returns (the reserved row, 0) or (None, seconds until the lock ends).
    """
    with transaction.atomic():
        _lock_login_counting(login=login, ip=ip)
        retry_after = login_retry_after(username=login, ip=ip)
        if retry_after:
            return None, retry_after
        return LoginFailure.objects.create(username=login, ip=ip), 0


def login_attempt(*, username: str, password: str, ip: str | None, request=None) -> User:
    """Check a login and password, with throttling; return the user or raise.

    A locked login is refused without checking the password, so guessing
    cannot go on while the lock lasts. The attempt is recorded as a failure
    before the password is checked and cleared if it was right: concurrent
    guesses cannot all pass the count before any of them is recorded.
    """
    username = (username or "").strip()
    login = username.lower()
    attempt, retry_after = _login_attempt_reserve(login=login, ip=ip)
    if retry_after:
        audit_record(actor=None, action=Action.LOGIN_LOCKED, target_type="crm.user", target_repr=username[:255], ip=ip)
        raise LoginThrottled(retry_after)
    user = authenticate(request, username=username, password=password)
    if user is None:
        # The reserved row stays: it is this failure.
        audit_record(actor=None, action=Action.LOGIN_FAILED, target_type="crm.user", target_repr=username[:255], ip=ip)
        raise InvalidCredentials()
    with transaction.atomic():
        # Failures up to this attempt are forgiven; guesses admitted after it still count.
        LoginFailure.objects.filter(username=login, pk__lte=attempt.pk).delete()
        audit_record(actor=user, action=Action.LOGIN, target=user, ip=ip)
    return user


def logout_record(*, user: User, ip: str | None) -> None:
    audit_record(actor=user, action=Action.LOGOUT, target=user, ip=ip)


@transaction.atomic
def api_token_issue(*, user: User, ip: str | None) -> Token:
    """Give `user` their API token (the same one on every call until revoked)."""
    token, created = Token.objects.get_or_create(user=user)
    if created:
        audit_record(actor=user, action=Action.TOKEN_ISSUED, target=user, ip=ip)
    return token


def login_failures_purge(*, older_than: timedelta) -> int:
    """Forget failures older than `older_than`; return how many were removed."""
    deleted, _ = LoginFailure.objects.filter(at__lt=timezone.now() - older_than).delete()
    return deleted
