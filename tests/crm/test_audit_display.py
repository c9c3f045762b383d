"""The audit log reads in plain Russian: one line per field, values as the pages show them."""

from django.urls import reverse

from crm.audit_display import change_lines, object_label
from crm.models import AuditEntry
from crm.services import audit_record
from deals.services import deal_move_to_stage
from tests.factories import contract_data, make_client, make_deal


def lines(target_type, action, changes) -> list[str]:
    return [str(line) for line in change_lines(target_type, action, changes)]


def test_object_names_come_from_the_models():
    assert [object_label(t) for t in ("deals.deal", "clients.client", "tasks.task", "crm.user", "x.y", "x")] == [
        "Сделка",
        "Клиент",
        "Задача",
        "Сотрудник",
        "x.y",
        "x",
    ]


def test_update_pairs_read_as_old_to_new_with_labels_money_dates_and_masks():
    changes = {
        "stage": ["db_in_work", "db_prep_court"],
        "fee": [None, "150000.00"],
        "contract_date": [None, "2026-11-02"],
        "total_debt": ["••••00", "•••••000"],
        "deposit_paid": [False, True],
    }
    assert lines("deals.deal", "update", changes) == [
        "Стадия: В работе (не заключён) → Подготовка к АС",
        "Стоимость услуг: — → 150 000,00 ₽",
        "Дата договора: — → 02.11.2026",
        "Общая сумма долга: ••••00 → •••••000",
        "Депозит ФУ внесён: нет → да",
    ]


def test_creation_values_read_whole_never_letter_by_letter():
    assert lines("clients.client", "create", {"display_name": "Уваров Иван"}) == ["Клиент: Уваров Иван"]
    assert lines("crm.outboxjob", "update", {"status": ["failed", "pending"]}) == [
        "Состояние: Ошибка (нужен администратор) → Ждёт"
    ]
    assert lines("clients.client", "update", {"status": "lost", "reason": "Уехал"}) == [
        "Статус: Потерян окончательно",
        "Причина: Уехал",
    ]
    assert lines("crm.user", "create", {"role": "manager", "is_active": True, "email": ""}) == [
        "Роль: Менеджер по продажам",
        "Работает: да",
        "E-mail: —",
    ]


def test_lists_datetimes_and_keys_that_are_not_model_fields():
    assert lines("clients.client", "update", {"phones": [["+79160000001"], ["+79160000002", "+79160000003"]]}) == [
        "Телефоны: +79160000001 → +79160000002, +79160000003"
    ]
    assert lines("deals.deal", "update", {"schedule": [["2026-12-10", "5000.00"], ["2027-01-10", "5000.00"]]}) == [
        "График платежей: 10.12.2026 — 5 000,00 ₽; 10.01.2027 — 5 000,00 ₽"
    ]
    assert lines("activities.activity", "update", {"planned_at": "2026-11-25T07:00:00+00:00"}) == [
        "Когда: 25.11.2026 10:00"  # Moscow time, as on the calendar
    ]
    assert lines("deals.payment", "create", {"deal": 5, "amount": "25000", "paid_on": "2026-04-01"}) == [
        "Сделка: № 5",
        "Сумма: 25 000,00 ₽",
        "Дата: 01.04.2026",
    ]
    assert lines("tasks.task", "update", {"decision": "approve", "deadline": ["2026-11-02", "2026-11-05"]}) == [
        "Решение: одобрено",
        "Срок: 02.11.2026 → 05.11.2026",
    ]
    assert lines("clients.client", "view_pd", {"field": "passport"}) == ["Просмотрено: Паспорт"]
    assert lines("deals.deal", "view_pd", {"field": "debts"}) == ["Просмотрено: Долги (кредиторы)"]
    assert lines("x", "update", {"foo": [1, 2], "bar": None}) == ["foo: 1 → 2", "bar: —"]
    assert lines("x", "create", {}) == []


def test_audit_page_reads_in_russian(web, director, manager_msk):
    deal = make_deal(manager=manager_msk)
    deal_move_to_stage(deal=deal, stage="db_prep_court", by=manager_msk, data=contract_data())
    make_client(manager=manager_msk, last_name="Уваров", phones=["+79160000077"])
    web.force_login(director)
    page = web.get(reverse("crm:audit_list")).content.decode()
    assert "Стадия</strong>: В работе (не заключён) → Подготовка к АС" in page
    assert "Стоимость услуг</strong>: — → 120 000,00 ₽" in page
    assert "Клиент</strong>: Уваров Иван Петрович" in page
    assert "У → в → а" not in page and "d → b" not in page
    assert '<span class="text-muted small" title="deals.deal">Сделка</span>' in page


def test_audit_page_query_count_does_not_depend_on_shapes(web, director, django_assert_num_queries):
    for i in range(5):
        audit_record(actor=director, action=AuditEntry.Action.UPDATE, target_type="deals.deal", changes={"fee": [i, 1]})
    web.force_login(director)
    with django_assert_num_queries(4):
        web.get(reverse("crm:audit_list"))
