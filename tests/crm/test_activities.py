"""«Мои дела», the 14/30-day rule, abandoned clients, the pool, and booking into managers' calendars."""

import threading
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from activities import selectors as activity_selectors
from activities import services as activity_services
from activities.models import Activity, PoolRule, WorkingHours
from activities.tasks import clients_mark_abandoned_task, pool_hand_out_task
from clients.models import Client
from crm.errors import DomainError
from crm.models import Notification
from crm.workdays import add_working_days
from deals.services import deal_move_to_stage
from tests.conftest import token_client
from tests.factories import contract_data, make_client, make_deal

MSK = ZoneInfo("Europe/Moscow")


def at(*args):
    return time_machine.travel(datetime(*args, tzinfo=MSK), tick=False)


def msk(*args) -> datetime:
    return datetime(*args, tzinfo=MSK)


def book(by, manager, start, minutes=60, **kw):
    kw.setdefault("client", kw.pop("client", None) or make_client(manager=manager, last_name="Встречин"))
    return activity_services.meeting_book(
        by=by, manager=manager, starts_at=start, ends_at=start + timedelta(minutes=minutes), **kw
    )


# --- booking ---------------------------------------------------------------------------


def test_call_centre_books_a_free_slot_and_the_manager_is_told(call_centre, manager_msk):
    client = make_client(manager=manager_msk)
    with at(2026, 11, 24, 8, 0):
        meeting = book(call_centre, manager_msk, msk(2026, 11, 25, 10, 0), client=client, subject="Первая консультация")
    assert (meeting.kind, meeting.place, meeting.location, meeting.booked_by) == (
        "meeting",
        "office",
        "Офис, Москва",
        call_centre,
    )
    assert meeting.deal is None and meeting.branch_id == manager_msk.branch_id
    assert Notification.objects.filter(user=manager_msk, text__startswith="Новикова И.П. записал(а) к вам").count() == 1
    assert client.timeline.filter(kind="activity").count() == 1


def test_overlapping_booking_is_refused_with_the_reason(call_centre, manager_msk, manager2_msk):
    with at(2026, 11, 24, 8, 0):
        book(call_centre, manager_msk, msk(2026, 11, 25, 10, 0))
        with pytest.raises(DomainError) as refused:
            book(call_centre, manager_msk, msk(2026, 11, 25, 10, 30))
        assert refused.value.code == "overlap"
        assert refused.value.message == ("Иванов С.Н.: это время уже занято — встреча 25.11.2026 10:00–11:00.")
        # Back to back is fine, and another manager's calendar is separate.
        book(call_centre, manager_msk, msk(2026, 11, 25, 11, 0))
        book(call_centre, manager2_msk, msk(2026, 11, 25, 10, 0))
    assert Activity.objects.filter(responsible=manager_msk).count() == 2


@pytest.mark.parametrize(
    "start, minutes, message",
    [
        (msk(2026, 11, 25, 8, 0), 60, "Иванов С.Н. работает с 09:00 до 18:00: выберите время в эти часы."),
        (msk(2026, 11, 25, 17, 30), 60, "Иванов С.Н. работает с 09:00 до 18:00: выберите время в эти часы."),
        (msk(2026, 11, 28, 10, 0), 60, "28.11.2026 у менеджера Иванов С.Н. выходной."),
        (msk(2026, 11, 23, 10, 0), 60, "Нельзя записать на прошедшее время."),
    ],
)
def test_booking_outside_working_time_is_refused(call_centre, manager_msk, start, minutes, message):
    with at(2026, 11, 24, 8, 0), pytest.raises(DomainError) as refused:
        book(call_centre, manager_msk, start, minutes)
    assert refused.value.message == message
    assert Activity.objects.count() == 0


def test_a_managers_own_hours_override_the_firms_day(call_centre, manager_msk):
    WorkingHours.objects.create(user=manager_msk, weekday=2, start=time(12, 0), end=time(20, 0))
    with at(2026, 11, 24, 8, 0):
        book(call_centre, manager_msk, msk(2026, 11, 25, 19, 0))
        with pytest.raises(DomainError, match="с 12:00 до 20:00"):
            book(call_centre, manager_msk, msk(2026, 11, 25, 10, 0))
        with pytest.raises(DomainError, match="выходной"):
            book(call_centre, manager_msk, msk(2026, 11, 26, 13, 0))  # no hours on Thursday


def test_who_may_book_for_whom(manager_msk, manager2_msk, head_msk, manager_spb, lawyer_msk):
    with at(2026, 11, 24, 8, 0):
        book(manager_msk, manager_msk, msk(2026, 11, 25, 10, 0))
        book(head_msk, manager2_msk, msk(2026, 11, 25, 10, 0))
        for by, manager in [(manager_msk, manager2_msk), (head_msk, manager_spb), (lawyer_msk, manager_msk)]:
            with pytest.raises(DomainError) as refused:
                book(by, manager, msk(2026, 11, 25, 14, 0), client=make_client(manager=manager_msk, last_name="Ч"))
            assert refused.value.code == "forbidden"
        with pytest.raises(DomainError, match="к менеджеру или РОП"):
            book(head_msk, lawyer_msk, msk(2026, 11, 25, 14, 0))
    assert Activity.objects.count() == 2


def test_remote_consultation_needs_a_link_or_phone(call_centre, manager_msk):
    with at(2026, 11, 24, 8, 0):
        with pytest.raises(DomainError, match="ссылку или телефон"):
            book(call_centre, manager_msk, msk(2026, 11, 25, 10, 0), kind="remote")
        meeting = book(call_centre, manager_msk, msk(2026, 11, 25, 10, 0), kind="remote", location="+7 916 000-00-00")
    assert (meeting.place, meeting.location) == ("remote", "+7 916 000-00-00")


def test_reschedule_and_cancel(call_centre, manager_msk):
    with at(2026, 11, 24, 8, 0):
        first = book(call_centre, manager_msk, msk(2026, 11, 25, 10, 0))
        second = book(call_centre, manager_msk, msk(2026, 11, 25, 12, 0))
        with pytest.raises(DomainError) as refused:
            activity_services.meeting_reschedule(
                activity=first, by=call_centre, starts_at=msk(2026, 11, 25, 12, 30), ends_at=msk(2026, 11, 25, 13, 30)
            )
        assert refused.value.code == "overlap"
        activity_services.meeting_cancel(activity=second, by=call_centre, reason="Клиент заболел")
        activity_services.meeting_reschedule(
            activity=first, by=call_centre, starts_at=msk(2026, 11, 25, 12, 30), ends_at=msk(2026, 11, 25, 13, 30)
        )
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.planned_at == msk(2026, 11, 25, 12, 30)
    assert (second.status, second.result) == ("cancelled", "Клиент заболел")


@pytest.mark.django_db(transaction=True)
def test_fifty_operators_clicking_the_same_slot_book_it_once(director, call_centre, manager_msk):
    """Fifty concurrent attempts (one thread and one database connection each): exactly one succeeds."""
    client = make_client(manager=manager_msk)
    day = add_working_days(timezone.localdate(), 1)
    start = timezone.make_aware(datetime.combine(day, time(10, 0)))
    attempts = 50
    barrier = threading.Barrier(attempts)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(i: int):
        try:
            barrier.wait()
            activity_services.meeting_book(
                by=call_centre,
                manager=manager_msk,
                starts_at=start + timedelta(minutes=i % 3 * 10),  # overlapping, not even identical
                ends_at=start + timedelta(minutes=60 + i % 3 * 10),
                client=client,
            )
            result = "booked"
        except DomainError as exc:
            result = exc.code
        except Exception as exc:  # noqa: BLE001 - any other failure is the test's business
            result = f"error: {exc!r}"
        finally:
            connection.close()  # this thread's own connection
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(attempts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(set(outcomes)) == ["booked", "overlap"], outcomes
    assert outcomes.count("booked") == 1
    assert outcomes.count("overlap") == attempts - 1
    assert Activity.objects.filter(responsible=manager_msk, status="planned").count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the exclusion constraint is PostgreSQL's")
def test_the_database_itself_refuses_an_overlap(manager_msk):
    """Past every check in Python: two overlapping planned rows cannot both exist."""
    client = make_client(manager=manager_msk)
    fields = {"kind": "meeting", "client": client, "responsible": manager_msk, "status": "planned"}
    Activity.objects.create(planned_at=msk(2027, 3, 1, 10, 0), ends_at=msk(2027, 3, 1, 11, 0), **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        Activity.objects.create(planned_at=msk(2027, 3, 1, 10, 30), ends_at=msk(2027, 3, 1, 11, 30), **fields)
    # A cancelled meeting no longer holds its time.
    Activity.objects.update(status="cancelled")
    Activity.objects.create(planned_at=msk(2027, 3, 1, 10, 30), ends_at=msk(2027, 3, 1, 11, 30), **fields)


def test_free_slots_side_by_side(call_centre, manager_msk, manager2_msk, head_msk, msk):
    with at(2026, 11, 24, 8, 0):
        book(call_centre, manager_msk, msk_(2026, 11, 25, 10, 0))
        activity_services.meeting_book(
            by=manager2_msk,
            manager=manager2_msk,
            kind="busy",
            starts_at=msk_(2026, 11, 25, 9, 0),
            ends_at=msk_(2026, 11, 25, 13, 0),
        )
        grid = activity_selectors.free_slots(call_centre, branch=msk, day=date(2026, 11, 25))
    by_name = {m.manager.username: m for m in grid}
    assert set(by_name) == {"manager.msk", "manager2.msk", "rop.msk"}
    ivanov = by_name["manager.msk"].slots
    assert [(s.start.astimezone(MSK).hour, s.free) for s in ivanov][:3] == [(9, True), (10, False), (11, True)]
    assert len(ivanov) == 9
    petrova_free = [s.start.astimezone(MSK).hour for s in by_name["manager2.msk"].slots if s.free]
    assert petrova_free == [13, 14, 15, 16, 17]


def msk_(*args):
    return datetime(*args, tzinfo=MSK)


# --- «Мои дела» and the rule --------------------------------------------------------------


def test_my_day_sorts_inbound_today_overdue_and_coming(manager_msk):
    client = make_client(manager=manager_msk)
    with at(2026, 11, 20, 9, 0):
        activity_services.activity_plan(by=manager_msk, kind="call", planned_at=msk(2026, 11, 23, 10, 0), client=client)
    with at(2026, 11, 24, 8, 0):
        activity_services.activity_plan(by=manager_msk, kind="call", planned_at=msk(2026, 11, 24, 15, 0), client=client)
        activity_services.activity_plan(
            by=manager_msk, kind="email", planned_at=msk(2026, 11, 24, 7, 0), client=client, direction="inbound"
        )
        activity_services.activity_plan(by=manager_msk, kind="call", planned_at=msk(2026, 11, 27, 11, 0), client=client)
        day = activity_selectors.my_day(manager_msk)
    assert [len(day.inbound), len(day.today), len(day.overdue), len(day.coming)] == [1, 1, 1, 1]
    assert day.overdue[0].planned_at == msk(2026, 11, 23, 10, 0)


def test_done_with_a_result_and_the_next_step_in_one_go(manager_msk):
    deal = make_deal(manager=manager_msk)
    with at(2026, 11, 24, 8, 0):
        call = activity_services.activity_plan(
            by=manager_msk, kind="call", planned_at=msk(2026, 11, 24, 10, 0), client=deal.client
        )
        assert call.deal == deal  # the active deal takes the activity
        with pytest.raises(DomainError, match="результат"):
            activity_services.activity_complete(activity=call, by=manager_msk, result=" ")
        activity_services.activity_complete(
            activity=call,
            by=manager_msk,
            result="Договорились о встрече",
            next_plan={"kind": "meeting", "planned_at": msk(2026, 11, 26, 11, 0), "subject": "Подписание"},
        )
    call.refresh_from_db()
    assert (call.status, call.result) == ("done", "Договорились о встрече")
    nxt = Activity.objects.exclude(pk=call.pk).get()
    assert (nxt.kind, nxt.deal, nxt.planned_at, nxt.ends_at) == (
        "meeting",
        deal,
        msk(2026, 11, 26, 11, 0),
        msk(2026, 11, 26, 12, 0),
    )


def test_rule_lists_deals_and_clients_without_a_planned_activity(manager_msk, head_msk, manager_spb):
    with at(2026, 11, 24, 8, 0):
        quiet_deal = make_deal(manager=manager_msk, last_name="Тихий")
        busy_deal = make_deal(manager=manager_msk, last_name="Занятой", phones=["+79160000001"])
        far_deal = make_deal(manager=manager_msk, last_name="Далёкий", phones=["+79160000002"])
        lone = make_client(manager=manager_msk, last_name="Одинокий", phones=["+79160000003"])
        make_deal(manager=manager_spb, last_name="Питерский", phones=["+79210000001"])
        activity_services.activity_plan(
            by=manager_msk, kind="call", planned_at=msk(2026, 12, 1, 10), client=busy_deal.client
        )
        activity_services.activity_plan(
            by=manager_msk, kind="call", planned_at=msk(2026, 12, 20, 10), client=far_deal.client
        )
        mine = activity_selectors.rule_summary(manager_msk)
        heads = activity_selectors.rule_summary(head_msk)
    assert {d.client.last_name for d in mine["deals"]} == {"Тихий", "Далёкий"}
    assert [c.last_name for c in mine["clients"]] == ["Одинокий"]
    assert (heads["deals_count"], heads["clients_count"]) == (2, 1)
    assert quiet_deal.pk in {d.pk for d in heads["deals"]} and lone.pk in {c.pk for c in heads["clients"]}


# --- abandoned, pool, lost -------------------------------------------------------------------


def test_abandoned_then_pool_then_handed_out_by_the_heads_rule(head_msk, manager_msk, manager2_msk):
    with at(2026, 11, 1, 9, 0):
        client = make_client(manager=manager_msk, last_name="Забытый")
    with at(2026, 11, 24, 6, 30):
        assert clients_mark_abandoned_task.apply().get() == 1
        assert clients_mark_abandoned_task.apply().get() == 0
    client.refresh_from_db()
    assert (client.status, client.loss_stage) == ("abandoned", "")  # no deal: «без сделки» in the losses
    assert [c.pk for c in activity_selectors.clients_in_state(head_msk, "abandoned")] == [client.pk]
    with pytest.raises(DomainError):
        activity_services.client_to_pool(client=client, by=manager_msk)
    activity_services.client_to_pool(client=client, by=head_msk)
    client.refresh_from_db()
    assert (client.status, client.manager) == ("pool", None)
    activity_services.pool_rule_set(by=head_msk, branch=head_msk.branch, per_manager=1, every_days=7)
    with at(2026, 11, 25, 7, 0):
        assert pool_hand_out_task.apply().get() == 1
        assert pool_hand_out_task.apply().get() == 0  # not again before 7 days
    client.refresh_from_db()
    assert (client.status, client.manager) == ("active", manager_msk)
    call = Activity.objects.get(client=client)
    assert (call.kind, call.planned_at, call.subject) == (
        "call",
        msk(2026, 11, 26, 10, 0),
        "Реанимация: напомнить о себе",
    )
    assert PoolRule.objects.get().last_run_on == date(2026, 11, 25)


def test_lost_for_good_never_returns(head_msk, manager_msk, director):
    client = make_deal(manager=manager_msk).client
    with pytest.raises(DomainError) as refused:
        activity_services.client_mark_lost(client=client, by=manager_msk, reason="Уехал")
    assert refused.value.code == "forbidden"
    with pytest.raises(DomainError, match="причину"):
        activity_services.client_mark_lost(client=client, by=head_msk, reason="")
    activity_services.client_mark_lost(client=client, by=director, reason="Уехал за границу")
    client.refresh_from_db()
    # The heads' losses count it at the stage its deal stood at (copied now: no look-up per client later).
    assert (client.status, client.loss_stage) == ("lost", "db_in_work")
    PoolRule.objects.create(branch=client.branch, per_manager=5, every_days=1)
    assert activity_services.pool_hand_out() == 0
    with pytest.raises(DomainError, match="потерян окончательно"):
        activity_services.client_reanimate(
            client=client, by=head_msk, manager=manager_msk, planned_at=timezone.now() + timedelta(days=1)
        )
    assert Client.objects.get(pk=client.pk).status == "lost"


def test_a_client_with_an_open_deal_is_not_abandoned(manager_msk):
    with at(2026, 11, 1, 9, 0):
        deal = make_deal(manager=manager_msk)
        deal_move_to_stage(deal=deal, stage="db_prep_court", by=manager_msk, data=contract_data() | {
            "contract_date": date(2026, 10, 30)})  # fmt: skip
    with at(2026, 11, 24, 9, 0):
        assert activity_services.clients_mark_abandoned() == 0


# --- pages and API --------------------------------------------------------------------------


def test_my_day_page_and_closing_with_the_next_call(web, manager_msk):
    client = make_client(manager=manager_msk)
    with at(2026, 11, 24, 8, 0):
        call = activity_services.activity_plan(
            by=manager_msk, kind="call", planned_at=msk(2026, 11, 24, 10, 0), client=client
        )
        web.force_login(manager_msk)
        page = web.get("/my-day/")
        assert [a.pk for a in page.context["day"].today] == [call.pk]
        response = web.post(
            f"/activities/{call.pk}/done/",
            {"result": "Перезвонить через неделю", "next_kind": "call", "next_at": "2026-12-01T10:00"},
        )
    assert response.status_code == 302
    assert Activity.objects.filter(status="planned").get().planned_at == msk(2026, 12, 1, 10, 0)


def test_booking_page_and_form(web, call_centre, manager_msk, msk):
    client = make_client(manager=manager_msk, phones=["+7 916 555-44-33"])
    web.force_login(call_centre)
    with at(2026, 11, 24, 8, 0):
        grid = web.get(f"/booking/?branch={msk.pk}&date=2026-11-25")
        assert grid.status_code == 200
        assert "manager.msk" in {m.manager.username for m in grid.context["grid"]}
        data = {"manager": manager_msk.pk, "kind": "meeting", "starts_at": "2026-11-25T10:00", "duration": 60,
                "phone": "8 (916) 555-44-33"}  # fmt: skip
        ok = web.post(f"/booking/new/?manager={manager_msk.pk}", data)
        assert ok.status_code == 302
        clash = web.post(f"/booking/new/?manager={manager_msk.pk}", data | {"starts_at": "2026-11-25T10:30"})
    assert clash.status_code == 400
    assert "уже занято" in clash.content.decode()
    assert Activity.objects.get().client == client


def test_meetings_api_201_then_409(call_centre, manager_msk, msk):
    client = make_client(manager=manager_msk)
    api = token_client(call_centre)
    body = {"manager": manager_msk.pk, "client": client.pk, "starts_at": "2026-11-25T10:00:00+03:00",
            "ends_at": "2026-11-25T11:00:00+03:00"}  # fmt: skip
    with at(2026, 11, 24, 8, 0):
        first = api.post(reverse("api-meetings"), body, format="json")
        second = api.post(reverse("api-meetings"), body | {"starts_at": "2026-11-25T10:30:00+03:00"}, format="json")
        slots = api.get(reverse("api-free-slots"), {"branch": msk.pk, "date": "2026-11-25"}).json()
        cancel = api.post(
            reverse("api-meeting-cancel", args=[first.json()["id"]]), {"reason": "Перенос"}, format="json"
        )
    assert first.status_code == 201
    assert (second.status_code, second.json()["code"]) == (409, "overlap")
    assert "уже занято" in second.json()["detail"]
    ivanov = next(m for m in slots["managers"] if m["id"] == manager_msk.pk)
    assert "2026-11-25T10:00:00+03:00" not in [s["start"] for s in ivanov["free"]]
    assert (cancel.status_code, cancel.json()["status"]) == (200, "cancelled")


def test_activities_api_bad_input_is_400(manager_msk):
    api = token_client(manager_msk)
    client = make_client(manager=manager_msk)
    response = api.post(reverse("api-activities"), {"kind": "meeting", "client": client.pk}, format="json")
    assert response.status_code == 400 and set(response.json()) == {"kind", "planned_at"}
    assert Activity.objects.count() == 0


def test_other_branch_cannot_see_or_cancel(web, call_centre, manager_msk, manager_spb):
    with at(2026, 11, 24, 8, 0):
        meeting = book(call_centre, manager_msk, msk(2026, 11, 25, 10, 0))
        web.force_login(manager_spb)
        assert web.get(f"/activities/{meeting.pk}/").status_code == 404
        assert web.post(f"/activities/{meeting.pk}/cancel/").status_code == 404
        api = token_client(manager_spb)
        assert api.post(reverse("api-meeting-cancel", args=[meeting.pk]), format="json").status_code == 404
    assert Activity.objects.get(pk=meeting.pk).status == "planned"


def test_calendar_week_and_ics(web, call_centre, manager_msk, lawyer_msk):
    with at(2026, 11, 24, 8, 0):
        book(call_centre, manager_msk, msk(2026, 11, 25, 10, 0))
        web.force_login(manager_msk)
        own_ics = web.get(f"/calendar/{manager_msk.pk}.ics").content.decode()
        web.force_login(lawyer_msk)  # another department reads the schedule
        week = web.get(f"/calendar/{manager_msk.pk}/?view=week&date=2026-11-25")
        ics = web.get(f"/calendar/{manager_msk.pk}.ics")
    assert [len(items) for _, items in week.context["days"]] == [0, 0, 1, 0, 0, 0, 0]
    body = ics.content.decode()
    assert ics["Content-Type"] == "text/calendar; charset=utf-8"
    assert "DTSTART:20261125T070000Z" in own_ics and "SUMMARY:Встреча: Встречин Иван Петрович" in own_ics
    # The lawyer sees the time taken, not a client who has no contract (nor what the meeting is about).
    assert "DTSTART:20261125T070000Z" in body and "SUMMARY:Встреча\r\n" in body
    assert "Встречин" not in body and "Встречин" not in week.content.decode()


def test_home_counts_the_rule_for_manager_and_head(web, manager_msk, head_msk):
    make_deal(manager=manager_msk, last_name="Тихий")
    make_client(manager=manager_msk, last_name="Одинокий", phones=["+79160000031"])
    for user in (manager_msk, head_msk):
        web.force_login(user)
        blocks = dict(web.get("/").context["blocks"])
        rule = blocks["web/home/_activity_rule.html"]
        assert (rule["deals"], rule["clients"]) == (1, 1), user
