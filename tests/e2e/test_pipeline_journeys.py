"""Leads, clients and the ДБ/ДУ deal pipeline, walked through in a real browser.

Each journey is one person's work at the desk: a manager turns a walk-in into
a ДБ deal and drags it along the board, the board refuses a skipped stage,
another branch sees nothing, the call-centre is warned of an existing client
or a non-target contact, the payments table goes to Excel and back, the deal
card moves a deal. Every journey checks the database as well as the page.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import Locator, Page, expect

from clients.models import Client
from crm import services as crm_services
from deals.models import Deal, DealStageCount, Payment
from deals.services import deal_move_to_stage, payment_record
from leads.models import Lead, NonTargetContact
from tests.e2e.helpers import enter_as
from tests.factories import make_client, make_deal

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NEEDS_CONTRACT = "Для стадии «Подготовка к АС» укажите: номер договора, дату договора, стоимость услуг."
ONLY_TO_PREP = "Из стадии «В работе (не заключён)» можно перейти только в «Подготовка к АС»."


def drag(page: Page, card: Locator, column: Locator) -> None:
    """Drag `card` onto `column` the way a hand does: press, move in small steps, release.

    SortableJS follows the browser's native drag events, which Chromium only
    fires for a real sequence of mouse moves.
    """
    card.scroll_into_view_if_needed()
    start, end = card.bounding_box(), column.bounding_box()
    x, y = start["x"] + start["width"] / 2, start["y"] + start["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 10, y + 10, steps=5)
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + 20, steps=20)
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + 30, steps=5)
    page.mouse.up()


def column_count(page: Page, stage: str) -> Locator:
    return page.get_by_test_id(f"column-{stage}").locator("[data-count]")


def column_cards(page: Page, stage: str) -> Locator:
    return page.get_by_test_id(f"column-{stage}").get_by_test_id("deal-card")


def days_ago(n: int):
    return timezone.localdate() - timedelta(days=n)


def contracted_deal(manager, **client_fields) -> Deal:
    deal = make_deal(manager=manager, **client_fields)
    return deal_move_to_stage(
        deal=deal,
        stage="db_prep_court",
        by=manager,
        data={"contract_number": "ДБ-40/2026", "contract_date": days_ago(20), "fee": Decimal("120000")},
    )


def test_manager_turns_a_walk_in_into_a_db_deal_and_drags_it_to_court_preparation(
    page: Page, live_server, manager_msk, page_problems, screenshot
):
    enter_as(page, live_server, "manager.msk")

    # The lead, taken by hand.
    page.get_by_role("link", name="Лиды", exact=True).click()
    page.wait_for_url(f"{live_server.url}/leads/")
    page.get_by_role("link", name="Новое обращение", exact=True).click()
    page.wait_for_url(f"{live_server.url}/leads/new/")
    form = page.get_by_test_id("lead-form")
    form.get_by_label("Телефон", exact=True).fill("+7 916 555-12-34")
    form.get_by_label("Как обращаться", exact=True).fill("Гаврилов Пётр")
    form.get_by_label("Источник", exact=True).select_option(label="Пришёл в офис")
    form.get_by_label("Направление", exact=True).select_option(label="ДБ — банкротство физлиц")
    form.get_by_label("Суть обращения", exact=True).fill("Долги по трём кредитам, хочет списать")
    expect(form.get_by_label("Менеджер", exact=True)).to_have_value(str(manager_msk.pk))
    form.get_by_role("button", name="Сохранить обращение", exact=True).click()

    lead = Lead.objects.get()
    page.wait_for_url(f"{live_server.url}/leads/{lead.pk}/")
    expect(page.get_by_role("alert").filter(has_text="Обращение сохранено.")).to_be_visible()
    expect(page.get_by_test_id("lead-status")).to_have_text("В работе")
    expect(page.get_by_test_id("lead-assignee")).to_have_text("Иванов Сергей Николаевич, Москва")

    # Into a person client and a ДБ deal.
    convert = page.get_by_test_id("convert-form")
    expect(convert.get_by_label("Направление", exact=True)).to_have_value("db")
    expect(convert.get_by_label("Клиент", exact=True)).to_have_value("person")
    expect(convert.get_by_label("Фамилия", exact=True)).to_have_value("Гаврилов")
    convert.get_by_label("Имя", exact=True).fill("Пётр")
    convert.get_by_label("Отчество", exact=True).fill("Ильич")
    convert.get_by_role("button", name="Создать сделку", exact=True).click()

    deal = Deal.objects.get()
    page.wait_for_url(f"{live_server.url}/deals/{deal.pk}/")
    expect(page.get_by_role("alert").filter(has_text="Сделка создана.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Гаврилов Пётр Ильич")
    expect(page.get_by_test_id("stage-bar").locator(".step.current")).to_have_text("В работе (не заключён)")
    lead.refresh_from_db()
    client = Client.objects.get()
    assert (lead.status, lead.deal_id, lead.client_id) == ("converted", deal.pk, client.pk)
    assert (deal.service_line, deal.stage, deal.manager_id, deal.source) == (
        "db",
        "db_in_work",
        manager_msk.pk,
        "walk_in",
    )
    assert (client.kind, client.display_name, client.manager_id) == ("person", "Гаврилов Пётр Ильич", manager_msk.pk)
    assert [p.number_norm for p in client.phones.all()] == ["79165551234"]

    # On the ДБ board, dragged to «Подготовка к АС»: the contract is asked for.
    page.get_by_role("link", name="Доска ДБ", exact=True).click()
    page.wait_for_url(f"{live_server.url}/deals/board/db/")
    card = column_cards(page, "db_in_work").filter(has_text="Гаврилов Пётр Ильич")
    expect(card).to_have_count(1)
    expect(column_count(page, "db_in_work")).to_have_text("1")
    expect(column_count(page, "db_prep_court")).to_have_text("0")
    with page.expect_response(f"**/deals/{deal.pk}/move/") as answer:
        drag(page, card, page.get_by_test_id("column-db_prep_court").locator(".board-cards"))
    assert answer.value.status == 422

    modal = page.locator("#move-modal")
    expect(modal).to_be_visible()
    expect(modal.get_by_role("heading")).to_have_text("Гаврилов Пётр Ильич → «Подготовка к АС»")
    expect(modal.get_by_text(NEEDS_CONTRACT)).to_be_visible()
    contract_date = days_ago(3)
    modal.get_by_label("Номер договора", exact=True).fill("ДБ-51/2026")
    modal.get_by_label("Дата договора", exact=True).fill(contract_date.isoformat())
    modal.get_by_label("Стоимость услуг, ₽", exact=True).fill("150000")
    expect(modal).to_have_css("opacity", "1")  # faded in, for the picture
    screenshot(page, "board-move-asks-for-contract")
    with page.expect_response(f"**/deals/{deal.pk}/move/") as answer:
        modal.get_by_role("button", name="Перенести", exact=True).click()
    assert answer.value.status == 200

    expect(modal).to_be_hidden()
    expect(column_cards(page, "db_prep_court").filter(has_text="Гаврилов Пётр Ильич")).to_have_count(1)
    expect(column_cards(page, "db_in_work")).to_have_count(0)
    expect(column_count(page, "db_in_work")).to_have_text("0")
    expect(column_count(page, "db_prep_court")).to_have_text("1")
    deal.refresh_from_db()
    assert (deal.stage, deal.contract_number, deal.contract_date, deal.fee) == (
        "db_prep_court",
        "ДБ-51/2026",
        contract_date,
        Decimal("150000.00"),
    )
    assert dict(DealStageCount.objects.filter(manager=manager_msk).values_list("stage", "count")) == {
        "db_in_work": 0,
        "db_prep_court": 1,
    }
    screenshot(page, "board-after-move")

    # A fresh board agrees with what the page showed.
    page.reload()
    expect(column_cards(page, "db_prep_court").filter(has_text="Гаврилов Пётр Ильич")).to_have_count(1)
    expect(column_count(page, "db_prep_court")).to_have_text("1")
    assert page_problems == [f"422 {live_server.url}/deals/{deal.pk}/move/"]


def test_board_refuses_to_skip_a_stage_and_puts_the_card_back(
    page: Page, live_server, manager_msk, page_problems, screenshot
):
    deal = make_deal(manager=manager_msk, last_name="Белова", first_name="Ольга", patronymic="Сергеевна")
    enter_as(page, live_server, "manager.msk")
    page.goto("/deals/board/db/")
    card = column_cards(page, "db_in_work").filter(has_text="Белова Ольга Сергеевна")
    expect(card).to_have_count(1)
    alert = page.get_by_test_id("move-alert")
    expect(alert).to_be_hidden()

    with page.expect_response(f"**/deals/{deal.pk}/move/") as answer:
        drag(page, card, page.get_by_test_id("column-db_in_court").locator(".board-cards"))
    assert answer.value.status == 409

    expect(alert).to_be_visible()
    expect(alert).to_have_text(ONLY_TO_PREP)
    expect(page.locator("#move-modal")).to_be_hidden()
    expect(column_cards(page, "db_in_work").filter(has_text="Белова Ольга Сергеевна")).to_have_count(1)
    expect(column_cards(page, "db_in_court")).to_have_count(0)
    expect(column_count(page, "db_in_work")).to_have_text("1")
    expect(column_count(page, "db_in_court")).to_have_text("0")
    deal.refresh_from_db()
    assert (deal.stage, deal.court, deal.case_number, deal.filing_date) == ("db_in_work", "", "", None)
    assert dict(DealStageCount.objects.filter(manager=manager_msk).values_list("stage", "count")) == {"db_in_work": 1}
    assert page_problems == [f"409 {live_server.url}/deals/{deal.pk}/move/"]
    screenshot(page, "board-skip-refused")


def test_other_branch_manager_can_neither_see_nor_move_the_deal(
    page: Page, live_server, manager_msk, manager_spb, page_problems
):
    deal = make_deal(manager=manager_msk, last_name="Тихонов", first_name="Глеб", patronymic="Романович")
    enter_as(page, live_server, "manager.spb")

    response = page.goto(f"/deals/{deal.pk}/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Не найдено", exact=True)).to_be_visible()
    expect(page.get_by_text("Тихонов")).to_have_count(0)

    page.goto("/deals/board/db/")
    expect(page.get_by_test_id("column-db_in_work")).to_be_visible()
    expect(page.get_by_test_id("deal-card")).to_have_count(0)
    expect(page.locator("[data-count]")).to_have_text(["0", "0", "0", "0", "0"])

    move = {"stage": "db_prep_court", "contract_number": "ДБ-9/2026", "contract_date": str(days_ago(1)), "fee": "90000"}
    spb_token = crm_services.api_token_issue(user=manager_spb, ip=None).key
    refused = page.request.post(
        f"/api/v1/deals/{deal.pk}/move/", data=move, headers={"Authorization": f"Token {spb_token}"}
    )
    assert refused.status == 404
    deal.refresh_from_db()
    assert (deal.stage, deal.contract_number, deal.fee) == ("db_in_work", "", None)
    assert page_problems == [f"404 {live_server.url}/deals/{deal.pk}/"]

    # The very same request from the deal's own manager goes through: the 404 was the access rule.
    own_token = crm_services.api_token_issue(user=manager_msk, ip=None).key
    moved = page.request.post(
        f"/api/v1/deals/{deal.pk}/move/", data=move, headers={"Authorization": f"Token {own_token}"}
    )
    assert moved.status == 200
    assert moved.json()["stage"] == "db_prep_court"


def test_call_centre_is_offered_the_existing_client_instead_of_a_duplicate(
    page: Page, live_server, manager_msk, call_centre, page_problems, screenshot
):
    client = make_client(
        manager=manager_msk, last_name="Соловьёва", first_name="Мария", patronymic="Андреевна", phones=["+79161234567"]
    )
    enter_as(page, live_server, "callcenter")
    page.get_by_role("link", name="Новое обращение", exact=True).click()
    page.wait_for_url(f"{live_server.url}/leads/new/")
    form = page.get_by_test_id("lead-form")

    form.get_by_label("Телефон", exact=True).fill("8 (916) 123-45-67")

    found = page.get_by_test_id("lookup-clients")
    expect(found.locator(".card-header")).to_have_text("Это существующий клиент")
    expect(found.locator(".list-group-item")).to_have_count(1)
    expect(found).to_contain_text("Соловьёва Мария Андреевна")
    expect(found).to_contain_text("Менеджер: Иванов Сергей Николаевич, Москва")
    expect(found).to_contain_text("Новое обращение будет привязано к этому клиенту — дубликат не создаётся.")
    # The call-centre sees who the client is, not the case file.
    expect(found.get_by_role("link", name="Открыть карточку")).to_have_count(0)
    screenshot(page, "intake-existing-client")

    form.get_by_label("Как обращаться", exact=True).fill("Мария")
    form.get_by_label("Суть обращения", exact=True).fill("Пришло письмо от пристава")
    form.get_by_label("Менеджер", exact=True).select_option(label="Иванов Сергей Николаевич (Москва)")
    form.get_by_role("button", name="Сохранить обращение", exact=True).click()

    lead = Lead.objects.get()
    page.wait_for_url(f"{live_server.url}/leads/{lead.pk}/")
    expect(page.get_by_role("alert").filter(has_text="Обращение сохранено.")).to_be_visible()
    expect(page.get_by_text("Соловьёва Мария Андреевна (найден по телефону)")).to_be_visible()
    assert list(Client.objects.values_list("pk", flat=True)) == [client.pk]
    assert (lead.client_id, lead.assigned_to_id, lead.phone_norm) == (client.pk, manager_msk.pk, "79161234567")
    assert page_problems == []


def test_later_lead_from_a_non_target_contact_goes_to_the_office_manager(
    page: Page, live_server, manager_msk, call_centre, office_manager, page_problems, screenshot
):
    from leads.services import lead_create

    first, _ = lead_create(
        by=manager_msk, source="site", phone="+7 903 111-22-33", name="Рекламщик", assigned_to=manager_msk
    )
    enter_as(page, live_server, "manager.msk")
    page.goto(f"/leads/{first.pk}/")
    marking = page.get_by_test_id("non-target-form")
    marking.get_by_label("Почему нецелевой", exact=True).fill("Предлагает рекламу, не клиент")
    marking.get_by_role("button", name="Отметить нецелевым", exact=True).click()

    expect(page.get_by_role("alert").filter(has_text="Отмечено как нецелевое")).to_be_visible()
    expect(page.get_by_test_id("lead-status")).to_have_text("Нецелевой")
    expect(page.get_by_test_id("convert-form")).to_have_count(0)
    assert list(NonTargetContact.objects.values_list("kind", "value", "reason", "marked_by")) == [
        ("phone", "79031112233", "Предлагает рекламу, не клиент", manager_msk.pk)
    ]

    # A week later the same number calls the call-centre, who would give it to the manager.
    enter_as(page, live_server, "callcenter")
    page.get_by_role("link", name="Новое обращение", exact=True).click()
    page.wait_for_url(f"{live_server.url}/leads/new/")
    form = page.get_by_test_id("lead-form")
    form.get_by_label("Телефон", exact=True).fill("+7 (903) 111-22-33")
    expect(page.get_by_test_id("lookup-non-target")).to_have_text(
        "Контакт отмечен как нецелевой (Предлагает рекламу, не клиент): обращение уйдёт офис-менеджеру."
    )
    form.get_by_label("Суть обращения", exact=True).fill("Снова про рекламу")
    form.get_by_label("Менеджер", exact=True).select_option(label="Иванов Сергей Николаевич (Москва)")
    form.get_by_role("button", name="Сохранить обращение", exact=True).click()

    second = Lead.objects.exclude(pk=first.pk).get()
    page.wait_for_url(f"{live_server.url}/leads/{second.pk}/")
    expect(page.get_by_role("alert").filter(has_text="обращение передано офис-менеджеру")).to_have_text(
        "Контакт отмечен как нецелевой: обращение передано офис-менеджеру."
    )
    expect(page.get_by_test_id("routed-office")).to_have_text("у офис-менеджера")
    expect(page.get_by_test_id("lead-assignee")).to_have_text("Лебедева Татьяна Юрьевна")
    assert (second.routed_to_office, second.assigned_to_id, second.status) == (True, office_manager.pk, "in_work")

    # The office manager finds it in her queue.
    enter_as(page, live_server, "office")
    page.get_by_role("link", name="Нецелевые", exact=True).click()
    page.wait_for_url(f"{live_server.url}/leads/office/")
    queue = page.get_by_test_id("office-queue")
    expect(queue.locator("tbody tr")).to_have_count(1)
    expect(queue.locator("tbody tr td").first).to_have_text(str(second.pk))
    expect(queue.locator("tbody tr")).to_contain_text("+7 903 111-22-33")  # phones shown formatted
    expect(queue.locator("tbody tr")).to_contain_text("Снова про рекламу")
    expect(page.get_by_text("Предлагает рекламу, не клиент")).to_be_visible()  # the marked contact, listed
    screenshot(page, "office-non-target-queue")

    # The manager never sees it.
    enter_as(page, live_server, "manager.msk")
    page.goto("/leads/")
    expect(page.get_by_test_id("lead-table").locator("tbody tr td:first-child")).to_have_text([str(first.pk)])
    assert page.goto(f"/leads/{second.pk}/").status == 404
    assert page_problems == [f"404 {live_server.url}/leads/{second.pk}/"]

    # The office manager answers it and closes it without a deal, saying why.
    enter_as(page, live_server, "office")
    page.goto("/leads/office/")
    row = page.get_by_test_id("office-queue").locator("tbody tr").first
    row.get_by_label("Почему обращение закрыто без сделки").fill("Рекламное агентство, отказали")
    row.get_by_role("button", name="Закрыть", exact=True).click()
    expect(page.get_by_role("alert").filter(has_text=f"Обращение №{second.pk} закрыто без сделки.")).to_be_visible()
    expect(page.get_by_test_id("office-queue")).to_contain_text("Очередь пуста.")
    second.refresh_from_db()
    assert (second.status, second.close_reason) == ("closed", "Рекламное агентство, отказали")
    screenshot(page, "office-lead-closed")


def test_payments_table_goes_to_excel_and_back(
    page: Page, live_server, manager_msk, tmp_path, page_problems, screenshot
):
    deal = contracted_deal(manager_msk, last_name="Крылова", first_name="Нина", patronymic="Павловна")
    first = payment_record(
        deal=deal, by=manager_msk, paid_on=days_ago(10), amount=Decimal("30000"), method="cash", comment="аванс"
    )
    enter_as(page, live_server, "manager.msk")
    page.get_by_role("link", name="Платежи", exact=True).click()
    page.wait_for_url(f"{live_server.url}/payments/")  # the register; the Excel table is one click away
    page.get_by_test_id("register-table-link").click()
    page.wait_for_url(f"{live_server.url}/deals/payments/")
    expect(page.get_by_role("heading", name="Таблица платежей", exact=True)).to_be_visible()

    def download() -> str:
        with page.expect_download() as info:
            page.get_by_test_id("download").click()
        assert info.value.suggested_filename == "payments.xlsx"
        path = tmp_path / f"download-{len(list(tmp_path.iterdir()))}.xlsx"
        info.value.save_as(path)
        return str(path)

    def upload(path: str) -> int:
        """Send the file through the import form; the status the POST was answered with."""
        page.get_by_label("Файл", exact=True).set_input_files(path)
        with page.expect_response(lambda r: r.request.method == "POST") as answer:
            page.get_by_role("button", name="Загрузить", exact=True).click()
        page.wait_for_load_state()
        return answer.value.status

    exported = download()
    wb = load_workbook(exported)
    ws = wb.active
    assert [c.value for c in ws[1]][:10] == [
        "№ платежа",
        "№ сделки",
        "Клиент",
        "Направление",
        "№ договора",
        "Дата договора",
        "Стоимость, ₽",
        "Дата платежа",
        "Сумма, ₽",
        "Способ",
    ]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    assert len(rows) == 1
    assert rows[0][:3] == [first.pk, deal.pk, "Крылова Нина Павловна"]
    assert (rows[0][7].date(), rows[0][8], rows[0][9]) == (days_ago(10), 30000, "Наличные")

    # A new payment as the firm writes it: a row without a payment number.
    second_on = days_ago(2)
    ws.append(
        [None, deal.pk, "Крылова Нина Павловна", "ДБ", None, None, None, second_on, 45000, "Перевод", "вторая часть"]
    )
    edited = str(tmp_path / "with-new-payment.xlsx")
    wb.save(edited)
    assert upload(edited) == 302  # saved, then back to the page

    expect(page).to_have_url(f"{live_server.url}/deals/payments/")
    expect(page.get_by_role("alert").filter(has_text="Загружено")).to_have_text(
        "Загружено новых платежей: 1, без изменений: 1."
    )
    expect(page.get_by_test_id("import-errors")).to_have_count(0)
    assert list(deal.payments.order_by("id").values_list("paid_on", "amount", "method", "comment", "recorded_by")) == [
        (days_ago(10), Decimal("30000.00"), "cash", "аванс", manager_msk.pk),
        (second_on, Decimal("45000.00"), "transfer", "вторая часть", manager_msk.pk),
    ]

    # A file with one bad row among good ones: nothing is saved, the row is named.
    wb = load_workbook(download())
    ws = wb.active
    assert ws.max_row == 3  # the header and both payments
    ws.append([None, deal.pk, None, None, None, None, None, days_ago(1), 5000, "Карта", "хорошая строка"])
    ws.append([None, deal.pk, None, None, None, None, None, days_ago(1), "пять тысяч", "Карта", "плохая строка"])
    broken = str(tmp_path / "with-bad-row.xlsx")
    wb.save(broken)
    assert upload(broken) == 400

    errors = page.get_by_test_id("import-errors")
    expect(errors.locator("strong")).to_have_text("Файл не загружен: ошибок 1. Ни одна строка не сохранена.")
    expect(errors.locator("li")).to_have_text(
        ["Строка 5, столбец «Сумма, ₽»: нужно число, например 15000 или 15000,50"]
    )
    assert Payment.objects.count() == 2
    # The two downloads (navigations Chromium reports as aborted) are no page problem; the refused file is.
    assert page_problems == [f"400 {live_server.url}/deals/payments/"]
    screenshot(page, "payments-import-error")


def test_deal_card_stage_bar_moves_the_deal_once_the_contract_is_given(
    page: Page, live_server, manager_msk, page_problems, screenshot
):
    deal = make_deal(manager=manager_msk, last_name="Зайцев", first_name="Кирилл", patronymic="Олегович")
    enter_as(page, live_server, "manager.msk")
    page.goto(f"/deals/{deal.pk}/")
    steps = page.get_by_test_id("stage-bar").locator(".step")
    expect(steps).to_have_text(
        ["В работе (не заключён)", "Подготовка к АС", "В суде", "Архив (завершён)", "Расторжение"]
    )
    expect(page.get_by_test_id("stage-bar").locator(".step.current")).to_have_text("В работе (не заключён)")
    expect(page.get_by_role("button", name="→ В суде")).to_have_count(0)

    page.get_by_role("button", name="→ Подготовка к АС", exact=True).click()
    modal = page.locator("#move-modal")
    expect(modal).to_be_visible()
    expect(modal.get_by_role("heading")).to_have_text("Зайцев Кирилл Олегович → «Подготовка к АС»")

    # Only the number: the stage still needs the date and the fee, and says so in the modal.
    modal.get_by_label("Номер договора", exact=True).fill("ДБ-77/2026")
    modal.get_by_role("button", name="Перенести", exact=True).click()
    expect(modal.get_by_text("Для стадии «Подготовка к АС» укажите: дату договора, стоимость услуг.")).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}/deals/{deal.pk}/")
    deal.refresh_from_db()
    assert (deal.stage, deal.contract_number) == ("db_in_work", "")

    contract_date = days_ago(1)
    expect(modal.get_by_label("Номер договора", exact=True)).to_have_value("ДБ-77/2026")
    modal.get_by_label("Дата договора", exact=True).fill(contract_date.isoformat())
    modal.get_by_label("Стоимость услуг, ₽", exact=True).fill("98000")
    expect(modal).to_have_css("opacity", "1")
    screenshot(page, "card-move-modal")
    modal.get_by_role("button", name="Перенести", exact=True).click()

    expect(page.get_by_test_id("stage-bar").locator(".step.current")).to_have_text("Подготовка к АС")
    expect(modal).to_be_hidden()
    expect(page.get_by_text(f"№ ДБ-77/2026 от {contract_date:%d.%m.%Y}")).to_be_visible()
    expect(page.get_by_test_id("timeline")).to_contain_text("Стадия: «В работе (не заключён)» → «Подготовка к АС»")
    expect(page.get_by_role("button", name="→ В суде", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="→ Расторжение", exact=True)).to_be_visible()
    deal.refresh_from_db()
    assert (deal.stage, deal.contract_number, deal.contract_date, deal.fee) == (
        "db_prep_court",
        "ДБ-77/2026",
        contract_date,
        Decimal("98000.00"),
    )
    assert page_problems == [f"422 {live_server.url}/deals/{deal.pk}/move/"]
    screenshot(page, "card-after-move")
