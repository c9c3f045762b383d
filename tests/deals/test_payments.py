from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from crm.errors import DomainError
from deals.models import Instalment, Payment
from deals.selectors import deal_get_for_user, deal_money
from deals.services import deal_move_to_stage, deal_reassign, payment_record, schedule_set
from tests.factories import contract_data, make_deal


@pytest.fixture
def contracted(manager_msk):
    deal = make_deal(manager=manager_msk)
    # Signed two months ago: the schedules below start 40 days back, and no instalment
    # may fall due before its contract.
    signed = timezone.localdate() - timedelta(days=60)
    deal_move_to_stage(
        deal=deal, stage="db_prep_court", by=manager_msk, data={**contract_data(), "contract_date": signed}
    )
    return deal


def test_schedule_must_add_up_to_fee(contracted, manager_msk):
    with pytest.raises(DomainError, match="не равна стоимости услуг"):
        schedule_set(deal=contracted, by=manager_msk, items=[(date(2026, 12, 1), Decimal("100000"))])
    assert Instalment.objects.count() == 0


def test_payments_fill_oldest_instalment_first(contracted, manager_msk):
    today = timezone.localdate()
    schedule_set(
        deal=contracted,
        by=manager_msk,
        items=[
            (today - timedelta(days=40), Decimal("40000")),
            (today - timedelta(days=10), Decimal("40000")),
            (today + timedelta(days=20), Decimal("40000")),
        ],
    )
    payment_record(deal=contracted, by=manager_msk, paid_on=today, amount=Decimal("50000"), method="card")
    paid = list(Instalment.objects.order_by("due_date").values_list("paid_amount", flat=True))
    assert paid == [Decimal("40000"), Decimal("10000"), Decimal("0")]
    money = deal_money(deal_get_for_user(manager_msk, contracted.pk))
    assert (money["paid"], money["left"], money["overdue_amount"]) == (
        Decimal("50000"),
        Decimal("70000"),
        Decimal("30000"),
    )


def test_payment_before_contract_is_refused(manager_msk):
    deal = make_deal(manager=manager_msk)
    with pytest.raises(DomainError, match="заключённому договору"):
        payment_record(deal=deal, by=manager_msk, paid_on=date(2026, 11, 1), amount=Decimal("1"), method="cash")
    assert Payment.objects.count() == 0


@pytest.mark.parametrize(
    "amount, paid_on, message",
    [
        (Decimal("0"), date(2026, 11, 1), "больше нуля"),
        (Decimal("10"), date(2099, 1, 1), "в будущем"),
    ],
)
def test_bad_payment_is_refused(contracted, manager_msk, amount, paid_on, message):
    with pytest.raises(DomainError, match=message):
        payment_record(deal=contracted, by=manager_msk, paid_on=paid_on, amount=amount, method="cash")
    assert Payment.objects.count() == 0


def test_colleague_cannot_record_payment(contracted, manager2_msk):
    with pytest.raises(DomainError, match="Нет доступа"):
        payment_record(deal=contracted, by=manager2_msk, paid_on=date(2026, 11, 1), amount=Decimal("1"), method="cash")
    assert Payment.objects.count() == 0


def test_a_reassigned_deal_takes_its_schedule_and_leaves_its_payments(contracted, manager_msk, manager_spb, director):
    """Instalments carry the deal's branch and manager as now (who collects the overdue money); a payment keeps
    those of the day it came in (who is credited with it)."""
    today = timezone.localdate()
    schedule_set(
        deal=contracted,
        by=manager_msk,
        items=[(today - timedelta(days=10), Decimal("60000")), (today + timedelta(days=20), Decimal("60000"))],
    )
    payment_record(deal=contracted, by=manager_msk, paid_on=today, amount=Decimal("1000"), method="card")
    deal_reassign(deal=contracted, manager=manager_spb, by=director)
    schedule = set(
        Instalment.objects.filter(deal=contracted).values_list("manager", "branch", "source", "service_line")
    )
    assert schedule == {(manager_spb.pk, manager_spb.branch_id, contracted.source, contracted.service_line)}
    payment = Payment.objects.get(deal=contracted)
    assert (payment.manager_id, payment.branch_id) == (manager_msk.pk, manager_msk.branch_id)
