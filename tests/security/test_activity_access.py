"""Who may write an activity into a client, and who may read what a meeting was about.

The page «запланировать дело», POST /api/v1/activities/ and the service ask one
question (`access.can_plan_activity_for`); the activity page shows the result
only to those who may open the client's case file (`access.may_see_activity_details`).
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from activities import services as activity_services
from activities.models import Activity
from clients.models import Client, TimelineEntry
from crm import access
from crm.errors import DomainError
from crm.models import AuditEntry, Notification
from deals.services import deal_move_to_stage
from tests.conftest import token_client
from tests.factories import contract_data, make_client, make_deal

MSK = ZoneInfo("Europe/Moscow")


def soon() -> datetime:
    """A time the services accept for an outbound activity (future, within the year ahead)."""
    return (timezone.now() + timedelta(days=10)).astimezone(MSK).replace(hour=10, minute=0, second=0, microsecond=0)


RESULT = "Долг 1,2 млн, готов платить 150к в месяц"


def at(*args):
    return time_machine.travel(datetime(*args, tzinfo=MSK), tick=False)


def _abandoned_client(manager):
    client = make_client(manager=manager, last_name="Забытый")
    Client.objects.filter(pk=client.pk).update(status=Client.Status.ABANDONED)
    return Client.objects.get(pk=client.pk)


def _counts():
    return (
        Activity.objects.count(),
        TimelineEntry.objects.count(),
        Notification.objects.count(),
        AuditEntry.objects.count(),
    )


# --- planning an activity on a client ----------------------------------------------------


@pytest.mark.parametrize("who", ["callcenter", "office"])
def test_intake_desk_cannot_plan_an_activity_over_the_api_and_nothing_changes(everyone, who):
    client = _abandoned_client(everyone["manager.msk"])
    api = token_client(everyone[who])
    before = _counts()
    body = {"kind": "call", "client": client.pk, "planned_at": soon().isoformat(), "subject": "Взыскать"}

    response = api.post(reverse("api-activities"), body, format="json")

    assert response.status_code == 403
    assert response.json() == {"detail": "Планировать дела по клиенту может тот, кто ведёт его дело."}
    assert _counts() == before
    assert Client.objects.get(pk=client.pk).status == Client.Status.ABANDONED


@pytest.mark.parametrize("who", ["callcenter", "office"])
def test_intake_desk_cannot_plan_on_the_page_either(everyone, who, web):
    client = _abandoned_client(everyone["manager.msk"])
    before = _counts()
    web.force_login(everyone[who])
    url = reverse("activities:activity_plan", args=[client.pk])
    assert web.get(url).status_code == 404
    body = {"kind": "call", "direction": "outbound", "planned_at": f"{soon():%Y-%m-%dT%H:%M}", "subject": "x"}
    assert web.post(url, body).status_code == 404
    assert _counts() == before
    assert Client.objects.get(pk=client.pk).status == Client.Status.ABANDONED


@pytest.mark.parametrize("who", ["callcenter", "office", "manager2.msk", "manager.spb", "rop.spb", "lawyer.msk"])
def test_the_service_refuses_whoever_may_not_open_the_client(everyone, who):
    client = _abandoned_client(everyone["manager.msk"])
    before = _counts()
    with pytest.raises(DomainError) as err:
        activity_services.activity_plan(by=everyone[who], kind="call", planned_at=soon(), client=client)
    assert (err.value.code, err.value.message) == (
        "forbidden",
        "Планировать дела по клиенту может тот, кто ведёт его дело.",
    )
    assert _counts() == before
    assert Client.objects.get(pk=client.pk).status == Client.Status.ABANDONED


@pytest.mark.parametrize(
    "who, allowed",
    [
        ("manager.msk", True),
        ("rop.msk", True),
        ("director", True),
        ("admin", True),
        ("manager2.msk", False),
        ("rop.spb", False),
        ("manager.spb", False),
        ("lawyer.msk", False),
        ("callcenter", False),
        ("office", False),
    ],
)
def test_page_api_and_service_ask_one_question(everyone, who, allowed):
    client = make_client(manager=everyone["manager.msk"])
    assert access.can_plan_activity_for(everyone[who], client) is allowed


def test_lawyer_plans_on_a_contracted_client_of_the_branch(everyone):
    manager, lawyer = everyone["manager.msk"], everyone["lawyer.msk"]
    deal = make_deal(manager=manager)
    assert access.can_plan_activity_for(lawyer, deal.client) is False
    with at(2026, 11, 24, 9, 0):
        deal_move_to_stage(deal=deal, stage="db_prep_court", by=manager, data=contract_data())
        response = token_client(lawyer).post(
            reverse("api-activities"),
            {"kind": "call", "client": deal.client_id, "planned_at": "2026-11-25T10:00:00+03:00"},
            format="json",
        )
    assert response.status_code == 201
    assert access.can_plan_activity_for(lawyer, deal.client) is True


def test_planning_on_an_abandoned_client_brings_it_back_with_an_audit_entry(everyone):
    manager = everyone["manager.msk"]
    client = _abandoned_client(manager)
    with at(2026, 11, 24, 9, 0):
        activity_services.activity_plan(
            by=manager, kind="call", planned_at=datetime(2026, 11, 25, 10, tzinfo=MSK), client=client
        )
    assert Client.objects.get(pk=client.pk).status == Client.Status.ACTIVE
    entry = AuditEntry.objects.get(target_type="clients.client", target_id=str(client.pk), action="update")
    assert (entry.actor, entry.changes) == (manager, {"status": ["abandoned", "active"]})


def test_planning_on_an_active_client_writes_no_status_entry(everyone):
    manager = everyone["manager.msk"]
    client = make_client(manager=manager)
    with at(2026, 11, 24, 9, 0):
        activity_services.activity_plan(
            by=manager, kind="call", planned_at=datetime(2026, 11, 25, 10, tzinfo=MSK), client=client
        )
    assert not AuditEntry.objects.filter(target_type="clients.client", action="update").exists()


# --- reading a finished meeting -------------------------------------------------------------


@pytest.fixture
def finished_meeting(everyone):
    manager = everyone["manager.msk"]
    client = make_client(manager=manager, last_name="Должников")
    with at(2026, 11, 24, 9, 0):
        meeting = activity_services.meeting_book(
            by=everyone["callcenter"],
            manager=manager,
            starts_at=datetime(2026, 11, 25, 10, tzinfo=MSK),
            ends_at=datetime(2026, 11, 25, 11, tzinfo=MSK),
            client=client,
            subject="Первичная консультация",
        )
    activity_services.activity_complete(activity=meeting, by=manager, result=RESULT)
    return meeting


@pytest.mark.parametrize("who", ["callcenter", "office"])
def test_intake_desk_does_not_read_a_finished_meetings_result(everyone, finished_meeting, who, web):
    web.force_login(everyone[who])
    page = web.get(reverse("activities:activity_detail", args=[finished_meeting.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Должников" in html  # who and when stay: the desk books and reschedules
    assert RESULT not in html and "Результат" not in html
    assert access.may_see_activity_details(everyone[who], finished_meeting) is False


@pytest.mark.parametrize("who", ["manager.msk", "rop.msk", "director", "admin"])
def test_case_workers_read_the_result(everyone, finished_meeting, who, web):
    web.force_login(everyone[who])
    page = web.get(reverse("activities:activity_detail", args=[finished_meeting.pk]))
    assert page.status_code == 200
    assert RESULT in page.content.decode()
    assert access.may_see_activity_details(everyone[who], finished_meeting) is True


@pytest.mark.parametrize("who", ["manager2.msk", "manager.spb", "rop.spb", "lawyer.msk"])
def test_others_cannot_open_the_meeting_at_all(everyone, finished_meeting, who, web):
    web.force_login(everyone[who])
    assert web.get(reverse("activities:activity_detail", args=[finished_meeting.pk])).status_code == 404
    assert access.may_see_activity_details(everyone[who], finished_meeting) is False


def test_the_desk_reschedules_a_planned_meeting_but_gets_no_result_form(everyone, web):
    """The desk moves and cancels bookings; closing with a result is the case worker's."""
    manager = everyone["manager.msk"]
    client = make_client(manager=manager, last_name="Должников")
    with at(2026, 11, 24, 9, 0):
        meeting = activity_services.meeting_book(
            by=manager,
            manager=manager,
            starts_at=datetime(2026, 11, 25, 10, tzinfo=MSK),
            ends_at=datetime(2026, 11, 25, 11, tzinfo=MSK),
            client=client,
        )
        web.force_login(everyone["callcenter"])
        html = web.get(reverse("activities:activity_detail", args=[meeting.pk])).content.decode()
    assert "Должников" in html and 'data-testid="reschedule-form"' in html
    assert reverse("activities:activity_done", args=[meeting.pk]) not in html


def test_ics_and_page_agree_the_result_never_leaves(everyone, finished_meeting, web):
    web.force_login(everyone["callcenter"])
    with at(2026, 11, 26, 9, 0):
        feed = web.get(reverse("activities:calendar_ics", args=[everyone["manager.msk"].pk]))
    assert "Должников" in feed.content.decode()
    assert "150к" not in feed.content.decode()
