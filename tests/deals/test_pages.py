from datetime import date

from django.urls import reverse

from crm.models import AuditEntry
from deals.models import Deal
from deals.services import deal_move_to_stage
from tests.factories import contract_data, make_client, make_deal


def move(web, deal, stage, **fields):
    return web.post(reverse("deals:move", args=[deal.pk]), {"stage": stage, **fields}, headers={"HX-Request": "true"})


def test_board_shows_columns_counts_and_cards(web, manager_msk):
    for n in range(3):
        make_deal(manager=manager_msk, last_name=f"Клиент{n}", phones=[f"+7916000000{n}"])
    web.force_login(manager_msk)
    response = web.get(reverse("deals:board", args=["db"]))
    columns = response.context["columns"]
    assert [(c.stage, c.count, len(c.deals)) for c in columns] == [
        ("db_in_work", 3, 3),
        ("db_prep_court", 0, 0),
        ("db_in_court", 0, 0),
        ("db_archive", 0, 0),
        ("db_terminated", 0, 0),
    ]
    assert "Клиент2 Иван Петрович" in response.content.decode()


def test_board_query_count_does_not_grow(web, manager_msk, query_count):
    web.force_login(manager_msk)
    make_deal(manager=manager_msk)
    web.get(reverse("deals:board", args=["db"]))
    with query_count(10):  # session, user, menu counters, stage counters, 5 columns, overdue flags
        web.get(reverse("deals:board", args=["db"]))
    for n in range(10):
        make_deal(manager=manager_msk, last_name=f"К{n}", phones=[f"+7916100000{n}"])
    with query_count(10):
        web.get(reverse("deals:board", args=["db"]))


def test_column_paging(web, manager_msk):
    for n in range(23):
        make_deal(manager=manager_msk, last_name=f"К{n:02}", phones=[f"+79162000{n:03}"])
    web.force_login(manager_msk)
    first = web.get(reverse("deals:board", args=["db"])).context["columns"][0]
    assert (first.count, len(first.deals)) == (23, 20)
    more = web.get(reverse("deals:board_column", args=["db", "db_in_work"]), {"cursor": first.next_cursor})
    assert len(more.context["deals"]) == 3
    assert {d.pk for d in more.context["deals"]}.isdisjoint({d.pk for d in first.deals})


def test_move_without_fields_answers_422_with_the_form(web, manager_msk):
    deal = make_deal(manager=manager_msk)
    web.force_login(manager_msk)
    response = move(web, deal, "db_prep_court")
    assert response.status_code == 422
    body = response.content.decode()
    assert "Для стадии «Подготовка к АС» укажите: номер договора, дату договора, стоимость услуг." in body
    assert Deal.objects.get(pk=deal.pk).stage == "db_in_work"


def test_move_with_fields_answers_the_card(web, manager_msk):
    deal = make_deal(manager=manager_msk)
    web.force_login(manager_msk)
    response = move(web, deal, "db_prep_court", contract_number="7", contract_date="2026-11-02", fee="90000")
    assert response.status_code == 200
    assert f'data-deal-id="{deal.pk}"' in response.content.decode()
    assert Deal.objects.get(pk=deal.pk).stage == "db_prep_court"


def test_skip_answers_409_with_reason(web, manager_msk):
    deal = make_deal(manager=manager_msk)
    web.force_login(manager_msk)
    response = move(web, deal, "db_archive")
    assert response.status_code == 409
    assert response.content.decode() == "Из стадии «В работе (не заключён)» можно перейти только в «Подготовка к АС»."


def test_other_branch_cannot_see_or_move(web, manager_msk, manager_spb):
    deal = make_deal(manager=manager_msk)
    web.force_login(manager_spb)
    assert web.get(reverse("deals:detail", args=[deal.pk])).status_code == 404
    assert move(web, deal, "db_prep_court", **{k: str(v) for k, v in contract_data().items()}).status_code == 404
    assert Deal.objects.get(pk=deal.pk).stage == "db_in_work"
    board = web.get(reverse("deals:board", args=["db"])).context["columns"]
    assert sum(c.count for c in board) == 0


def test_card_page_and_query_count(web, manager_msk, query_count):
    deal = make_deal(manager=manager_msk)
    deal_move_to_stage(deal=deal, stage="db_prep_court", by=manager_msk, data=contract_data())
    web.force_login(manager_msk)
    web.get(reverse("deals:detail", args=[deal.pk]))
    # session, user, menu counters, deal+client+manager+branch, 4 prefetches, timeline, open tasks, planned activities,
    # incoming documents and who may answer them, the documents made from templates (integrations)
    with query_count(14):
        response = web.get(reverse("deals:detail", args=[deal.pk]))
    body = response.content.decode()
    assert "№ ДБ-17/2026 от 02.11.2026" in body
    assert "Стадия: «В работе (не заключён)» → «Подготовка к АС»" in body


def test_payment_form_error_is_russian_and_saves_nothing(web, manager_msk):
    deal = make_deal(manager=manager_msk)
    deal_move_to_stage(deal=deal, stage="db_prep_court", by=manager_msk, data=contract_data())
    web.force_login(manager_msk)
    response = web.post(
        reverse("deals:payment_add", args=[deal.pk]), {"paid_on": "2099-01-01", "amount": "100", "method": "cash"}
    )
    assert response.status_code == 400
    assert "Дата платежа не может быть в будущем." in response.content.decode()
    assert deal.payments.count() == 0


def test_list_filters_and_search(web, director, manager_msk, manager_spb):
    a = make_deal(manager=manager_msk, last_name="Смирнова", phones=["+79161112233"])
    b = make_deal(manager=manager_spb, last_name="Кузьмин", phones=["+79164445566"], service_line="du")
    web.force_login(director)
    url = reverse("deals:list")

    def ids(**params):
        return [d.pk for d in web.get(url, params).context["rows"]]

    assert ids() == [b.pk, a.pk]
    assert ids(q="смирн") == [a.pk]
    assert ids(q="8 916 444-55-66") == [b.pk]
    assert ids(service_line="du") == [b.pk]
    assert ids(branch=manager_msk.branch_id) == [a.pk]


def test_list_search_by_case_number(web, manager_msk):
    deal = make_deal(manager=manager_msk)
    deal_move_to_stage(deal=deal, stage="db_prep_court", by=manager_msk, data=contract_data())
    deal_move_to_stage(
        deal=deal,
        stage="db_in_court",
        by=manager_msk,
        data={"court": "АС г. Москвы", "case_number": "А40-555/2026", "filing_date": date(2026, 11, 10)},
    )
    web.force_login(manager_msk)
    assert [d.pk for d in web.get(reverse("deals:list"), {"q": "А40-555"}).context["rows"]] == [deal.pk]


def test_list_query_count_is_pinned(web, director, manager_msk, query_count):
    for n in range(5):
        make_deal(manager=manager_msk, last_name=f"К{n}", phones=[f"+7916300000{n}"])
    web.force_login(director)
    web.get(reverse("deals:list"))
    with query_count(7):  # session, user, menu counters, branches, managers, page, overdue flags
        web.get(reverse("deals:list"))


def test_client_card_masks_personal_data_and_logs_reveal(web, manager_msk):
    client = make_client(manager=manager_msk, passport="4510 123456", snils="112-233-445 95")
    web.force_login(manager_msk)
    body = web.get(reverse("clients:client_detail", args=[client.pk])).content.decode()
    assert "4510 123456" not in body
    assert "•••• ••••56" in body
    response = web.post(reverse("clients:client_reveal", args=[client.pk, "passport"]))
    assert "4510 123456" in response.content.decode()
    assert AuditEntry.objects.filter(action="view_pd", actor=manager_msk, target_id=str(client.pk)).count() == 1


def test_reveal_refused_to_outsider_and_not_logged(web, manager_msk, manager_spb):
    client = make_client(manager=manager_msk, passport="4510 123456")
    web.force_login(manager_spb)
    assert web.post(reverse("clients:client_reveal", args=[client.pk, "passport"])).status_code == 404
    assert not AuditEntry.objects.filter(action="view_pd").exists()


def test_name_search_follows_a_renamed_client(web, manager_msk):
    from clients.services import client_update

    deal = make_deal(manager=manager_msk, last_name="Старов")
    client_update(client=deal.client, by=manager_msk, data={"last_name": "Новиков"}, phones=["+7 916 765-43-21"])
    web.force_login(manager_msk)
    for q in ("новиков иван", "79167654321"):
        assert [d.pk for d in web.get(f"/deals/?q={q}").context["rows"]] == [deal.pk], q
    assert web.get("/deals/?q=старов").context["rows"] == []


def test_card_shows_the_deals_open_tasks_and_planned_activities(web, manager_msk, head_msk):
    from datetime import timedelta

    from django.utils import timezone

    from activities.services import activity_plan
    from tasks.services import task_create

    deal = make_deal(manager=manager_msk)
    task = task_create(author=head_msk, responsible=manager_msk, title="Выставить счёт", deal=deal)
    call = activity_plan(by=manager_msk, kind="call", planned_at=timezone.now() + timedelta(days=1), client=deal.client)
    web.force_login(manager_msk)
    card = web.get(f"/deals/{deal.pk}/")
    assert [t.pk for t in card.context["deal_tasks"]] == [task.pk]
    assert [a.pk for a in card.context["deal_activities"]] == [call.pk]
    form = web.get(f"/tasks/new/?deal={deal.pk}").context["form"]
    assert form["deal"].value() == str(deal.pk)


def test_fast_select_marks_the_choice_and_escapes():
    from crm.forms_util import FastSelect

    widget = FastSelect(attrs={"class": "form-select"}, choices=[("", "Все"), (7, 'Иванов <"И">')])
    html = widget.render("manager", 7)
    assert html == (
        '<select name="manager" class="form-select"><option value="">Все</option>'
        '<option value="7" selected>Иванов &lt;&quot;И&quot;&gt;</option></select>'
    )
