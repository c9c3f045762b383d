from django.urls import reverse

from leads.models import Lead
from leads.services import lead_create, lead_mark_non_target
from tests.factories import make_client


def test_call_centre_form_finds_existing_client_by_phone(web, call_centre, manager_msk):
    make_client(manager=manager_msk, last_name="Орлов", phones=["+7 916 123-45-67"])
    web.force_login(call_centre)
    body = web.get(reverse("leads:lookup"), {"phone": "8(916)1234567"}).content.decode()
    assert "Это существующий клиент" in body
    assert "Орлов Иван Петрович" in body
    assert "Открыть карточку" not in body  # the call-centre sees contacts, not the case file


def test_intake_stores_and_routes(web, call_centre, manager_msk):
    web.force_login(call_centre)
    response = web.post(
        reverse("leads:new"),
        {
            "phone": "+7 916 777-88-99",
            "name": "Анна",
            "source": "call",
            "service_line": "db",
            "assigned_to": manager_msk.pk,
            "message": "Долги по кредитам",
        },
    )
    lead = Lead.objects.get()
    assert response.status_code == 302
    assert (lead.assigned_to, lead.phone_norm, lead.created_by) == (manager_msk, "79167778899", call_centre)


def test_intake_without_contact_is_a_form_error(web, call_centre):
    web.force_login(call_centre)
    response = web.post(reverse("leads:new"), {"name": "Анна", "source": "call"})
    assert response.status_code == 400
    assert "Нужен телефон или e-mail, чтобы связаться с клиентом." in response.content.decode()
    assert Lead.objects.count() == 0


def test_lawyer_cannot_take_leads(web, lawyer_msk):
    web.force_login(lawyer_msk)
    assert web.get(reverse("leads:new")).status_code == 403


def test_non_target_next_lead_goes_to_office_queue(web, call_centre, manager_msk, office_manager):
    first, _ = lead_create(by=call_centre, source="call", phone="+79160009988", assigned_to=manager_msk)
    web.force_login(manager_msk)
    web.post(reverse("leads:non_target", args=[first.pk]), {"reason": "Реклама"})
    web.force_login(call_centre)
    web.post(reverse("leads:new"), {"phone": "89160009988", "source": "call", "assigned_to": manager_msk.pk})
    second = Lead.objects.latest("id")
    assert (second.routed_to_office, second.assigned_to) == (True, office_manager)
    web.force_login(manager_msk)
    assert web.get(reverse("leads:detail", args=[second.pk])).status_code == 404
    web.force_login(office_manager)
    queue = web.get(reverse("leads:office")).context["rows"]
    assert [lead.pk for lead in queue] == [second.pk]


def test_manager_converts_lead_on_the_page(web, call_centre, manager_msk):
    lead, _ = lead_create(by=call_centre, source="site", phone="+79160001122", assigned_to=manager_msk)
    web.force_login(manager_msk)
    response = web.post(
        reverse("leads:convert", args=[lead.pk]),
        {
            "service_line": "db",
            "last_name": "Сидоров",
            "first_name": "Олег",
            "manager": manager_msk.pk,
        },
    )
    lead.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == reverse("deals:detail", args=[lead.deal_id])


def test_manager_does_not_see_others_leads(web, call_centre, manager_msk, manager2_msk):
    lead, _ = lead_create(by=call_centre, source="call", phone="+79160001122", assigned_to=manager_msk)
    web.force_login(manager2_msk)
    assert web.get(reverse("leads:detail", args=[lead.pk])).status_code == 404
    response = web.post(reverse("leads:non_target", args=[lead.pk]), {"reason": "x"})
    assert response.status_code == 404
    assert Lead.objects.get(pk=lead.pk).status == "in_work"


def test_office_lifts_mark(web, call_centre, manager_msk, office_manager):
    lead, _ = lead_create(by=call_centre, source="call", phone="+79160001122", assigned_to=manager_msk)
    lead_mark_non_target(lead=lead, by=manager_msk, reason="Спам")
    web.force_login(office_manager)
    contact = web.get(reverse("leads:office")).context["contacts"][0]
    web.post(reverse("leads:non_target_lift", args=[contact.pk]))
    contact.refresh_from_db()
    assert contact.lifted_by == office_manager


def test_lead_converts_to_a_company(web, call_centre, manager_msk):
    lead, _ = lead_create(by=call_centre, source="site", phone="+79160001122", assigned_to=manager_msk)
    web.force_login(manager_msk)
    web.post(
        reverse("leads:convert", args=[lead.pk]),
        {
            "service_line": "du",
            "kind": "company",
            "company_name": "ООО «Ромашка»",
            "manager": manager_msk.pk,
            "title": "Взыскание долга",
        },
    )
    lead.refresh_from_db()
    assert (lead.deal.client.kind, lead.deal.client.display_name, lead.deal.title) == (
        "company",
        "ООО «Ромашка»",
        "Взыскание долга",
    )
