"""Debts are personal data (152-ФЗ): the deal card shows the total debt and each creditor's amount
and ИНН masked; «показать» reveals them for a deal the user may see and writes one audit entry."""

from decimal import Decimal
from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from crm.models import AuditEntry
from deals.payments_excel import payments_export
from deals.selectors import MASKED_AMOUNT
from deals.services import creditor_add, deal_move_to_stage, payment_record
from tests.conftest import token_client
from tests.factories import contract_data, make_deal

SBER_INN = "7707083893"
# Every way the card could print these figures: plain, grouped, as the firm writes money.
SECRETS = [SBER_INN, "1234567", "1 234 567", "1 234 567", "765432", "765 432", "1999999", "1 999 999", "1 999 999"]


@pytest.fixture
def deal(manager_msk):
    deal = make_deal(manager=manager_msk)
    deal_move_to_stage(deal=deal, stage="db_prep_court", by=manager_msk, data=contract_data())
    creditor_add(deal=deal, by=manager_msk, name="ПАО Сбербанк", amount=Decimal("1234567.89"), inn=SBER_INN)
    creditor_add(deal=deal, by=manager_msk, name="ООО МФК Быстроденьги", amount=Decimal("765432.10"), kind="mfo")
    return deal


def reveals() -> int:
    return AuditEntry.objects.filter(action=AuditEntry.Action.VIEW_PERSONAL_DATA).count()


def card(web, user, deal) -> str:
    web.force_login(user)
    response = web.get(reverse("deals:detail", args=[deal.pk]))
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("who", ["manager.msk", "rop.msk", "lawyer.msk", "director"])
def test_card_masks_debts_for_everyone_who_opens_it(web, everyone, deal, who):
    body = card(web, everyone[who], deal)
    assert [s for s in SECRETS if s in body] == []
    assert "ПАО Сбербанк" in body  # the creditor's name stays: it is how the case is worked
    assert "••••••••93" in body
    assert body.count(MASKED_AMOUNT) >= 3  # the total and both creditors
    assert reveals() == 0


def test_reveal_shows_the_figures_and_writes_one_audit_entry(web, manager_msk, deal):
    web.force_login(manager_msk)
    response = web.post(reverse("deals:reveal_debts", args=[deal.pk]), headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = response.content.decode()
    for shown in (SBER_INN, "1 234 567,89 ₽", "765 432,10 ₽", "1 999 999,99 ₽"):
        assert shown in body
    entry = AuditEntry.objects.get(action=AuditEntry.Action.VIEW_PERSONAL_DATA)
    assert (entry.actor, entry.target_type, entry.target_id, entry.changes) == (
        manager_msk,
        "deals.deal",
        str(deal.pk),
        {"field": "debts"},
    )


def test_lawyer_of_the_branch_may_reveal_a_contracted_deal(web, lawyer_msk, deal):
    web.force_login(lawyer_msk)
    assert web.post(reverse("deals:reveal_debts", args=[deal.pk])).status_code == 200
    assert AuditEntry.objects.filter(action=AuditEntry.Action.VIEW_PERSONAL_DATA, actor=lawyer_msk).count() == 1


@pytest.mark.parametrize("who", ["manager2.msk", "manager.spb", "rop.spb", "callcenter", "office"])
def test_reveal_of_a_deal_not_theirs_is_404_and_not_logged(web, everyone, deal, who):
    web.force_login(everyone[who])
    response = web.post(reverse("deals:reveal_debts", args=[deal.pk]))
    assert response.status_code == 404
    assert [s for s in SECRETS if s in response.content.decode()] == []
    assert reveals() == 0


def test_reveal_is_post_only(web, manager_msk, deal):
    web.force_login(manager_msk)
    assert web.get(reverse("deals:reveal_debts", args=[deal.pk])).status_code == 405
    assert reveals() == 0


def test_case_form_does_not_carry_the_total_and_empty_keeps_it(web, manager_msk, deal):
    web.force_login(manager_msk)
    response = web.post(reverse("deals:case", args=[deal.pk]), {"title": "БФЛ", "judge": "Петров П. П."})
    assert response.status_code == 302
    deal.refresh_from_db()
    assert (deal.judge, deal.total_debt) == ("Петров П. П.", Decimal("1999999.99"))


def test_audit_log_keeps_debts_masked(deal):
    entries = AuditEntry.objects.filter(target_type="deals.creditor", action=AuditEntry.Action.CREATE).order_by("id")
    assert [(e.target_repr, e.changes["inn"]) for e in entries] == [
        ("ПАО Сбербанк", "••••••••93"),
        ("ООО МФК Быстроденьги", ""),
    ]
    assert [s for s in SECRETS if s in str([e.changes for e in entries])] == []


def test_api_and_payments_export_carry_no_debts(manager_msk, deal):
    detail = token_client(manager_msk).get(reverse("api-deal-detail", args=[deal.pk]))
    assert detail.status_code == 200
    assert "total_debt" not in detail.json() and "creditors" not in detail.json()
    assert [s for s in SECRETS if s in detail.content.decode()] == []
    payment_record(
        deal=deal, by=manager_msk, paid_on=contract_data()["contract_date"], amount=Decimal("1000"), method="cash"
    )
    sheet = load_workbook(BytesIO(payments_export(user=manager_msk))).active
    cells = " ".join(str(c) for row in sheet.iter_rows(values_only=True) for c in row)
    assert [s for s in SECRETS if s in cells] == []


def test_admin_deal_page_does_not_show_the_total_debt(web, admin_user, deal):
    web.force_login(admin_user)
    response = web.get(reverse("admin:deals_deal_change", args=[deal.pk]))
    assert response.status_code == 200
    assert [s for s in SECRETS if s in response.content.decode()] == []
