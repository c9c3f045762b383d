"""Stage-entry automation: entering a stage creates the configured tasks for the right person, in working days."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from crm.errors import DomainError
from deals.models import StageAutomation
from deals.services import deal_move_to_stage
from tasks.models import Task
from tests.factories import contract_data, make_deal

MSK = ZoneInfo("Europe/Moscow")


def test_entering_prep_court_creates_the_configured_tasks(manager_msk, head_msk, lawyer_msk):
    StageAutomation.objects.create(stage="db_prep_court", title="Выставить счёт", assignee="manager")
    StageAutomation.objects.create(
        stage="db_prep_court", title="Собрать документы по списку", assignee="manager", deadline_working_days=3
    )
    StageAutomation.objects.create(stage="db_prep_court", title="Проверить договор", assignee="lawyer")
    StageAutomation.objects.create(stage="db_prep_court", title="Выключено", is_active=False)
    StageAutomation.objects.create(stage="db_in_court", title="Не эта стадия")
    deal = make_deal(manager=manager_msk)
    assert Task.objects.count() == 0
    with time_machine.travel(datetime(2025, 12, 30, 10, 0, tzinfo=MSK), tick=False):
        deal_move_to_stage(deal=deal, stage="db_prep_court", by=manager_msk, data=contract_data() | {
            "contract_date": date(2025, 12, 29)})  # fmt: skip
    tasks = list(Task.objects.order_by("id").values_list("title", "responsible__username", "deadline", "author"))
    assert tasks == [
        ("Выставить счёт", "manager.msk", date(2026, 1, 12), None),
        ("Собрать документы по списку", "manager.msk", date(2026, 1, 14), None),
        ("Проверить договор", "lawyer.msk", date(2026, 1, 12), None),
    ]
    assert set(Task.objects.values_list("deal", "client")) == {(deal.pk, deal.client_id)}
    assert deal.client.timeline.filter(kind="task").count() == 3


def test_a_refused_move_creates_no_tasks(manager_msk):
    StageAutomation.objects.create(stage="db_prep_court", title="Выставить счёт")
    deal = make_deal(manager=manager_msk)
    with pytest.raises(DomainError, match="укажите"):  # the fee and contract are missing
        deal_move_to_stage(deal=deal, stage="db_prep_court", by=manager_msk, data={})
    assert Task.objects.count() == 0


def test_admin_caps_the_deadline_at_three_working_days(web, admin_user):
    web.force_login(admin_user)
    response = web.post(
        "/admin/deals/stageautomation/add/",
        {
            "stage": "db_prep_court",
            "title": "Долгая",
            "assignee": "manager",
            "deadline_working_days": 5,
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert StageAutomation.objects.count() == 0
