"""The deal list's own search (`q`): part of a phone and contract numbers, as the header search finds them."""

import pytest

from deals.services import deal_move_to_stage
from tests.factories import contract_data, make_deal


@pytest.mark.parametrize("q", ["903 555", "8 903 555", "+7 (903) 555-12", "555-12-34", "89035551234"])
def test_part_of_a_phone_finds_the_deal(web, manager_msk, q):
    deal = make_deal(manager=manager_msk, last_name="Телефонов", phones=["+7 903 555-12-34"])
    make_deal(manager=manager_msk, last_name="Другой", phones=["+7 916 000-00-01"])
    web.force_login(manager_msk)
    assert [d.pk for d in web.get("/deals/", {"q": q}).context["rows"]] == [deal.pk]


@pytest.mark.parametrize("q", ["ДБ-17", "дб-17", "ДБ-17/2026"])
def test_contract_number_finds_the_deal(web, manager_msk, q):
    deal = make_deal(manager=manager_msk, last_name="Договоров")
    deal_move_to_stage(deal=deal, stage="db_prep_court", by=manager_msk, data=contract_data())
    make_deal(manager=manager_msk, last_name="Без договора")
    web.force_login(manager_msk)
    assert [d.pk for d in web.get("/deals/", {"q": q}).context["rows"]] == [deal.pk]


def test_name_words_in_any_order(web, manager_msk):
    deal = make_deal(manager=manager_msk, last_name="Порядков")
    web.force_login(manager_msk)
    assert [d.pk for d in web.get("/deals/", {"q": "петрович порядк"}).context["rows"]] == [deal.pk]
