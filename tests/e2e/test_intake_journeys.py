"""The office's working day without dead ends, in a real browser.

The call-centre saves a new caller and books a consultation in one flow; a
repeat call from the same phone, typed another way, continues the open lead;
the head merges two duplicate leads; the manager converts the lead and the
booked consultation comes along (the deal is not «без дела», the meeting is
on the deal card). The clock is frozen on Tue 24.11.2026 (slots on Wed 25.11).
"""

import pytest
from playwright.sync_api import Page, expect

from activities import selectors as activity_selectors
from activities import services as activity_services
from activities.models import Activity
from deals.models import Deal
from leads import services as lead_services
from leads.models import Lead, LeadMessage
from tests.e2e.helpers import at, enter_as, moment

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def fill_intake(page: Page, *, phone: str, name: str = "", message: str = "") -> None:
    form = page.get_by_test_id("lead-form")
    form.get_by_label("Телефон", exact=True).fill(phone)
    if name:
        form.get_by_label("Как обращаться", exact=True).fill(name)
    if message:
        form.get_by_label("Суть обращения", exact=True).fill(message)


def test_call_centre_saves_a_new_caller_and_books_a_consultation_in_one_flow(
    page: Page, live_server, call_centre, manager_msk, head_msk, page_problems, screenshot
):
    with at(2026, 11, 24, 8, 0):
        enter_as(page, live_server, "callcenter")
        page.goto("/leads/new/")
        fill_intake(page, phone="8 916 777-88-99", name="Орлова Ольга", message="Долги 900 тыс., звонят коллекторы")
        page.get_by_test_id("lead-form").get_by_label("Филиал", exact=True).select_option(label="Москва")
        screenshot(page, "intake-new-caller")
        page.get_by_test_id("save-and-book").click()
        page.wait_for_url(f"{live_server.url}/booking/**")
        lead = Lead.objects.get()
        expect(page.get_by_test_id("booking-for-lead")).to_contain_text(
            f"Записываем по обращению №{lead.pk}: Орлова Ольга, +7 916 777-88-99"
        )
        page.get_by_test_id("booking-filter").get_by_label("День", exact=True).fill("2026-11-25")
        page.get_by_test_id("booking-filter").get_by_role("button", name="Показать", exact=True).click()
        page.wait_for_url(f"{live_server.url}/booking/?**date=2026-11-25**")
        column = page.get_by_test_id("manager-slots").filter(has=page.get_by_text(manager_msk.full_name, exact=True))
        column.get_by_role("link", name="10:00–11:00 свободно", exact=True).click()
        page.wait_for_url(f"{live_server.url}/booking/new/**")
        expect(page.get_by_test_id("book-form")).to_contain_text(f"Для обращения № {lead.pk}.")
        page.get_by_test_id("book-form").get_by_role("button", name="Записать", exact=True).click()
        page.wait_for_url(f"{live_server.url}/booking/?branch=**")
        expect(page.get_by_role("alert").filter(has_text="Записано")).to_contain_text("Орлова Ольга")
        screenshot(page, "intake-booked-for-lead")
    meeting = Activity.objects.get()
    assert (meeting.lead, meeting.responsible, meeting.planned_at) == (lead, manager_msk, moment(2026, 11, 25, 10, 0))
    assert lead.phone_norm == "79167778899"
    assert not page_problems


def test_a_repeat_call_in_another_format_continues_the_lead(
    page: Page, live_server, call_centre, manager_msk, page_problems, screenshot
):
    first, _ = lead_services.lead_create(
        by=call_centre, source="call", phone="+7 916 777-88-99", name="Ольга", assigned_to=manager_msk
    )
    enter_as(page, live_server, "callcenter")
    page.goto("/leads/new/")
    fill_intake(page, phone="89167778899", message="Перезваниваю: когда консультация?")
    lookup = page.get_by_test_id("lookup-leads")
    expect(lookup).to_contain_text(f"№{first.pk}")
    expect(lookup).to_contain_text("Повторный звонок добавится к этому обращению")
    screenshot(page, "intake-repeat-call-lookup")
    page.get_by_test_id("lead-form").get_by_role("button", name="Сохранить обращение", exact=True).click()
    page.wait_for_url(f"{live_server.url}/leads/{first.pk}/")
    expect(page.get_by_role("alert").filter(has_text="Повторное")).to_have_text(
        f"Повторное обращение добавлено к открытому лиду №{first.pk}."
    )
    expect(page.get_by_test_id("lead-history")).to_contain_text("Перезваниваю: когда консультация?")
    expect(page.get_by_test_id("lead-phones")).to_have_text("+7 916 777-88-99")
    screenshot(page, "intake-repeat-call-continued")
    assert Lead.objects.count() == 1
    assert list(LeadMessage.objects.values_list("lead", "text")) == [(first.pk, "Перезваниваю: когда консультация?")]
    assert not page_problems


def test_head_merges_two_duplicate_leads(
    page: Page, live_server, call_centre, head_msk, manager_msk, manager2_msk, page_problems, screenshot
):
    keep, _ = lead_services.lead_create(
        by=call_centre, source="call", phone="+79167778899", name="Ольга Орлова", assigned_to=manager_msk
    )
    dup, _ = lead_services.lead_create(
        by=call_centre, source="site", phone="+79035550000", name="Ольга Орлова", message="С сайта",
        assigned_to=manager2_msk,
    )  # fmt: skip
    enter_as(page, live_server, "rop.msk")
    page.goto(f"/leads/{keep.pk}/")
    page.get_by_test_id("merge-lead").click()
    page.wait_for_url(f"{live_server.url}/leads/{keep.pk}/merge/")
    candidate = page.get_by_test_id("merge-candidate")
    expect(candidate).to_have_count(1)
    expect(candidate).to_contain_text(f"№{dup.pk}")
    candidate.get_by_role("radio").check()
    screenshot(page, "merge-leads-page")
    page.get_by_test_id("merge-form").get_by_role("button", name="Объединить", exact=True).click()
    page.wait_for_url(f"{live_server.url}/leads/{keep.pk}/")
    expect(page.get_by_test_id("lead-phones")).to_have_text("+7 916 777-88-99, +7 903 555-00-00")
    expect(page.get_by_test_id("lead-history")).to_contain_text("С сайта")
    screenshot(page, "merge-leads-survivor")
    page.goto("/leads/")
    expect(page.get_by_role("link", name=str(dup.pk), exact=True)).to_have_count(0)
    dup.refresh_from_db()
    assert dup.merged_into == keep
    assert not page_problems


def test_conversion_carries_the_booked_meeting_to_the_deal(
    page: Page, live_server, call_centre, manager_msk, page_problems, screenshot
):
    with at(2026, 11, 24, 8, 0):
        lead, _ = lead_services.lead_create(
            by=call_centre, source="call", phone="+79167778899", name="Орлова Ольга Петровна",
            message="Долги 900 тыс.", assigned_to=manager_msk,
        )  # fmt: skip
        activity_services.meeting_book(
            by=call_centre, manager=manager_msk, lead=lead, subject="Первичная консультация",
            starts_at=moment(2026, 11, 25, 10, 0), ends_at=moment(2026, 11, 25, 11, 0),
        )  # fmt: skip
    with at(2026, 11, 24, 9, 0):
        enter_as(page, live_server, "manager.msk")
        page.goto(f"/leads/{lead.pk}/")
        form = page.get_by_test_id("convert-form")
        expect(form.get_by_label("Фамилия", exact=True)).to_have_value("Орлова")
        expect(form.get_by_label("Имя", exact=True)).to_have_value("Ольга")
        expect(form.get_by_label("Отчество", exact=True)).to_have_value("Петровна")
        screenshot(page, "convert-prefilled")
        form.get_by_role("button", name="Создать сделку", exact=True).click()  # accepted on the first submit
        page.wait_for_url(f"{live_server.url}/deals/**")
        deal = Deal.objects.get()
        expect(page.get_by_text("Первичная консультация").first).to_be_visible()
        screenshot(page, "convert-deal-card-with-meeting")
        assert deal not in activity_selectors.deals_breaking_rule(manager_msk)
        page.goto(f"/clients/{deal.client_id}/")
        expect(page.get_by_text("Обращение (Звонок, принял(а): Новикова И.П.): Долги 900 тыс.")).to_be_visible()
        screenshot(page, "convert-client-timeline")
    meeting = Activity.objects.get()
    assert (meeting.client, meeting.deal) == (deal.client, deal)
    assert not page_problems
