"""The board's column sums of fees (kept beside the counts) and «+ сделка» (deal_open and its page)."""

from decimal import Decimal

import pytest

from clients.models import Client
from crm.errors import DomainError
from deals.models import Deal, DealStageCount
from deals.selectors import board, stage_figures
from deals.services import deal_move_to_stage, deal_open, deal_reassign
from tests.factories import contract_data, make_client, make_deal


def fees(**filters):
    return {row.stage: row.fee_total for row in DealStageCount.objects.filter(**filters) if row.count or row.fee_total}


def contracted(manager, fee):
    deal = make_deal(manager=manager)
    deal_move_to_stage(deal=deal, stage="db_prep_court", by=manager, data={**contract_data(), "fee": Decimal(fee)})
    return deal


def test_column_sums_follow_moves_and_reassignment(manager_msk, manager2_msk, head_msk):
    make_deal(manager=manager_msk)
    a = contracted(manager_msk, "120000")
    contracted(manager_msk, "30000.50")
    assert fees(manager=manager_msk) == {"db_in_work": Decimal("0"), "db_prep_court": Decimal("150000.50")}
    deal_move_to_stage(deal=a, stage="db_terminated", by=manager_msk, data={"termination_reason": "Отказ"})
    assert fees(manager=manager_msk)["db_terminated"] == Decimal("120000")
    assert fees(manager=manager_msk)["db_prep_court"] == Decimal("30000.50")
    deal_reassign(deal=a, manager=manager2_msk, by=head_msk)
    assert fees(manager=manager2_msk) == {"db_terminated": Decimal("120000")}
    left = DealStageCount.objects.get(manager=manager_msk, stage="db_terminated")
    assert (left.count, left.fee_total) == (0, Decimal("0"))


def test_board_columns_carry_count_and_sum_equal_to_the_deals(manager_msk, manager2_msk, head_msk, manager_spb):
    contracted(manager_msk, "100000")
    contracted(manager2_msk, "50000")
    contracted(manager_spb, "70000")
    columns = {c.stage: c for c in board(head_msk, service_line="db")}
    expected = sum(
        (d.fee for d in Deal.objects.filter(branch=head_msk.branch, stage="db_prep_court")), start=Decimal("0")
    )
    assert columns["db_prep_court"].count == 2
    assert columns["db_prep_court"].fee_total == expected == Decimal("150000")
    assert columns["db_prep_court"].fee_total_display == "150 000,00 ₽"
    assert columns["db_in_work"].fee_total_display == "—"
    own = stage_figures(manager_msk, service_line="db")
    assert own["db_prep_court"] == (1, Decimal("100000"))


def test_board_page_shows_sums_and_the_new_deal_button(web, head_msk, manager_msk):
    contracted(manager_msk, "100000")
    web.force_login(head_msk)
    body = web.get("/deals/board/db/").content.decode()
    assert "100 000,00 ₽" in body
    assert 'data-testid="board-new-deal"' in body and "/deals/new/?line=db" in body


def test_lawyer_sees_no_new_deal_button_and_the_page_refuses(web, lawyer_msk):
    web.force_login(lawyer_msk)
    assert 'data-testid="board-new-deal"' not in web.get("/deals/board/db/").content.decode()
    before = Deal.objects.count()
    response = web.post(
        "/deals/new/", {"service_line": "db", "last_name": "А", "first_name": "Б", "phone": "+79160000001"}
    )
    assert response.status_code == 403
    assert Deal.objects.count() == before


def test_manager_opens_a_deal_for_a_new_client(web, manager_msk):
    web.force_login(manager_msk)
    response = web.post(
        "/deals/new/?line=du",
        {"service_line": "du", "last_name": "Новикова", "first_name": "Анна", "phone": "+7 916 555-01-02"},
    )
    deal = Deal.objects.get(client__last_name="Новикова")
    assert response.status_code == 302 and response["Location"] == deal.url
    assert (deal.service_line, deal.stage, deal.manager_id) == ("du", "du_in_work", manager_msk.pk)
    assert DealStageCount.objects.get(manager=manager_msk, stage="du_in_work").count == 1


def test_head_finds_a_branch_client_by_phone_and_opens_a_deal_for_a_manager(web, head_msk, manager2_msk):
    client = make_client(manager=manager2_msk, last_name="Ершова", phones=["+7 916 777-00-11"])
    web.force_login(head_msk)
    page = web.get("/deals/new/", {"line": "db", "q": "916 777"})
    assert [c.pk for c in page.context["picks"]] == [client.pk]
    response = web.post("/deals/new/", {"service_line": "db", "client": client.pk, "manager": manager2_msk.pk})
    assert response.status_code == 302
    deal = Deal.objects.get(client=client)
    assert deal.manager_id == manager2_msk.pk and deal.stage == "db_in_work"


def test_manager_cannot_open_a_deal_on_a_colleagues_client(web, manager_msk, manager2_msk):
    client = make_client(manager=manager2_msk, last_name="Чужая", phones=["+7 916 777-00-12"])
    web.force_login(manager_msk)
    assert web.get("/deals/new/", {"line": "db", "q": "Чужая"}).context["picks"] == []
    response = web.post("/deals/new/", {"service_line": "db", "client": client.pk})
    assert response.status_code == 400
    assert not Deal.objects.filter(client=client).exists()
    with pytest.raises(DomainError):
        deal_open(by=manager_msk, service_line="db", manager=manager_msk, client=client)
    assert not Deal.objects.filter(client=client).exists()


def test_head_cannot_give_a_new_deal_to_another_branch(head_msk, manager_spb):
    before = (Deal.objects.count(), Client.objects.count())
    with pytest.raises(DomainError):
        deal_open(
            by=head_msk,
            service_line="db",
            manager=manager_spb,
            new_client={"last_name": "Х", "first_name": "У", "patronymic": "", "phone": "+79160000009"},
        )
    assert (Deal.objects.count(), Client.objects.count()) == before


def test_a_phone_already_on_a_card_is_not_doubled(web, manager_msk, manager2_msk):
    make_client(manager=manager2_msk, last_name="Есть", phones=["+7 916 777-00-13"])
    web.force_login(manager_msk)
    before = (Deal.objects.count(), Client.objects.count())
    response = web.post(
        "/deals/new/", {"service_line": "db", "last_name": "Дубль", "first_name": "И", "phone": "8 916 777 00 13"}
    )
    assert response.status_code == 400
    assert "уже есть" in response.context["form"].errors["phone"][0]
    assert (Deal.objects.count(), Client.objects.count()) == before


def test_new_client_needs_name_and_phone(web, manager_msk):
    web.force_login(manager_msk)
    response = web.post("/deals/new/", {"service_line": "db", "last_name": "Без телефона"})
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"first_name", "phone"}
