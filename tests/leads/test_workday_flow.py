"""The office's working day without dead ends: a call becomes a booking, a repeat call continues
the open lead, duplicates are merged by those who may, and a conversion carries everything."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from activities import selectors as activity_selectors
from activities import services as activity_services
from activities.models import Activity
from clients.models import Client, ClientPhone, TimelineEntry
from crm.errors import DomainError
from crm.models import AuditEntry, OutboxJob
from crm.outbox import Handler, register
from deals.models import Deal
from leads import services
from leads.models import Lead, LeadMessage, LeadPhone
from tasks.models import Task
from tests.conftest import token_client
from tests.factories import make_client, make_deal

MSK = ZoneInfo("Europe/Moscow")


def msk(*args) -> datetime:
    return datetime(*args, tzinfo=MSK)


def at(*args):
    return time_machine.travel(msk(*args), tick=False)


def book_for_lead(by, manager, lead, start=None):
    start = start or msk(2026, 11, 25, 10, 0)
    return activity_services.meeting_book(
        by=by, manager=manager, starts_at=start, ends_at=start + timedelta(hours=1), lead=lead, subject="Консультация"
    )


# --- 1. a new caller booked in one flow -------------------------------------------------------


def test_save_and_book_opens_the_free_slots_for_this_lead(web, call_centre, manager_msk):
    web.force_login(call_centre)
    response = web.post(
        reverse("leads:new"),
        {"phone": "8 916 777-88-99", "name": "Анна", "source": "call", "assigned_to": manager_msk.pk, "then": "book"},
    )
    lead = Lead.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("activities:booking") + f"?lead={lead.pk}&branch={manager_msk.branch_id}"
    grid = web.get(response["Location"])
    assert grid.status_code == 200
    assert f"Записываем по обращению №{lead.pk}: <strong>Анна</strong>, +7 916 777-88-99" in grid.content.decode()


def test_lead_card_offers_booking_to_the_desk(web, call_centre, manager_msk, lawyer_msk):
    lead, _ = services.lead_create(by=call_centre, source="call", phone="+79167778899", assigned_to=manager_msk)
    web.force_login(call_centre)
    body = web.get(reverse("leads:detail", args=[lead.pk])).content.decode()
    assert "Записать на консультацию" in body
    assert f"?lead={lead.pk}&amp;branch={manager_msk.branch_id}" in body


def test_booking_by_the_phone_of_a_lead_just_saved_books_for_the_lead(web, call_centre, manager_msk):
    lead, _ = services.lead_create(by=call_centre, source="call", phone="+79167778899", name="Анна")
    web.force_login(call_centre)
    with at(2026, 11, 24, 8, 0):
        response = web.post(
            reverse("activities:booking_new") + f"?manager={manager_msk.pk}",
            {
                "kind": "meeting",
                "starts_at": "2026-11-25T10:00",
                "duration": 60,
                "phone": "8 (916) 777-88-99",
                "manager": manager_msk.pk,
            },
        )
    assert response.status_code == 302, response.content.decode()
    meeting = Activity.objects.get()
    assert (meeting.lead, meeting.client, meeting.responsible) == (lead, None, manager_msk)


def test_booking_by_an_unknown_phone_still_says_what_to_do(web, call_centre, manager_msk):
    web.force_login(call_centre)
    with at(2026, 11, 24, 8, 0):
        response = web.post(
            reverse("activities:booking_new") + f"?manager={manager_msk.pk}",
            {
                "kind": "meeting",
                "starts_at": "2026-11-25T10:00",
                "duration": 60,
                "phone": "+79160000000",
                "manager": manager_msk.pk,
            },
        )
    assert response.status_code == 400
    assert "Ни клиента, ни открытого обращения с таким телефоном не найдено" in response.content.decode()
    assert Activity.objects.count() == 0


# --- 2. a repeat call continues the open lead -------------------------------------------------


def test_repeat_call_in_another_format_continues_the_open_lead(call_centre, manager_msk):
    first, created = services.lead_create(
        by=call_centre, source="call", phone="+7 916 123-45-67", message="Долги", assigned_to=manager_msk
    )
    again, again_created = services.lead_create(
        by=call_centre, source="call", phone="8(916)1234567", name="Ольга", message="Перезвоните вечером"
    )
    assert (created, again_created, again.pk) == (True, False, first.pk)
    assert Lead.objects.count() == 1
    assert list(LeadMessage.objects.values_list("lead", "text", "created_by")) == [
        (first.pk, "Перезвоните вечером", call_centre.pk)
    ]
    again.refresh_from_db()
    assert (again.name, again.phone_norm, again.phone_display) == ("Ольга", "79161234567", "+7 916 123-45-67")


def test_a_converted_lead_is_not_continued(call_centre, manager_msk):
    first, _ = services.lead_create(by=call_centre, source="call", phone="+79161234567", assigned_to=manager_msk)
    services.lead_convert(
        lead=first, by=manager_msk, service_line="db", manager=manager_msk,
        client_data={"last_name": "Орлова", "first_name": "Ольга"},
    )  # fmt: skip
    second, created = services.lead_create(by=call_centre, source="call", phone="+79161234567")
    assert created and second.pk != first.pk


def test_intake_page_says_the_repeat_call_was_added(web, call_centre, manager_msk):
    first, _ = services.lead_create(by=call_centre, source="call", phone="+79161234567", assigned_to=manager_msk)
    web.force_login(call_centre)
    response = web.post(reverse("leads:new"), {"phone": "89161234567", "source": "call", "message": "Ещё вопрос"})
    assert response.status_code == 302 and response["Location"] == reverse("leads:detail", args=[first.pk])
    page = web.get(response["Location"]).content.decode()
    assert f"Повторное обращение добавлено к открытому лиду №{first.pk}." in page
    assert "Ещё вопрос" in page
    assert Lead.objects.count() == 1


def test_api_repeat_request_is_200_with_the_open_lead_and_its_history(call_centre):
    api = token_client(call_centre)
    first = api.post(reverse("api-leads"), {"phone": "+7 916 111-22-33", "message": "Банкротство"}, format="json")
    again = api.post(reverse("api-leads"), {"phone": "89161112233", "message": "Ещё раз"}, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert [(h["source"], h["text"]) for h in again.json()["history"]] == [("site", "Ещё раз")]
    assert Lead.objects.count() == 1


def test_api_repeat_request_keeps_idempotency_key_semantics(call_centre):
    api = token_client(call_centre)
    api.post(reverse("api-leads"), {"phone": "+79161112233", "message": "Первый"}, format="json")
    body = {"phone": "+79161112233", "message": "Второй"}
    once = api.post(reverse("api-leads"), body, format="json", HTTP_IDEMPOTENCY_KEY="r-1")
    twice = api.post(reverse("api-leads"), body, format="json", HTTP_IDEMPOTENCY_KEY="r-1")
    other = api.post(reverse("api-leads"), {**body, "message": "Третий"}, format="json", HTTP_IDEMPOTENCY_KEY="r-1")
    assert (once.status_code, twice.status_code, other.status_code) == (200, 200, 422)
    assert list(LeadMessage.objects.values_list("text", flat=True)) == ["Второй"]


def test_a_manager_does_not_continue_a_colleagues_lead_through_a_phone(call_centre, manager_msk, manager2_msk):
    theirs, _ = services.lead_create(by=call_centre, source="call", phone="+79161112233", assigned_to=manager2_msk)
    response = token_client(manager_msk).post(reverse("api-leads"), {"phone": "+79161112233"}, format="json")
    assert response.status_code == 201 and response.json()["id"] != theirs.pk
    assert LeadMessage.objects.count() == 0


# --- 3. merging duplicates --------------------------------------------------------------------


def two_leads(call_centre, manager_msk, manager2_msk):
    a, _ = services.lead_create(
        by=call_centre, source="call", phone="+79161112233", name="Ольга", message="Долги", assigned_to=manager_msk
    )
    b, _ = services.lead_create(
        by=call_centre, source="site", phone="+79035550000", name="Ольга", message="С сайта", assigned_to=manager2_msk
    )
    return a, b


def test_head_merges_two_leads_on_the_page(web, call_centre, head_msk, manager_msk, manager2_msk):
    a, b = two_leads(call_centre, manager_msk, manager2_msk)
    task = Task.objects.create(
        title="Перезвонить", author=head_msk, responsible=manager2_msk, lead=b, deadline=msk(2026, 11, 27, 18, 0).date()
    )
    web.force_login(head_msk)
    page = web.get(reverse("leads:merge", args=[a.pk]))
    assert [c.pk for c in page.context["candidates"]] == [b.pk]
    response = web.post(reverse("leads:merge", args=[a.pk]), {"other": b.pk, "keep": "this"})
    assert response.status_code == 302 and response["Location"] == reverse("leads:detail", args=[a.pk])
    b.refresh_from_db()
    task.refresh_from_db()
    assert b.merged_into == a and task.lead == a
    assert list(LeadPhone.objects.filter(lead=a).values_list("number_norm", flat=True)) == ["79035550000"]
    assert list(a.history.values_list("source", "text")) == [("site", "С сайта")]
    assert [lead.pk for lead in web.get(reverse("leads:list")).context["rows"]] == [a.pk]
    assert AuditEntry.objects.filter(target_id=str(a.pk), changes__merged=b.pk).exists()
    # The merged phone is the caller's too: a call from it continues the survivor.
    again, created = services.lead_create(by=call_centre, source="call", phone="8 903 555-00-00")
    assert (again.pk, created) == (a.pk, False)


@pytest.mark.parametrize("role", ["manager_msk", "call_centre", "lawyer_msk", "admin_user", "head_spb"])
def test_others_may_not_merge_leads_and_nothing_changes(request, web, role, call_centre, manager_msk, manager2_msk):
    a, b = two_leads(call_centre, manager_msk, manager2_msk)
    before = list(Lead.objects.order_by("id").values()), list(LeadMessage.objects.values())
    web.force_login(request.getfixturevalue(role))
    response = web.post(reverse("leads:merge", args=[a.pk]), {"other": b.pk, "keep": "this"})
    assert response.status_code in (403, 404)
    assert (list(Lead.objects.order_by("id").values()), list(LeadMessage.objects.values())) == before


def test_merge_service_refuses_the_wrong_role(call_centre, manager_msk, manager2_msk):
    a, b = two_leads(call_centre, manager_msk, manager2_msk)
    with pytest.raises(DomainError) as err:
        services.lead_merge(survivor=a, other=b, by=manager_msk)
    assert err.value.code == "forbidden"
    assert Lead.objects.filter(merged_into__isnull=False).count() == 0


@pytest.fixture
def disk_events():
    """A handler for client.changed, as the Disk mirror registers one when it is switched on."""
    register(Handler(kind="test.client_changed", label="тест", run=lambda key, jobs: "ok", events=("client.changed",)))
    yield
    from crm import outbox  # noqa: PLC0415 — the registry is module state: the test handler goes away after

    outbox._HANDLERS.pop("test.client_changed", None)


def test_office_manager_merges_two_clients(web, office_manager, manager_msk, manager2_msk, disk_events):
    survivor = make_client(manager=manager_msk, last_name="Орлова", phones=["+7 916 111-22-33"])
    other = make_client(manager=manager2_msk, last_name="Орлова", phones=["8 916 111-22-33", "+7 903 555-00-00"])
    deal = make_deal(manager=manager2_msk, client=other)
    TimelineEntry.objects.create(client=other, kind="comment", text="Звонила вчера")
    web.force_login(office_manager)
    page = web.get(reverse("leads:client_merge", args=[survivor.pk]))
    assert [c.pk for c in page.context["candidates"]] == [other.pk]
    response = web.post(reverse("leads:client_merge", args=[survivor.pk]), {"other": other.pk, "keep": "this"})
    assert response.status_code == 302
    other.refresh_from_db()
    deal.refresh_from_db()
    assert other.merged_into == survivor and deal.client == survivor
    assert sorted(ClientPhone.objects.filter(client=survivor).values_list("number_norm", flat=True)) == [
        "79035550000",
        "79161112233",
    ]
    assert ClientPhone.objects.filter(client=other).count() == 0
    assert survivor.timeline.filter(text="Звонила вчера").exists()
    assert OutboxJob.objects.filter(kind="test.client_changed", key=str(survivor.pk)).exists()


def test_merged_client_is_no_longer_listed(head_msk, manager_msk, manager2_msk):
    survivor = make_client(manager=manager_msk, last_name="Орлова", phones=["+79161112233"])
    other = make_client(manager=manager2_msk, last_name="Орлова", phones=["+79035550000"])
    services.client_merge(survivor=survivor, other=other, by=head_msk)
    ids = [c["id"] for c in token_client(head_msk).get(reverse("api-clients")).json()["results"]]
    assert other.pk not in ids and survivor.pk in ids


@pytest.mark.parametrize("role", ["manager_msk", "call_centre", "lawyer_msk", "head_spb"])
def test_others_may_not_merge_clients_and_nothing_changes(request, web, role, manager_msk, manager2_msk):
    survivor = make_client(manager=manager_msk, last_name="Орлова", phones=["+79161112233"])
    other = make_client(manager=manager2_msk, last_name="Орлова", phones=["+79035550000"])
    before = list(Client.objects.order_by("id").values()), list(ClientPhone.objects.order_by("id").values())
    web.force_login(request.getfixturevalue(role))
    response = web.post(reverse("leads:client_merge", args=[survivor.pk]), {"other": other.pk, "keep": "this"})
    assert response.status_code in (403, 404)
    assert (list(Client.objects.order_by("id").values()), list(ClientPhone.objects.order_by("id").values())) == before
    with pytest.raises(DomainError):
        services.client_merge(survivor=survivor, other=other, by=request.getfixturevalue(role))
    assert Client.objects.filter(merged_into__isnull=False).count() == 0


# --- 4. conversion carries everything ---------------------------------------------------------


def test_the_prefilled_conversion_form_is_accepted_on_first_submit(web, call_centre, manager_msk):
    lead, _ = services.lead_create(
        by=call_centre, source="site", phone="+79161112233", name="Орлова Ольга Петровна", assigned_to=manager_msk
    )
    web.force_login(manager_msk)
    form = web.get(reverse("leads:detail", args=[lead.pk])).context["convert_form"]
    data = {k: v for k, v in form.initial.items() if v not in (None, False)}
    assert data["last_name"] == "Орлова" and data["first_name"] == "Ольга" and data["patronymic"] == "Петровна"
    response = web.post(reverse("leads:convert", args=[lead.pk]), data)
    assert response.status_code == 302, response.context["convert_form"].errors
    client = Deal.objects.get().client
    assert client.display_name == "Орлова Ольга Петровна"


def test_conversion_carries_phones_source_story_and_the_booked_meeting(call_centre, manager_msk, head_msk):
    with at(2026, 11, 24, 8, 0):
        lead, _ = services.lead_create(
            by=call_centre, source="site", phone="+79161112233", message="Долг 1,2 млн", assigned_to=manager_msk
        )
        services.lead_create(by=call_centre, source="call", phone="89161112233", message="Когда консультация?")
        other, _ = services.lead_create(by=call_centre, source="call", phone="+79035550000", name="Ольга")
        services.lead_merge(survivor=lead, other=other, by=head_msk)
        meeting = book_for_lead(call_centre, manager_msk, lead)
    with at(2026, 11, 24, 12, 0):  # the manager converts the lead after lunch
        deal = services.lead_convert(
            lead=lead, by=manager_msk, service_line="db", manager=manager_msk,
            client_data={"last_name": "Орлова", "first_name": "Ольга"},
        )  # fmt: skip
        client = deal.client
        assert sorted(client.phones.values_list("number_norm", flat=True)) == ["79035550000", "79161112233"]
        assert deal.source == "site"
        meeting.refresh_from_db()
        assert (meeting.client, meeting.deal) == (client, deal)
        # The deal is not «без дела»: the consultation the call-centre booked is its planned activity.
        assert deal not in activity_selectors.deals_breaking_rule(manager_msk)
        story = list(client.timeline.order_by("at", "id").values_list("kind", "text"))
    assert story[0] == ("lead", "Обращение (Сайт, принял(а): Новикова И.П.): Долг 1,2 млн")
    assert ("lead", "Повторное обращение (Звонок, принял(а): Новикова И.П.): Когда консультация?") in story
    assert any(text.startswith("Записан(а) по обращению: Встреча 25.11.2026 10:00") for _, text in story)
    with at(2026, 11, 25, 11, 0):
        activity_services.activity_complete(activity=meeting, by=manager_msk, result="Договорились о договоре")
    assert client.timeline.filter(text__contains="выполнено: Договорились о договоре", deal=deal).exists()


def test_deal_card_shows_the_meeting_booked_before_conversion(web, call_centre, manager_msk):
    with at(2026, 11, 24, 8, 0):
        lead, _ = services.lead_create(by=call_centre, source="call", phone="+79161112233", assigned_to=manager_msk)
        book_for_lead(call_centre, manager_msk, lead)
        deal = services.lead_convert(
            lead=lead, by=manager_msk, service_line="db", manager=manager_msk,
            client_data={"last_name": "Орлова", "first_name": "Ольга"},
        )  # fmt: skip
        web.force_login(manager_msk)
        body = web.get(reverse("deals:detail", args=[deal.pk])).content.decode()
    assert "25.11.2026 10:00" in body
