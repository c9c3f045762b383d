"""Reads for deals: the board, the list, the card. All take the user.

Pages are keyset-paged and counts come from DealStageCount, so the cost of
a page does not grow with the number of deals.
"""

import base64
import heapq
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Count, F, Prefetch, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from clients.selectors import clients_search, clients_visible_to
from crm import access
from crm.models import User
from crm.money import rub
from crm.pipelines import CLOSED, COLUMNS, CONTRACTED, ServiceLine, Stage
from crm.search import Terms
from crm.search import parse as search_terms
from crm.validators import mask
from deals.models import Deal, DealStageCount, IncomingDocument, Instalment, Payment
from tasks.models import Task

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
    fee_total: Decimal = Decimal("0")

    @property
    def fee_total_display(self) -> str:
        return rub(self.fee_total) if self.fee_total else "—"


BOARD_ORDER = ("-stage_changed_at", "-id")


def stage_figures(user: User, *, service_line: str, manager_id=None, branch_id=None) -> dict[str, tuple[int, Decimal]]:
    """Deals per stage the user may see and the sum of their fees, from the counters (one small query)."""
    stages = COLUMNS[service_line]
    figures = dict.fromkeys(stages, (0, Decimal("0")))
    # The counter rows carry manager, branch and stage, so the deal rule applies to them as is.
    rule = access.records_q(user, contracted=Q(stage__in=CONTRACTED))
    if rule == access.NOTHING:
        return figures
    qs = DealStageCount.objects.filter(rule, stage__in=stages)
    if manager_id:
        qs = qs.filter(manager_id=manager_id)
    if branch_id:
        qs = qs.filter(branch_id=branch_id)
    rows = qs.values("stage").annotate(n=Sum("count"), fees=Sum("fee_total")).values_list("stage", "n", "fees")
    figures.update({stage: (n, Decimal(fees or 0)) for stage, n, fees in rows})
    return figures


def stage_counts(user: User, *, service_line: str, manager_id=None, branch_id=None) -> dict[str, int]:
    """Deals per stage the user may see, from the counters (one small query)."""
    figures = stage_figures(user, service_line=service_line, manager_id=manager_id, branch_id=branch_id)
    return {stage: n for stage, (n, _) in figures.items()}


def _column_page(user: User, *, stage: str, cursor: str | None, manager_id, branch_id):
    qs = _card_rows(_scoped(user, manager_id=manager_id, branch_id=branch_id).filter(stage=stage))
    return _page(qs, BOARD_ORDER, cursor, BOARD_PAGE)


def board_column(user: User, *, stage: str, cursor: str | None = None, manager_id=None, branch_id=None):
    """The next page of one column ("показать ещё")."""
    deals, next_cursor = _column_page(user, stage=stage, cursor=cursor, manager_id=manager_id, branch_id=branch_id)
    return mark_overdue(deals), next_cursor


def board(user: User, *, service_line: str, manager_id=None, branch_id=None) -> list[Column]:
    """The pipeline's columns with counts, sums of fees and the first page of each:
    counts and sums in one query, one query per column, one for the overdue flags."""
    if service_line not in ServiceLine.values:
        raise Http404
    figures = stage_figures(user, service_line=service_line, manager_id=manager_id, branch_id=branch_id)
    columns = []
    for stage in COLUMNS[service_line]:
        deals, next_cursor = _column_page(user, stage=stage, cursor=None, manager_id=manager_id, branch_id=branch_id)
        count, fees = figures[stage]
        columns.append(Column(stage, Stage(stage).label, count, deals, next_cursor, fees))
    mark_overdue([deal for column in columns for deal in column.deals])
    return columns


# --- list -----------------------------------------------------------------------------


_ROW_RELATED = ("client", "manager", "branch")


def deal_match_q(terms: Terms) -> Q:
    """Deals a parsed query finds, each condition index-backed: the client's name, phones and
    e-mail in the deal's copy of the client's `search_key` (trigrams), the case number by its
    start (pattern index), the contract number anywhere (trigrams on its upper case)."""
    if terms.case_number:
        return Q(case_number__startswith=terms.case_number)
    if terms.contract:
        return Q(contract_number__icontains=terms.contract)
    if terms.words:
        cond = Q()
        for word in terms.words:
            cond &= Q(search_key__contains=word)
        return cond
    if terms.phones:
        cond = Q()
        for fragment in terms.phones:
            cond |= Q(search_key__contains=fragment)
        return cond
    if terms.email:
        return Q(search_key__contains=terms.email)
    return access.NOTHING


def _search(qs: QuerySet[Deal], terms: Terms) -> QuerySet[Deal]:
    if not terms.text:
        return qs
    return qs.filter(deal_match_q(terms))


def deals_search(user: User, terms: Terms, *, limit: int) -> list[Deal]:
    """The newest `limit` deals the query finds among those `user` may open (the header search)."""
    if not (terms and access.may_see_deals(user)):
        return []
    qs = deals_visible_to(user).filter(deal_match_q(terms))
    # The page's ids on the deals table alone, then their clients: joined first, a broad name
    # match drags every matching client through the join (see `_page`).
    ids = list(qs.order_by("-id").values_list("pk", flat=True)[:limit])
    by_id = Deal.objects.select_related("client", "manager").in_bulk(ids)
    return [by_id[pk] for pk in ids if pk in by_id]


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
    terms = search_terms(q)
    qs = _search(qs, terms)
    order = SORTS.get(sort, SORTS["new"])
    # A name, phone or contract matches many deals scattered over the table (see `_page`).
    ids_first = bool(terms) and not terms.case_number
    rows, next_cursor = _page(_card_rows(qs.select_related("branch")), order, cursor, LIST_PAGE, ids_first=ids_first)
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


# --- payments register --------------------------------------------------------------------

REGISTER_PAGE = 50
# An Excel file people can still open; a wider selection is to be narrowed, not written.
REGISTER_EXPORT_MAX = 50000
# Within one day payments come before instalments (rank 0, then 1), each newest first.
_PAYMENT, _INSTALMENT = 0, 1


@dataclass(frozen=True)
class RegisterFilters:
    """The register's selection; the edge (deals.forms.RegisterFilterForm) fills in a bounded period."""

    date_from: date
    date_to: date
    branch_id: int | None = None
    manager_id: int | None = None
    method: str = ""
    overdue_only: bool = False


@dataclass
class RegisterRow:
    kind: str  # "payment" or "instalment"
    pk: int
    on: date
    deal: Deal
    amount: Decimal  # received, or still owed on the instalment
    scheduled: Decimal | None = None  # the instalment's full amount
    method: str = ""
    comment: str = ""
    overdue: bool = False

    @property
    def kind_label(self) -> str:
        return "Платёж" if self.kind == "payment" else "По графику"

    @property
    def sort_key(self) -> tuple:
        return (-self.on.toordinal(), _PAYMENT if self.kind == "payment" else _INSTALMENT, -self.pk)


@dataclass
class RegisterTotals:
    received: Decimal
    due: Decimal
    overdue: Decimal
    rows: int


def _register_sources(user: User, f: RegisterFilters):
    """The payments and the unpaid instalments in the selection (either may be None: filtered out)."""
    # The deal rule on the rows' deal: a manager's own, a head's branch, the director's all.
    rule = access.records_q(
        user, owner="deal__manager", branch="deal__branch", contracted=Q(deal__stage__in=CONTRACTED)
    )
    if not access.may_view_payments_register(user) or rule == access.NOTHING:
        return None, None
    scope = Q()
    if f.branch_id:
        scope &= Q(deal__branch_id=f.branch_id)
    if f.manager_id:
        scope &= Q(deal__manager_id=f.manager_id)
    payments = instalments = None
    if not f.overdue_only:
        payments = Payment.objects.filter(rule, scope, paid_on__gte=f.date_from, paid_on__lte=f.date_to)
        if f.method:
            payments = payments.filter(method=f.method)
    if not f.method:
        # Unpaid only: the partial index instalment_unpaid_due holds exactly these rows.
        instalments = Instalment.objects.filter(
            rule, scope, due_date__gte=f.date_from, due_date__lte=f.date_to, paid_amount__lt=F("amount")
        )
        if f.overdue_only:
            instalments = instalments.filter(due_date__lt=timezone.localdate())
    return payments, instalments


def register_totals(user: User, f: RegisterFilters) -> RegisterTotals:
    """Received, still due and overdue in the selection, and its row count: one query per kind of row."""
    payments, instalments = _register_sources(user, f)
    zero = Decimal("0")
    received, due, overdue, rows = zero, zero, zero, 0
    if payments is not None:
        agg = payments.order_by().aggregate(s=Sum("amount"), n=Count("id"))
        received, rows = agg["s"] or zero, agg["n"]
    if instalments is not None:
        owed = F("amount") - F("paid_amount")
        agg = instalments.order_by().aggregate(
            s=Sum(owed), late=Sum(owed, filter=Q(due_date__lt=timezone.localdate())), n=Count("id")
        )
        due, overdue, rows = agg["s"] or zero, agg["late"] or zero, rows + agg["n"]
    return RegisterTotals(received=Decimal(received), due=Decimal(due), overdue=Decimal(overdue), rows=rows)


def _payment_row(p: Payment) -> RegisterRow:
    return RegisterRow("payment", p.pk, p.paid_on, p.deal, p.amount, method=p.get_method_display(), comment=p.comment)


def _instalment_row(i: Instalment, today: date) -> RegisterRow:
    return RegisterRow(
        "instalment", i.pk, i.due_date, i.deal, i.amount - i.paid_amount, scheduled=i.amount, overdue=i.due_date < today
    )


_REGISTER_RELATED = ("deal__client", "deal__manager", "deal__branch")


def _register_after(column: str, rank: int, cursor: tuple[date, int, int] | None) -> Q:
    """Rows of one kind (`rank`) strictly after the cursor in the order (date desc, rank, id desc)."""
    if cursor is None:
        return Q()
    on, cursor_rank, pk = cursor
    if rank > cursor_rank:
        # The cursor is on a payment: this day's instalments all come after it.
        return Q(**{f"{column}__lte": on})
    if rank < cursor_rank:
        return Q(**{f"{column}__lt": on})
    return Q(**{f"{column}__lt": on}) | Q(**{column: on, "pk__lt": pk})


def _decode_register_cursor(cursor: str | None) -> tuple[date, int, int] | None:
    if not cursor:
        return None
    try:
        on, rank, pk = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        return date.fromisoformat(on), int(rank), int(pk)
    except (ValueError, UnicodeDecodeError):
        return None


def register_page(user: User, f: RegisterFilters, *, cursor: str | None = None, size: int | None = None):
    """One page of the register, newest first: (rows, next_cursor). Two keyset queries, merged."""
    size = size or REGISTER_PAGE
    payments, instalments = _register_sources(user, f)
    after = _decode_register_cursor(cursor)
    today = timezone.localdate()
    rows: list[RegisterRow] = []
    if payments is not None:
        qs = payments.filter(_register_after("paid_on", _PAYMENT, after)).select_related(*_REGISTER_RELATED)
        rows += [_payment_row(p) for p in qs.order_by("-paid_on", "-id")[: size + 1]]
    if instalments is not None:
        qs = instalments.filter(_register_after("due_date", _INSTALMENT, after)).select_related(*_REGISTER_RELATED)
        rows += [_instalment_row(i, today) for i in qs.order_by("-due_date", "-id")[: size + 1]]
    rows.sort(key=lambda r: r.sort_key)
    more = len(rows) > size
    rows = rows[:size]
    next_cursor = None
    if more:
        last = rows[-1]
        rank = _PAYMENT if last.kind == "payment" else _INSTALMENT
        next_cursor = base64.urlsafe_b64encode(f"{last.on.isoformat()}|{rank}|{last.pk}".encode()).decode()
    return rows, next_cursor


def register_rows(user: User, f: RegisterFilters) -> Iterator[RegisterRow]:
    """Every row of the selection in the page order (for the Excel file), streamed from both tables."""
    payments, instalments = _register_sources(user, f)
    today = timezone.localdate()
    streams = []
    if payments is not None:
        qs = payments.select_related(*_REGISTER_RELATED).order_by("-paid_on", "-id")
        streams.append(_payment_row(p) for p in qs.iterator(chunk_size=2000))
    if instalments is not None:
        qs = instalments.select_related(*_REGISTER_RELATED).order_by("-due_date", "-id")
        streams.append(_instalment_row(i, today) for i in qs.iterator(chunk_size=2000))
    return heapq.merge(*streams, key=lambda r: r.sort_key)


# --- «+ сделка»: finding the client ----------------------------------------------------------

CLIENT_PICK_LIMIT = 10


def clients_to_pick(user: User, text: str) -> list:
    """Clients `user` may see found by a phone or a name (the shared search parser), for a new deal."""
    return clients_search(user, search_terms(text or ""), limit=CLIENT_PICK_LIMIT)


def client_to_pick(user: User, pk: int):
    """The client chosen for a new deal, if `user` may see it; None otherwise."""
    return clients_visible_to(user).filter(pk=pk).first()


# --- incoming documents ------------------------------------------------------------------------

INCOMING_PAGE = 50
INCOMING_ORDER = ("-received_on", "-id")
# An Excel file people can still open; a wider selection is to be narrowed, not written.
INCOMING_EXPORT_MAX = 50000
_INCOMING_RELATED = ("deal__manager", "deal__branch", "client", "file", "responsible", "task", "registered_by")


class IncomingDeadline:
    """The register's «срок ответа» filter."""

    WAITING = "waiting"  # a reply is due and its task is still open
    OVERDUE = "overdue"  # … and the deadline has passed
    CHOICES = [("", "Любой"), (WAITING, "Ждут ответа"), (OVERDUE, "Ответ просрочен")]


@dataclass(frozen=True)
class IncomingFilters:
    year: int | None = None
    kind: str = ""
    date_from: date | None = None
    date_to: date | None = None
    branch_id: int | None = None
    manager_id: int | None = None
    deal_id: int | None = None
    deadline: str = ""
    q: str = ""


def incoming_visible_to(user: User) -> QuerySet[IncomingDocument]:
    """Incoming documents of the deals `user` may open (the deal rule through the row's deal)."""
    if not access.may_see_deals(user):
        return IncomingDocument.objects.none()
    return IncomingDocument.objects.filter(access.deal_rows_q(user))


def _incoming_filtered(user: User, f: IncomingFilters) -> QuerySet[IncomingDocument]:
    qs = incoming_visible_to(user)
    if f.year:
        qs = qs.filter(year=f.year)
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.date_from:
        qs = qs.filter(received_on__gte=f.date_from)
    if f.date_to:
        qs = qs.filter(received_on__lte=f.date_to)
    if f.branch_id:
        qs = qs.filter(deal__branch_id=f.branch_id)
    if f.manager_id:
        qs = qs.filter(deal__manager_id=f.manager_id)
    if f.deal_id:
        qs = qs.filter(deal_id=f.deal_id)
    if f.deadline in (IncomingDeadline.WAITING, IncomingDeadline.OVERDUE):
        qs = qs.filter(reply_deadline__isnull=False, task__status__in=Task.OPEN)
        if f.deadline == IncomingDeadline.OVERDUE:
            qs = qs.filter(reply_deadline__lt=timezone.localdate())
    text = (f.q or "").strip()
    if text:
        qs = qs.filter(Q(number__icontains=text.upper()) | Q(sender__icontains=text))
    return qs


def incoming_page(user: User, f: IncomingFilters, *, cursor: str | None = None, size: int | None = None):
    """One page of the register, newest paper first: (rows, next_cursor), one keyset query."""
    qs = _incoming_filtered(user, f).select_related(*_INCOMING_RELATED)
    return _page(qs, INCOMING_ORDER, cursor, size or INCOMING_PAGE)


def incoming_count(user: User, f: IncomingFilters) -> int:
    return _incoming_filtered(user, f).count()


def incoming_rows(user: User, f: IncomingFilters) -> Iterator[IncomingDocument]:
    """Every row of the selection in the page order (for the Excel file), streamed."""
    qs = _incoming_filtered(user, f).select_related(*_INCOMING_RELATED).order_by(*INCOMING_ORDER)
    return qs.iterator(chunk_size=2000)


def incoming_get_for_user(user: User, pk) -> IncomingDocument:
    """One registered paper; 404 when unknown or its deal is out of `user`'s sight."""
    try:
        return incoming_visible_to(user).select_related(*_INCOMING_RELATED).get(pk=pk)
    except (IncomingDocument.DoesNotExist, ValueError, TypeError):
        raise Http404("Входящий документ не найден") from None


def incoming_of_deal(deal: Deal, *, limit: int = 100) -> list[IncomingDocument]:
    """The deal card's papers, newest first (the caller fetched `deal` through the deal rule)."""
    qs = IncomingDocument.objects.filter(deal=deal).select_related("file", "responsible", "task")
    return list(qs.order_by("-received_on", "-id")[:limit])


def incoming_responsibles(user: User, deal: Deal) -> QuerySet[User]:
    """Whom `user` may give a paper on `deal` to answer: staff `user` sees who may open the deal."""
    return User.objects.filter(access.staff_q(user), access.deal_openers_q(deal)).order_by("full_name", "pk")
