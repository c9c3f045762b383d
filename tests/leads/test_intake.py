import pytest

from clients.models import Client
from crm.errors import DomainError
from deals.models import Deal
from leads.models import Lead, NonTargetContact
from leads.services import lead_convert, lead_create, lead_mark_non_target, non_target_lift
from tests.factories import make_client


def test_lead_is_stored_with_normalised_contact(call_centre, manager_msk):
    lead, created = lead_create(
        by=call_centre, source="call", phone="8 (916) 000-11-22", name="Пётр", assigned_to=manager_msk
    )
    assert created
    assert (lead.phone_norm, lead.status, lead.assigned_to, lead.branch) == (
        "79160001122",
        "in_work",
        manager_msk,
        manager_msk.branch,
    )


def test_bad_phone_stores_nothing(call_centre):
    with pytest.raises(DomainError) as err:
        lead_create(by=call_centre, source="call", phone="12")
    assert (err.value.field, err.value.message) == ("phone", "«12» не похоже на номер телефона.")
    assert Lead.objects.count() == 0


def test_no_contact_at_all_stores_nothing(call_centre):
    with pytest.raises(DomainError, match="Нужен телефон или e-mail"):
        lead_create(by=call_centre, source="site", name="Аноним")
    assert Lead.objects.count() == 0


def test_same_idempotency_key_twice_creates_one_lead(db):
    first, created1 = lead_create(by=None, source="site", phone="+79160001122", idempotency_key="abc-1")
    second, created2 = lead_create(by=None, source="site", phone="+79160001122", idempotency_key="abc-1")
    assert (created1, created2, first.pk) == (True, False, second.pk)
    assert Lead.objects.count() == 1


def test_existing_client_is_matched_by_phone(manager_msk, call_centre):
    client = make_client(manager=manager_msk, phones=["+7 916 123-45-67"])
    lead, _ = lead_create(by=call_centre, source="call", phone="89161234567")
    assert lead.client == client


def test_non_target_contact_goes_to_office_manager(manager_msk, office_manager, call_centre):
    lead, _ = lead_create(by=call_centre, source="call", phone="+79165550000", assigned_to=manager_msk)
    lead_mark_non_target(lead=lead, by=manager_msk, reason="Ищет работу, не клиент")
    assert NonTargetContact.objects.get().value == "79165550000"
    again, _ = lead_create(by=call_centre, source="site", phone="8 916 555-00-00", assigned_to=manager_msk)
    assert (again.routed_to_office, again.assigned_to) == (True, office_manager)
    assert again.non_target_reason == "Контакт отмечен нецелевым: Ищет работу, не клиент"


def test_lifted_contact_reaches_sales_again(manager_msk, office_manager, call_centre):
    lead, _ = lead_create(by=call_centre, source="call", phone="+79165550000", assigned_to=manager_msk)
    lead_mark_non_target(lead=lead, by=manager_msk, reason="Спам")
    non_target_lift(contact=NonTargetContact.objects.get(), by=office_manager)
    again, _ = lead_create(by=call_centre, source="call", phone="+79165550000", assigned_to=manager_msk)
    assert (again.routed_to_office, again.assigned_to) == (False, manager_msk)


def test_manager_cannot_lift_non_target(manager_msk, call_centre):
    lead, _ = lead_create(by=call_centre, source="call", phone="+79165550000", assigned_to=manager_msk)
    lead_mark_non_target(lead=lead, by=manager_msk, reason="Спам")
    with pytest.raises(DomainError):
        non_target_lift(contact=NonTargetContact.objects.get(), by=manager_msk)
    assert NonTargetContact.objects.get().lifted_at is None


def test_non_target_needs_a_reason(manager_msk, call_centre):
    lead, _ = lead_create(by=call_centre, source="call", phone="+79165550000", assigned_to=manager_msk)
    with pytest.raises(DomainError, match="почему"):
        lead_mark_non_target(lead=lead, by=manager_msk, reason=" ")
    assert Lead.objects.get().status == "in_work"
    assert NonTargetContact.objects.count() == 0


def test_convert_creates_client_and_deal(manager_msk, call_centre):
    lead, _ = lead_create(by=call_centre, source="site", phone="+79160001122", assigned_to=manager_msk)
    deal = lead_convert(
        lead=lead,
        by=manager_msk,
        service_line="db",
        manager=manager_msk,
        client_data={"last_name": "Сидоров", "first_name": "Олег", "patronymic": "Ильич"},
    )
    lead.refresh_from_db()
    assert (lead.status, lead.deal, deal.stage, deal.source) == ("converted", deal, "db_in_work", "site")
    assert deal.client.display_name == "Сидоров Олег Ильич"
    assert list(deal.client.phones.values_list("number_norm", flat=True)) == ["79160001122"]


def test_convert_twice_is_refused(manager_msk, call_centre):
    lead, _ = lead_create(by=call_centre, source="site", phone="+79160001122", assigned_to=manager_msk)
    data = {"last_name": "Сидоров", "first_name": "Олег"}
    lead_convert(lead=lead, by=manager_msk, service_line="db", manager=manager_msk, client_data=data)
    with pytest.raises(DomainError, match="уже создана"):
        lead_convert(lead=lead, by=manager_msk, service_line="db", manager=manager_msk, client_data=data)
    assert (Client.objects.count(), Deal.objects.count()) == (1, 1)


def test_convert_with_bad_client_data_changes_nothing(manager_msk, call_centre):
    lead, _ = lead_create(by=call_centre, source="site", phone="+79160001122", assigned_to=manager_msk)
    with pytest.raises(DomainError, match="фамилию"):
        lead_convert(lead=lead, by=manager_msk, service_line="db", manager=manager_msk, client_data={"first_name": "О"})
    lead.refresh_from_db()
    assert (lead.status, Client.objects.count(), Deal.objects.count()) == ("in_work", 0, 0)


def test_lead_is_stored_even_when_routing_fails(call_centre, manager_msk, monkeypatch):
    from leads import services

    def broken_routing(**kwargs):
        raise RuntimeError("routing is down")

    monkeypatch.setattr(services, "lead_route", broken_routing)
    lead, created = services.lead_create(by=call_centre, source="call", phone="+79160001122", assigned_to=manager_msk)
    stored = Lead.objects.get()
    assert (created, stored.pk, stored.status, stored.assigned_to) == (True, lead.pk, "new", None)
