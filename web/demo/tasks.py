"""Demo tasks: every form (ПР, РЗ, Отчёт, ordinary) in every state, and the firm's stage automation.

Idempotent: skipped when the demo ПР already exist. Back-dated rows (an
overdue task, one silent for days) are made by moving the clocks of freshly
created tasks, since the services refuse deadlines in the past.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from crm.models import User
from crm.workdays import add_working_days
from deals.models import Deal, StageAutomation
from tasks import services
from tasks.models import ReportSchedule, Task

AUTOMATION = [
    ("db_prep_court", "Выставить счёт", "Счёт на первый платёж по графику договора.", "manager", 1),
    (
        "db_prep_court",
        "Собрать документы по списку",
        "Паспорт, СНИЛС, ИНН, справки о долгах и доходах, выписки по счетам, опись имущества.",
        "manager",
        3,
    ),
    ("db_in_court", "Проверить карточку дела в суде", "Номер дела, судья, дата первого заседания.", "lawyer", 2),
    ("du_contracted", "Выставить счёт", "Счёт по договору ДУ.", "manager", 1),
]


@transaction.atomic
def seed_stage_automation() -> list[str]:
    if StageAutomation.objects.exists():
        return []
    StageAutomation.objects.bulk_create(
        [
            StageAutomation(stage=stage, title=title, body=body, assignee=who, deadline_working_days=days)
            for stage, title, body, who, days in AUTOMATION
        ]
    )
    return [f"автозадачи стадий: {len(AUTOMATION)}"]


def _backdate(task: Task, *, days: int, deadline_days_ago: int | None = None) -> None:
    now = timezone.now()
    fields = {"created_at": now - timedelta(days=days), "assigned_at": now - timedelta(days=days)}
    if deadline_days_ago is not None:
        fields["deadline"] = timezone.localdate() - timedelta(days=deadline_days_ago)
    Task.objects.filter(pk=task.pk).update(**fields)
    task.refresh_from_db()


def _pr(author, topic, kind, essence, facts, proposal, deal=None):
    return services.pr_create(
        author=author, topic=topic, pr_kind=kind, essence=essence, facts=facts, proposal=proposal, deal=deal
    )


@transaction.atomic
def seed_tasks() -> list[str]:
    if Task.objects.filter(form=Task.Form.PR).exists():
        return []
    u = {x.username: x for x in User.objects.filter(is_active=True)}
    needed = {"director", "rop.msk", "manager.msk", "manager2.msk", "lawyer.msk", "callcenter"}
    if not needed <= set(u):
        return []
    manager, manager2, head = u["manager.msk"], u["manager2.msk"], u["rop.msk"]
    deal = Deal.objects.filter(manager=manager, stage="db_in_work").first()

    # ПР in each state.
    _pr(manager, "Рассрочка первого платежа", "discount", "Клиент просит рассрочку на 6 месяцев",
        "Доход 45 000 ₽, долг 1,3 млн ₽, двое детей", "Разбить первый платёж на три", deal)  # fmt: skip
    up = _pr(manager, "Возврат части оплаты", "refund", "Клиент расторгает договор ДУ",
             "Оплачено 40 000 ₽, выполнена консультация и претензия", "Вернуть 20 000 ₽")  # fmt: skip
    services.task_decide(task=up, by=head, decision="escalate", text="Возврат выше моих полномочий")
    ok = _pr(manager2, "Скидка 10% пенсионеру", "discount", "Пенсионер просит скидку",
             "Пенсия 22 000 ₽, долги 700 000 ₽", "Скидка 10% при оплате сразу")  # fmt: skip
    services.task_decide(task=ok, by=head, decision="approve", text="Согласовано, скидка 10%")
    no = _pr(manager2, "Бесплатная консультация родственнику", "exception", "Брат клиента просит консультацию",
             "Клиент на стадии суда, платит по графику", "Провести бесплатно")  # fmt: skip
    services.task_decide(task=no, by=head, decision="reject", text="Консультации платные, можно скидку 50%")
    info = _pr(manager, "Перенос платежа", "discount", "Клиент просит перенести платёж на месяц",
               "Задержали зарплату", "Перенести без пени")  # fmt: skip
    services.task_decide(task=info, by=head, decision="needs_info", text="Приложите справку с работы о задержке")

    # РЗ and ordinary tasks in each state.
    def rz(author, responsible, title, body, result, **kw):
        return services.rz_create(
            author=author, responsible=responsible, title=title, body=body, wanted_result=result, **kw
        )

    rz(head, manager, "Обзвон должников по графику", "Позвонить клиентам с просроченным платежом",
       "Новые даты оплаты в карточках", checklist=["Громова", "Данилов"])  # fmt: skip
    working = rz(head, manager2, "Анкеты клиентов за неделю", "Проверить анкеты в папках клиентов",
                 "Все анкеты заполнены", co_executors=[(u["lawyer.msk"], "Проверить раздел об имуществе")])  # fmt: skip
    services.task_start(task=working, by=manager2)
    control = rz(head, manager, "Сверка оплат за месяц", "Сверить таблицу платежей с выпиской",
                 "Таблица без расхождений")  # fmt: skip
    services.task_complete(task=control, by=manager, text="Расхождений нет")
    done = rz(manager, manager2, "Передать дело Ильина", "Передать документы по делу Ильина",
              "Документы у Петровой")  # fmt: skip
    services.task_complete(task=done, by=manager2, text="Передала")
    services.task_accept(task=done, by=manager)
    deferred = rz(head, manager2, "Обновить скрипт звонка", "Дописать ответы на возражения",
                  "Скрипт в общей папке")  # fmt: skip
    services.task_defer(task=deferred, by=manager2, text="После отпуска юриста, до конца месяца")
    declined = rz(manager, u["lawyer.msk"], "Составить иск по ДУ", "Иск о взыскании по договору займа",
                  "Проект иска")  # fmt: skip
    services.task_decline(task=declined, by=u["lawyer.msk"], text="Нет доверенности, сначала договор")
    delegated = services.task_create(author=head, responsible=manager, title="Перезвонить Ильину",
                                     body="Клиент просил перезвонить после 18:00")  # fmt: skip
    services.task_delegate(task=delegated, by=manager, to=manager2, text="Это клиент Анны")
    overdue = rz(head, manager, "Подготовить отчёт по лидам", "Сколько лидов конвертировано за месяц",
                 "Цифры по источникам")  # fmt: skip
    services.task_start(task=overdue, by=manager)
    _backdate(overdue, days=9, deadline_days_ago=4)
    silent = services.task_create(author=manager, responsible=u["callcenter"], title="Уточнить телефон Белова",
                                  body="В анкете неполный номер")  # fmt: skip
    _backdate(silent, days=2)
    services.feedback_flag_overdue()
    services.task_create(author=manager, responsible=manager, title="Позвонить в банк по выписке",
                         deadline=add_working_days(timezone.localdate(), 1))  # fmt: skip

    # Отчёт: a weekly schedule, one report handed in, one open.
    schedule = services.report_schedule_create(
        by=head,
        responsible=manager,
        title="Итоги недели",
        questions=["Сколько консультаций проведено?", "Сколько договоров заключено?", "Что мешало работе?"],
        period=ReportSchedule.Period.WEEKLY,
        weekday=4,
    )
    today = timezone.localdate()
    last_week = today - timedelta(days=7)
    handed = services.task_create(
        author=head, responsible=manager, title=f"Отчёт: Итоги недели за {last_week:%d.%m.%Y}", form=Task.Form.REPORT,
        questions=schedule.questions, report_schedule=schedule, report_for=last_week,
    )  # fmt: skip
    services.report_submit(task=handed, by=manager, answers=["7", "2", "Один клиент не пришёл на встречу"])
    services.task_create(
        author=head, responsible=manager, title=f"Отчёт: Итоги недели за {today:%d.%m.%Y}", form=Task.Form.REPORT,
        questions=schedule.questions, report_schedule=schedule, report_for=today,
    )  # fmt: skip
    return [f"задачи: {Task.objects.count()} (ПР, РЗ, отчёты во всех статусах)"]
