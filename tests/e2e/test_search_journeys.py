"""Finding a client or a deal from anywhere: the header box answers as you type; the client list filters by state."""

import re

import pytest
from playwright.sync_api import Page, expect

from clients.models import Client
from deals.services import deal_move_to_stage
from tests.e2e.helpers import enter_as
from tests.factories import contract_data, make_client, make_deal

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_part_of_a_phone_in_the_header_box_opens_the_client(page: Page, live_server, everyone, manager_msk, screenshot):
    deal = make_deal(manager=manager_msk, last_name="Звонарёв", phones=["+7 903 555-12-34"])
    make_deal(manager=manager_msk, last_name="Посторонний", phones=["+7 916 000-00-01"])
    enter_as(page, live_server, "manager.msk")
    page.get_by_test_id("search-input").press_sequentially("903 555", delay=30)
    hits = page.get_by_test_id("search-hit")
    expect(hits).to_have_count(2)  # the client and their deal
    expect(hits.first).to_contain_text("клиент")
    expect(hits.first).to_contain_text("Звонарёв Иван Петрович")
    screenshot(page, "search-box-phone")
    hits.filter(has_text="клиент").click()
    expect(page).to_have_url(re.compile(rf"/clients/{deal.client_id}/$"))
    expect(page.locator("h1")).to_contain_text("Звонарёв")


def test_a_contract_number_opens_the_deal(page: Page, live_server, everyone, manager_msk, screenshot):
    deal = make_deal(manager=manager_msk, last_name="Договорова")
    deal_move_to_stage(deal=deal, stage="db_prep_court", by=manager_msk, data=contract_data())
    make_deal(manager=manager_msk, last_name="Без договора")
    enter_as(page, live_server, "manager.msk")
    page.get_by_test_id("search-input").press_sequentially("ДБ-17", delay=30)
    deal_hit = page.locator('[data-testid="search-hit"][data-type="deal"]')
    expect(deal_hit).to_have_count(1)
    expect(deal_hit).to_contain_text("Подготовка к АС")
    screenshot(page, "search-box-contract")
    deal_hit.click()
    expect(page).to_have_url(re.compile(rf"/deals/{deal.pk}/$"))


def test_enter_opens_all_results(page: Page, live_server, everyone, manager_msk, screenshot):
    make_deal(manager=manager_msk, last_name="Полнов", phones=["+7 903 555-77-00"])
    enter_as(page, live_server, "manager.msk")
    box = page.get_by_test_id("search-input")
    box.fill("полнов")
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"/search/\?q="))
    expect(page.get_by_test_id("search-clients")).to_contain_text("Полнов Иван Петрович")
    expect(page.get_by_test_id("search-deals")).to_contain_text("В работе")
    screenshot(page, "search-page")


def test_client_list_filtered_by_state(page: Page, live_server, everyone, manager_msk, screenshot):
    kept = make_client(manager=manager_msk, last_name="Активный")
    dropped = make_client(manager=manager_msk, last_name="Забытый")
    Client.objects.filter(pk=dropped.pk).update(status=Client.Status.ABANDONED)
    enter_as(page, live_server, "rop.msk")
    page.goto("/deals/")
    page.get_by_test_id("clients-link").click()
    rows = page.get_by_test_id("client-row")
    expect(rows).to_have_count(2)
    page.get_by_label("Состояние").select_option("abandoned")
    page.get_by_role("button", name="Найти").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Забытый")
    expect(rows.first).not_to_contain_text(kept.display_name)
    screenshot(page, "clients-list-abandoned")
    rows.first.get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(rf"/clients/{dropped.pk}/$"))
