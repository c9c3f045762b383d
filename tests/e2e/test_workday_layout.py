"""The office's working day without dead ends, in a real browser.

Every main page fits the window at 1024 px (the smallest office screen) and at
390 px (a phone), for the director and for a manager; the bell and the user menu
stay on screen; a client is edited from its card; a refused hearing keeps its
folded block open with the reason in view; the office manager opens the pool and
a client in it; the ПР form finds a deal by the client's name.
"""

import pytest
from playwright.sync_api import Page, expect

from clients.models import Client
from deals.services import deal_move_to_stage
from tasks.models import Task
from tests.e2e.helpers import enter_as
from tests.factories import contract_data, court_data, make_client, make_deal

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SMALL_DESKTOP = {"width": 1024, "height": 768}
PHONE = {"width": 390, "height": 844}

# The elements whose right edge passes the window: named in the failure so the
# culprit is found without a screenshot.
WIDER_THAN_WINDOW = """() => {
  const limit = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth <= limit) return [];
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.width && r.right > limit + 1) {
      out.push(`${el.tagName.toLowerCase()}.${[...el.classList].join('.')} ${Math.round(r.right)}`);
    }
  }
  return out.slice(0, 15).concat([`scrollWidth=${document.documentElement.scrollWidth}`]);
}"""


def main_pages(deal) -> dict[str, str]:
    return {
        "home": "/",
        "deal": f"/deals/{deal.pk}/",
        "deals": "/deals/",
        "board": "/deals/board/db/",
        "tasks": "/tasks/",
        "my-day": "/my-day/",
    }


@pytest.mark.parametrize("viewport", [SMALL_DESKTOP, PHONE], ids=["1024", "390"])
@pytest.mark.parametrize("person", ["director", "manager.msk"])
def test_main_pages_do_not_scroll_sideways(
    page: Page, live_server, everyone, manager_msk, viewport, person, screenshot
):
    deal = make_deal(manager=manager_msk, last_name="Константинопольская-Преображенская")
    enter_as(page, live_server, person)
    for name, url in main_pages(deal).items():
        page.goto(url)
        page.wait_for_load_state()
        assert page.evaluate(WIDER_THAN_WINDOW) == [], (name, viewport["width"])
        screenshot(page, f"workday-{name}-{person}-{viewport['width']}")


@pytest.mark.parametrize("viewport", [SMALL_DESKTOP], ids=["1024"])
@pytest.mark.parametrize("person", ["director", "rop.msk", "manager.msk", "admin", "office", "callcenter"])
def test_bell_and_user_menu_stay_on_screen_at_1024(page: Page, live_server, everyone, viewport, person, screenshot):
    enter_as(page, live_server, person)
    for testid in ("notifications", "user-menu"):
        expect(page.get_by_test_id(testid)).to_be_visible()
        box = page.get_by_test_id(testid).bounding_box()
        assert box["x"] + box["width"] <= 1024, (testid, box)
    assert page.evaluate(WIDER_THAN_WINDOW) == []
    screenshot(page, f"workday-menu-{person}-1024")


def test_client_is_edited_from_its_card(page: Page, live_server, everyone, manager_msk, screenshot):
    client = make_client(manager=manager_msk, last_name="Согласова")
    enter_as(page, live_server, "manager.msk")
    page.goto(f"/clients/{client.pk}/")
    page.get_by_role("link", name="Изменить", exact=True).click()
    page.get_by_label("Телефоны").fill("+7 916 555-44-33")
    page.get_by_label("Согласие на обработку ПДн получено").fill("2026-11-20T10:00")
    page.get_by_label("Как получено").fill("лично")
    page.get_by_role("button", name="Сохранить").click()
    expect(page.get_by_text("Карточка клиента сохранена.")).to_be_visible()
    client.refresh_from_db()
    assert client.consent_channel == "лично" and client.consent_at is not None
    assert [p.number_norm for p in client.phones.all()] == ["79165554433"]
    screenshot(page, "workday-client-edited")


def test_refused_hearing_keeps_the_block_open_with_the_reason(
    page: Page, live_server, everyone, manager_msk, screenshot
):
    deal = make_deal(manager=manager_msk)
    deal_move_to_stage(deal=deal, stage="db_prep_court", by=manager_msk, data=contract_data())
    deal_move_to_stage(deal=deal, stage="db_in_court", by=manager_msk, data=court_data())
    enter_as(page, live_server, "manager.msk")
    page.goto(f"/deals/{deal.pk}/")
    block = page.get_by_test_id("case-edit")
    block.locator("summary").click()
    block.locator("#hearing").get_by_label("Заседание").fill("1990-01-10T10:00")
    block.get_by_role("button", name="Добавить заседание").click()
    block = page.get_by_test_id("case-edit")
    expect(block).to_have_attribute("open", "")
    expect(block.get_by_text("Дата заседания не может быть раньше 01.01.2000.")).to_be_visible()
    assert deal.hearings.count() == 0
    screenshot(page, "workday-hearing-refused")


@pytest.mark.parametrize("viewport", [PHONE], ids=["390"])
def test_office_manager_opens_the_pool_and_a_client(
    page: Page, live_server, everyone, manager_msk, viewport, screenshot
):
    client = make_client(manager=manager_msk, last_name="Отстойникова", phones=["+79160000001"])
    Client.objects.filter(pk=client.pk).update(status=Client.Status.POOL)
    enter_as(page, live_server, "office")
    page.get_by_role("button", name="Меню").click()
    page.get_by_role("link", name="Отстойник", exact=True).click()
    page.get_by_role("link", name=client.display_name).click()
    expect(page.get_by_test_id("client-contacts")).to_contain_text("+7")
    expect(page.get_by_test_id("client-status")).to_have_text("В отстойнике")
    assert page.evaluate(WIDER_THAN_WINDOW) == []
    screenshot(page, "workday-office-pool-client-390")


def test_pr_form_finds_the_deal_by_client_name(page: Page, live_server, everyone, manager_msk, screenshot):
    deal = make_deal(manager=manager_msk, last_name="Рассрочкин")
    enter_as(page, live_server, "manager.msk")
    page.goto("/tasks/new/pr/")
    page.get_by_test_id("deal-search").fill("рассроч")
    expect(page.get_by_label("Сделка (если вопрос о сделке)")).to_have_value(str(deal.pk))
    page.get_by_label("Тема").fill("Рассрочка")
    page.get_by_label("Вид").select_option("discount")
    page.get_by_label("Суть вопроса").fill("Просит рассрочку")
    page.get_by_label("Полная информация").fill("Доход упал")
    page.get_by_label("Предлагаемое решение").fill("Рассрочка на 6 месяцев")
    page.get_by_role("button", name="Подать ПР").click()
    expect(page.get_by_text("ПР подано")).to_be_visible()
    assert Task.objects.get(form="pr").deal_id == deal.pk
    screenshot(page, "workday-pr-with-deal")
