"""The office's working day without dead ends, page by page: the menu's «Ещё», «Изменить» on the client card,
folded blocks that stay open on an error, the office manager's pool, the ПР deal search, Russian filters,
the efficiency month, ПР awaiting a head's decision, wording, the favicon."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.staticfiles import finders

from activities.models import PoolRule
from clients.models import Client
from crm.models import Notification
from crm.text import count_ru, plural_ru
from deals.services import deal_move_to_stage
from tasks import services as task_services
from tasks.models import Task
from tests.factories import contract_data, court_data, make_client, make_deal

pytestmark = pytest.mark.django_db


def at(*args):
    return time_machine.travel(datetime(*args, tzinfo=ZoneInfo("Europe/Moscow")), tick=False)


def in_state(client, status):
    Client.objects.filter(pk=client.pk).update(status=status)
    client.refresh_from_db()
    return client


# --- the menu -------------------------------------------------------------------------------


def test_rare_items_fold_into_more_for_the_director(web, everyone):
    web.force_login(everyone["director"])
    response = web.get("/")
    html = response.content.decode()
    assert [i["title"] for i in response.context["nav_more"]] == [
        "Входящие",
        "Отчёты",
        "Аналитика",
        "Сотрудники",
        "Журнал",
        "Диск",
        "API",
    ]
    assert 'data-testid="nav-more"' in html
    assert 'rel="icon"' in html


def test_more_lights_up_on_its_pages(web, everyone):
    web.force_login(everyone["director"])
    response = web.get("/audit/")
    assert response.context["nav_more_active"] is True
    assert [i["title"] for i in response.context["nav_items"] if i["active"]] == ["Журнал"]


def test_the_favicon_is_a_static_file():
    assert finders.find("img/favicon.svg")


# --- «Изменить» on the client card --------------------------------------------------------------


def test_client_card_offers_edit_to_its_manager_and_the_head(web, manager_msk, head_msk):
    client = make_client(manager=manager_msk)
    for person in (manager_msk, head_msk):
        web.force_login(person)
        response = web.get(f"/clients/{client.pk}/")
        assert response.context["can_edit"] is True
        assert f'href="/clients/{client.pk}/edit/"' in response.content.decode()


def test_lawyer_sees_no_edit_and_is_refused_with_nothing_changed(web, manager_msk, lawyer_msk):
    deal = make_deal(manager=manager_msk, last_name="Юристова")
    deal_move_to_stage(deal=deal, stage="db_prep_court", by=manager_msk, data=contract_data())
    web.force_login(lawyer_msk)
    card = web.get(f"/clients/{deal.client_id}/")
    assert card.status_code == 200 and card.context["can_edit"] is False
    assert "/edit/" not in card.content.decode()
    response = web.post(f"/clients/{deal.client_id}/edit/", {"kind": "person", "last_name": "Взломова"})
    assert response.status_code == 403
    assert Client.objects.get(pk=deal.client_id).last_name == "Юристова"


# --- folded blocks keep an error in view ------------------------------------------------------


def test_refused_hearing_keeps_the_folded_block_open_with_the_reason(web, manager_msk):
    deal = make_deal(manager=manager_msk)
    deal_move_to_stage(deal=deal, stage="db_prep_court", by=manager_msk, data=contract_data())
    deal_move_to_stage(deal=deal, stage="db_in_court", by=manager_msk, data=court_data())
    web.force_login(manager_msk)
    closed = web.get(f"/deals/{deal.pk}/").content.decode()
    assert 'data-testid="case-edit">' in closed  # folded when nothing went wrong
    response = web.post(f"/deals/{deal.pk}/hearings/", {"date": "1990-01-10T10:00"})
    html = response.content.decode()
    assert response.status_code == 400
    assert 'data-testid="case-edit" open>' in html
    assert "Дата заседания не может быть раньше 01.01.2000." in html
    assert deal.hearings.count() == 0


# --- the office manager's pool ----------------------------------------------------------------


def test_office_manager_reaches_the_pool_from_the_menu_and_opens_a_client(web, office_manager, manager_msk):
    pooled = in_state(make_client(manager=manager_msk, last_name="Отстойникова", phones=["+79160000001"]), "pool")
    abandoned = in_state(make_client(manager=manager_msk, last_name="Забытов", phones=["+79160000002"]), "abandoned")
    web.force_login(office_manager)
    menu = {i["title"]: i["url"] for i in web.get("/").context["nav_items"]}
    assert menu["Отстойник"] == "/clients/state/pool/"
    pool = web.get("/clients/state/pool/")
    assert [c.pk for c in pool.context["rows"]] == [pooled.pk]
    assert [code for code, _ in pool.context["tabs"]] == ["abandoned", "pool"]
    assert f'href="/clients/{pooled.pk}/contact/"' in pool.content.decode()
    assert [c.pk for c in web.get("/clients/state/abandoned/").context["rows"]] == [abandoned.pk]
    card = web.get(f"/clients/{pooled.pk}/contact/")
    assert card.status_code == 200
    assert '<a href="tel:+79160000001">' in card.content.decode()  # the phone, to call from the card
    assert web.get(f"/clients/{abandoned.pk}/contact/").status_code == 200
    # Never the case file: the card itself, the lost list.
    assert web.get(f"/clients/{pooled.pk}/").status_code == 404
    assert web.get("/clients/state/lost/").status_code == 404


def test_contact_card_is_refused_outside_the_pool_and_to_other_roles(
    web, office_manager, manager_msk, manager_spb, call_centre
):
    active = make_client(manager=manager_msk, last_name="Активнов")
    other_branch = in_state(make_client(manager=manager_spb, last_name="Питерский"), "pool")
    mine = in_state(make_client(manager=manager_msk, last_name="Пулов"), "pool")
    web.force_login(office_manager)
    assert web.get(f"/clients/{active.pk}/contact/").status_code == 404
    assert web.get(f"/clients/{other_branch.pk}/contact/").status_code == 404
    for person in (call_centre, manager_msk):
        web.force_login(person)
        assert web.get(f"/clients/{mine.pk}/contact/").status_code == 404
    assert Client.objects.get(pk=mine.pk).status == "pool"


# --- the ПР form finds a deal by the client's name ------------------------------------------------


def test_pr_deal_search_finds_own_deals_by_client_name(web, manager_msk, manager2_msk):
    mine = make_deal(manager=manager_msk, last_name="Рассрочкин")
    make_deal(manager=manager2_msk, last_name="Рассрочкина")  # a colleague's: never offered
    web.force_login(manager_msk)
    response = web.get("/tasks/new/pr/deals/", {"deal_q": "рассроч"})
    assert [value for value, _ in response.context["options"]] == [mine.pk]
    assert "Рассрочкин Иван Петрович — сделка №" in response.content.decode()
    assert web.get("/tasks/new/pr/deals/", {"deal_q": "нетакого"}).context["options"] == []


def test_pr_is_filed_with_the_deal_chosen(web, manager_msk, head_msk):
    deal = make_deal(manager=manager_msk, last_name="Рассрочкин")
    web.force_login(manager_msk)
    form = web.get(f"/tasks/new/pr/?deal={deal.pk}").content.decode()
    assert f'<option value="{deal.pk}" selected>' in form
    response = web.post(
        "/tasks/new/pr/",
        {
            "topic": "Скидка",
            "pr_kind": "discount",
            "essence": "Просит скидку",
            "facts": "Доход упал",
            "proposal": "Скидка 5%",
            "deal": str(deal.pk),
        },
    )
    assert response.status_code == 302
    assert Task.objects.get(form="pr").deal_id == deal.pk


# --- deal filters, efficiency, a head's home ------------------------------------------------------


def test_deal_filters_are_labelled_in_russian(web, manager_msk):
    web.force_login(manager_msk)
    html = web.get("/deals/").content.decode()
    assert "ДБ · В суде" in html and "ДУ · " in html
    assert "DB:" not in html and "DU:" not in html
    assert '<label class="form-label small mb-0" for="id_stage">Стадия</label>' in html


def test_efficiency_defaults_to_the_whole_current_month(web, head_msk, manager_msk):
    with at(2026, 11, 3, 10, 0):
        task_services.task_create(author=head_msk, responsible=manager_msk, title="Отчёт", deadline=date(2026, 11, 5))
        web.force_login(head_msk)
        response = web.get("/tasks/efficiency/")
    assert (response.context["date_from"], response.context["date_to"]) == (date(2026, 11, 1), date(2026, 11, 30))
    assert [r.employee.pk for r in response.context["rows"]] == [manager_msk.pk]
    assert 'value="2026-11-30"' in response.content.decode()


def test_heads_home_lists_pr_awaiting_their_decision(web, manager_msk, head_msk):
    task_services.pr_create(
        author=manager_msk, topic="Возврат", pr_kind="refund", essence="Суть", facts="Факты", proposal="Вернуть"
    )
    web.force_login(head_msk)
    response = web.get("/")
    html = response.content.decode()
    assert 'data-testid="block-pr-to-decide"' in html
    assert "ПР: Возврат" in html


# --- wording ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "n, word", [(1, "клиент"), (2, "клиента"), (4, "клиента"), (5, "клиентов"), (11, "клиентов"), (21, "клиент"),
                (22, "клиента"), (112, "клиентов"), (0, "клиентов")]
)  # fmt: skip
def test_plural_ru(n, word):
    assert plural_ru(n, "клиент", "клиента", "клиентов") == word


def test_pool_rule_reads_as_russian(msk):
    rule = PoolRule(branch=msk, per_manager=2, every_days=7)
    assert str(rule) == "Москва: по 2 клиента на менеджера раз в 7 дней"
    assert count_ru(1, "день", "дня", "дней") == "1 день"


def test_delegation_notice_names_the_new_responsible_without_a_broken_case(manager_msk, manager2_msk, head_msk):
    task = task_services.task_create(author=head_msk, responsible=manager_msk, title="Звонок")
    task_services.task_delegate(task=task, by=manager_msk, to=manager2_msk)
    text = Notification.objects.get(user=head_msk).text
    assert text == f"Задача «Звонок» передана: {manager_msk.short_name} → {manager2_msk.short_name}"
