"""Reads for the shared core. Each takes the user and returns only what they may see."""

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import Http404

from crm import access
from crm.models import AuditEntry, Branch, Notification, User
from crm.roles import Role


def staff_visible_to(user: User) -> QuerySet[User]:
    return User.objects.filter(access.staff_q(user)).select_related("branch", "supervisor")


def staff_get_for_user(user: User, pk) -> User:
    """One member of staff, or 404 when unknown or not visible to `user`."""
    try:
        return staff_visible_to(user).get(pk=pk)
    except (User.DoesNotExist, ValueError, TypeError):
        raise Http404("Сотрудник не найден") from None


def staff_filtered(user: User, *, role: str | None = None, branch_id=None, search: str = "") -> QuerySet[User]:
    qs = staff_visible_to(user)
    if role:
        qs = qs.filter(role=role)
    if branch_id:
        qs = qs.filter(branch_id=branch_id)
    if search:
        qs = qs.filter(search_key__contains=search.strip().casefold())
    return qs


def branches_visible_to(user: User) -> QuerySet[Branch]:
    return Branch.objects.filter(access.branches_q(user))


def branches_with_staff_counts(user: User) -> QuerySet[Branch]:
    """Branches with the number of active staff in each role (director's home)."""
    active = Q(staff__is_active=True)
    return (
        branches_visible_to(user)
        .annotate(
            managers=Count("staff", filter=active & Q(staff__role=Role.MANAGER)),
            heads=Count("staff", filter=active & Q(staff__role=Role.HEAD_OF_SALES)),
            lawyers=Count("staff", filter=active & Q(staff__role=Role.LAWYER)),
            total=Count("staff", filter=active),
        )
        .order_by("name")
    )  # GROUP BY drops Meta.ordering on PostgreSQL


# One query for the whole chain. The depth cap guards against a loop that
# slipped past user_check (e.g. rows edited in the database by hand).
_CHAIN_SQL = """
WITH RECURSIVE chain(id, depth) AS (
    SELECT supervisor_id, 1 FROM crm_user WHERE id = %s
    UNION ALL
    SELECT u.supervisor_id, c.depth + 1 FROM crm_user u JOIN chain c ON u.id = c.id
    WHERE u.supervisor_id IS NOT NULL AND c.depth < 30
)
SELECT u.* FROM crm_user u JOIN chain c ON u.id = c.id ORDER BY c.depth
"""


def supervisor_chain(user: User) -> list[User]:
    """The posts a ПР letter from `user` climbs, nearest first."""
    chain, seen = [], {user.pk}
    for boss in User.objects.raw(_CHAIN_SQL, [user.pk]):
        if boss.pk in seen:
            break
        seen.add(boss.pk)
        chain.append(boss)
    return chain


def audit_entries_for(user: User) -> QuerySet[AuditEntry]:
    """The audit log: director and admin only; anyone else is refused outright."""
    if not access.can_read_audit_log(user):
        raise PermissionDenied("Журнал изменений доступен директору и администратору.")
    return AuditEntry.objects.select_related("actor")


def notifications_for(user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(user_id=user.pk).order_by("-id")


def notification_get_for_user(user: User, pk) -> Notification:
    """One of the user's own notifications, or 404: nobody opens another person's."""
    try:
        return notifications_for(user).get(pk=pk)
    except (Notification.DoesNotExist, ValueError, TypeError):
        raise Http404("Уведомление не найдено") from None


def unread_notifications_count(user: User) -> int:
    """The bell's number: one indexed count (user, read_at)."""
    return Notification.objects.filter(user_id=user.pk, read_at__isnull=True).count()
