"""Reads for deals: the board, the list, the card. All take the user.

Pages are keyset-paged and counts come from DealStageCount, so the cost of
a page does not grow with the number of deals.
"""

import base64
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import F, Prefetch, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from clients.models import ClientPhone
from crm import access
from crm.models import User
from crm.money import rub
from crm.phones import normalize_phone
from crm.pipelines import CLOSED, COLUMNS, CONTRACTED, ServiceLine, Stage
from crm.validators import mask
from deals.models import Deal, DealStageCount, Instalment, Payment

BOARD_PAGE = 20
LIST_PAGE = 50

SORTS = {
    "new": ("-id",),
    "old": ("id",),
    "stage": ("-stage_changed_at", "-id"),
    "contract": ("-contract_date", "-id"),
}
SORT_LABELS = {
    "new": "Сначала новые",
    "old": "Сначала старые",
    "stage": "По смене стадии",
    "contract": "По дате договора",
}


def deals_visible_to(user: User) -> QuerySet[Deal]:
    return Deal.objects.filter(access.deals_q(user))


def _card_rows(qs: QuerySet[Deal]) -> QuerySet[Deal]:
    return qs.select_related("client", "manager")


def mark_overdue(deals: list[Deal]) -> list[Deal]:
    """Set `has_overdue` on a page of deals with one query over their ids.

    (A correlated EXISTS per row gets planned as a hash over every overdue
    instalment in the firm; a lookup by the page's ids stays small.)
    """
    ids = [d.pk for d in deals]
    overdue = set()
    if ids:
        overdue = set(
            Instalment.objects.filter(deal_id__in=ids, due_date__lt=timezone.localdate(), paid_amount__lt=F("amount"))
            .order_by()
            .values_list("deal_id", flat=True)
            .distinct()
        )
    for deal in deals:
        deal.has_overdue = deal.pk in overdue
    return deals


def _scoped(user: User, *, manager_id=None, branch_id=None) -> QuerySet[Deal]:
    qs = deals_visible_to(user)
    if manager_id:
        qs = qs.filter(manager_id=manager_id)
    if branch_id:
        qs = qs.filter(branch_id=branch_id)
    return qs


# --- keyset cursors -------------------------------------------------------------------


def _encode(values: list) -> str:
    raw = "|".join("" if v is None else (v.isoformat() if hasattr(v, "isoformat") else str(v)) for v in values)
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode(cursor: str, fields: tuple[str, ...]) -> list | None:
    try:
        parts = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
    except (ValueError, UnicodeDecodeError):
        return None
    if len(parts) != len(fields):
        return None
    values = []
    try:
        for name, part in zip(fields, parts, strict=True):
            column = name.lstrip("-")
            if part == "":
                values.append(None)
            elif column == "id":
                values.append(int(part))
            elif column == "stage_changed_at":
                values.append(datetime.fromisoformat(part))
            else:
                values.append(date.fromisoformat(part))
    except ValueError:
        return None
    return values


def _after(fields: tuple[str, ...], values: list) -> Q:
    """Rows strictly after `values` in the order `fields` (a keyset condition)."""
    condition, equal = Q(), Q()
    first = True
    for name, value in zip(fields, values, strict=True):
        column = name.lstrip("-")
        if value is None:
            # NULLs sort last: after a NULL only NULLs follow, so compare by
            # the remaining fields.
            equal &= Q(**{f"{column}__isnull": True})
            continue
        step = Q(**{f"{column}__{'lt' if name.startswith('-') else 'gt'}": value})
        if column in NULLABLE_SORT:
            step |= Q(**{f"{column}__isnull": True})
        condition = step & equal if first else condition | (step & equal)
        first = False
        equal &= Q(**{column: value})
    return condition


# Sort columns that may be empty: NULLs go last on both databases (PostgreSQL
# would put them first in a descending sort). Non-null columns keep plain
# ordering so that the board indexes serve it.
NULLABLE_SORT = frozenset({"contract_date"})


def _order_by(order: tuple[str, ...]) -> list:
    exprs = []
    for name in order:
        column = name.lstrip("-")
        if column in NULLABLE_SORT:
            expr = F(column).desc(nulls_last=True) if name.startswith("-") else F(column).asc(nulls_last=True)
            exprs.append(expr)
        else:
            exprs.append(name)
    return exprs


def _page(qs: QuerySet[Deal], order: tuple[str, ...], cursor: str | None, size: int, *, ids_first: bool = False):
    if cursor:
        values = _decode(cursor, order)
        if values is not None:
            qs = qs.filter(_after(order, values))
    if ids_first:
        # A name search matches thousands of deals: pick the page's ids on the deals table
        # alone, then join clients and managers for those 51 rows only. Left to itself the
        # planner joins every match first (45 ms at a million deals instead of ~25).
        ids = list(qs.order_by(*_order_by(order)).values_list("pk", flat=True)[: size + 1])
        by_id = {d.pk: d for d in qs.model.objects.filter(pk__in=ids).select_related(*_ROW_RELATED)}
        rows = [by_id[pk] for pk in ids if pk in by_id]
    else:
        rows = list(qs.order_by(*_order_by(order))[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    next_cursor = _encode([getattr(rows[-1], f.lstrip("-")) for f in order]) if more else None
    return rows, next_cursor


# --- board ----------------------------------------------------------------------------


@dataclass
class Column:
    stage: str
    label: str
    count: int
    deals: list = field(default_factory=list)
    next_cursor: str | None = None


BOARD_ORDER = ("-stage_changed_at", "-id")


def stage_counts(user: User, *, service_line: str, manager_id=None, branch_id=None) -> dict[str, int]:
    """Deals per stage the user may see, from the counters (one small query)."""
    stages = COLUMNS[service_line]
    # The counter rows carry manager, branch and stage, so the deal rule applies to them as is.
    rule = access.records_q(user, contracted=Q(stage__in=CONTRACTED))
    if rule == access.NOTHING:
        return dict.fromkeys(stages, 0)
    qs = DealStageCount.objects.filter(rule, stage__in=stages)
    if manager_id:
        qs = qs.filter(manager_id=manager_id)
    if branch_id:
        qs = qs.filter(branch_id=branch_id)
    counts = dict.fromkeys(stages, 0)
    counts.update(dict(qs.values("stage").annotate(n=Sum("count")).values_list("stage", "n")))
    return counts


def _column_page(user: User, *, stage: str, cursor: str | None, manager_id, branch_id):
    qs = _card_rows(_scoped(user, manager_id=manager_id, branch_id=branch_id).filter(stage=stage))
    return _page(qs, BOARD_ORDER, cursor, BOARD_PAGE)


def board_column(user: User, *, stage: str, cursor: str | None = None, manager_id=None, branch_id=None):
    """The next page of one column ("показать ещё")."""
    deals, next_cursor = _column_page(user, stage=stage, cursor=cursor, manager_id=manager_id, branch_id=branch_id)
    return mark_overdue(deals), next_cursor


def board(user: User, *, service_line: str, manager_id=None, branch_id=None) -> list[Column]:
    """The pipeline's columns with counts and the first page of each: counts,
    one query per column, one for the overdue flags."""
    if service_line not in ServiceLine.values:
        raise Http404
    counts = stage_counts(user, service_line=service_line, manager_id=manager_id, branch_id=branch_id)
    columns = []
    for stage in COLUMNS[service_line]:
        deals, next_cursor = _column_page(user, stage=stage, cursor=None, manager_id=manager_id, branch_id=branch_id)
        columns.append(Column(stage, Stage(stage).label, counts[stage], deals, next_cursor))
    mark_overdue([deal for column in columns for deal in column.deals])
    return columns


# --- list -----------------------------------------------------------------------------


_ROW_RELATED = ("client", "manager", "branch")


def _is_case_number(text: str) -> bool:
    return text[:1] in ("А", "A", "а", "a") and any(ch.isdigit() for ch in text[1:3])


def _is_phone(text: str) -> bool:
    digits = "".join(ch for ch in text if ch.isdigit())
    return len(digits) >= 5 and len(digits) >= len(text.replace(" ", "").replace("-", "")) - 4


def _is_name_search(text: str) -> bool:
    text = text.strip()
    return bool(text) and not _is_case_number(text) and not _is_phone(text)


def _search(qs: QuerySet[Deal], text: str) -> QuerySet[Deal]:
    text = text.strip()
    if not text:
        return qs
    if _is_case_number(text):
        return qs.filter(case_number__startswith="А" + text[1:].replace(" ", ""))
    digits = "".join(ch for ch in text if ch.isdigit())
    if _is_phone(text):
        norm = normalize_phone(text)
        phones = (
            ClientPhone.objects.filter(number_norm=norm)
            if norm
            else ClientPhone.objects.filter(number_norm__endswith=digits)
        )
        return qs.filter(client_id__in=phones.values("client_id"))
    return qs.filter(search_key__contains=text.casefold())


def deals_filtered(
    user: User,
    *,
    branch_id=None,
    manager_id=None,
    stage=None,
    service_line=None,
    source=None,
    created_from=None,
    created_to=None,
    q: str = "",
    sort: str = "new",
    cursor: str | None = None,
):
    """One page of the deal list with the given filters; returns (rows, next_cursor)."""
    qs = _scoped(user, manager_id=manager_id, branch_id=branch_id)
    if stage:
        qs = qs.filter(stage=stage)
    if service_line:
        qs = qs.filter(service_line=service_line)
    if source:
        qs = qs.filter(source=source)
    if created_from:
        qs = qs.filter(created_at__date__gte=created_from)
    if created_to:
        qs = qs.filter(created_at__date__lte=created_to)
    qs = _search(qs, q)
    order = SORTS.get(sort, SORTS["new"])
    rows, next_cursor = _page(
        _card_rows(qs.select_related("branch")), order, cursor, LIST_PAGE, ids_first=_is_name_search(q)
    )
    return mark_overdue(rows), next_cursor


# --- card -----------------------------------------------------------------------------


def deal_get_for_user(user: User, pk) -> Deal:
    """One deal with what its card shows; 404 when unknown or not visible."""
    try:
        return (
            deals_visible_to(user)
            .select_related("client", "manager", "branch")
            .prefetch_related(
                "creditors",
                "hearings",
                Prefetch("instalments", queryset=Instalment.objects.order_by("due_date", "id")),
                Prefetch(
                    "payments", queryset=Payment.objects.select_related("recorded_by").order_by("-paid_on", "-id")
                ),
            )
            .get(pk=pk)
        )
    except (Deal.DoesNotExist, ValueError, TypeError):
        raise Http404("Сделка не найдена") from None


def deal_money(deal: Deal) -> dict:
    """Fee, paid, owed and overdue for a card already fetched with its prefetches."""
    today = timezone.localdate()
    paid = sum((p.amount for p in deal.payments.all()), start=0)
    overdue = [i for i in deal.instalments.all() if i.due_date < today and i.paid_amount < i.amount]
    return {
        "fee": deal.fee,
        "paid": paid,
        "left": (deal.fee - paid) if deal.fee is not None else None,
        "overdue": overdue,
        "overdue_amount": sum((i.amount - i.paid_amount for i in overdue), start=0),
    }


def managers_for_assignment(user: User) -> QuerySet[User]:
    """Whom `user` may hand a deal to (access.assignees_q: a head's branch, anyone's for the director)."""
    qs = User.objects.filter(access.assignees_q(user)).select_related("branch")
    return qs.order_by("branch__name", "full_name")


def overdue_instalments(user: User, *, limit: int = 10) -> tuple[list[Instalment], int]:
    """Unpaid instalments past their date on the deals `user` may see, oldest first, and how many there are."""
    today = timezone.localdate()
    qs = Instalment.objects.filter(due_date__lt=today, paid_amount__lt=F("amount"))
    if not access.sees_everything(user):
        qs = qs.filter(deal__in=deals_visible_to(user))
    rows = list(qs.select_related("deal__client", "deal__manager").order_by("due_date", "id")[:limit])
    total = len(rows) if len(rows) < limit else qs.count()
    return rows, total


def active_deal_of(client) -> Deal | None:
    """The client's open deal (the newest), which «дела» belong to when there is one."""
    return Deal.objects.filter(client=client).exclude(stage__in=CLOSED).order_by("-id").first()


# --- debts (personal data) ----------------------------------------------------------------

# A debt figure on the card until revealed: no digits, so not even its size shows.
MASKED_AMOUNT = "•••••• ₽"


@dataclass
class CreditorRow:
    name: str
    kind: str
    inn: str
    amount: str


def deal_debts(deal: Deal, *, revealed: bool = False) -> dict:
    """The card's debt block from the prefetched creditors: the total and each creditor's
    amount and ИНН masked, in clear only when revealed (the reveal service logs that)."""

    def money(amount) -> str:
        if amount is None:
            return "—"
        return rub(amount) if revealed else MASKED_AMOUNT

    return {
        "total": money(deal.total_debt),
        "creditors": [
            CreditorRow(
                name=c.name,
                kind=c.get_kind_display(),
                inn=(c.inn if revealed else mask(c.inn)) or "—",
                amount=money(c.amount),
            )
            for c in deal.creditors.all()
        ],
        "revealed": revealed,
        "has_figures": deal.total_debt is not None or bool(deal.creditors.all()),
    }
