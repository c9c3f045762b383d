"""Closing a request without a deal, with the reason: the office manager's queue and a head's branch."""

import pytest
from django.urls import reverse

from crm.errors import DomainError
from crm.models import AuditEntry
from leads.models import Lead
from leads.services import lead_close, lead_create, lead_mark_non_target


@pytest.fixture
def routed(manager_msk, office_manager, call_centre):
    """A second call from a contact marked non-target: it sits in the office manager's queue."""
    first, _ = lead_create(by=call_centre, source="call", phone="+79165550000", assigned_to=manager_msk)
    lead_mark_non_target(lead=first, by=manager_msk, reason="Предлагает рекламу")
    again, _ = lead_create(by=call_centre, source="call", phone="8 916 555-00-00", message="Снова реклама")
    assert again.routed_to_office
    return again


def snapshot(lead: Lead):
    lead.refresh_from_db()
    return lead.status, lead.close_reason, lead.closed_at, lead.closed_by_id, AuditEntry.objects.count()


def test_office_manager_closes_a_queued_request_with_the_reason(web, office_manager, routed):
    web.force_login(office_manager)
    queue = web.get(reverse("leads:office"))
    assert [row.pk for row in queue.context["rows"]] == [routed.pk]
    response = web.post(
        reverse("leads:close", args=[routed.pk]), {"reason": "Рекламное агентство", "next": reverse("leads:office")}
    )
    assert response.status_code == 302 and response["Location"] == reverse("leads:office")
    routed.refresh_from_db()
    assert (routed.status, routed.close_reason, routed.closed_by) == ("closed", "Рекламное агентство", office_manager)
    entry = AuditEntry.objects.filter(target_type="leads.lead", target_id=str(routed.pk)).latest("id")
    assert entry.changes == {"status": ["in_work", "closed"], "close_reason": "Рекламное агентство"}
    assert list(web.get(reverse("leads:office")).context["rows"]) == []  # it left the queue
    card = web.get(reverse("leads:detail", args=[routed.pk])).content.decode()
    assert "Закрыт без сделки" in card and "Рекламное агентство" in card


def test_a_close_without_a_reason_says_so_and_changes_nothing(web, office_manager, routed):
    before = snapshot(routed)
    web.force_login(office_manager)
    response = web.post(reverse("leads:close", args=[routed.pk]), {"reason": "  "})
    assert response.status_code == 400
    assert "Обязательное поле." in response.content.decode()
    assert snapshot(routed) == before


@pytest.mark.parametrize("who, status", [("manager.msk", 404), ("callcenter", 403), ("lawyer.msk", 404)])
def test_other_roles_cannot_close_and_nothing_changes(web, everyone, routed, who, status):
    before = snapshot(routed)
    web.force_login(everyone[who])
    response = web.post(reverse("leads:close", args=[routed.pk]), {"reason": "взлом"})
    assert response.status_code == status
    assert snapshot(routed) == before
    with pytest.raises(DomainError):
        lead_close(lead=routed, by=everyone[who], reason="взлом")
    assert snapshot(routed) == before


def test_a_head_closes_their_branchs_lead_but_not_another_branchs(head_msk, head_spb, manager_msk, call_centre):
    lead, _ = lead_create(by=call_centre, source="site", phone="+79160001122", assigned_to=manager_msk)
    with pytest.raises(DomainError):
        lead_close(lead=lead, by=head_spb, reason="чужой филиал")
    assert lead_close(lead=lead, by=head_msk, reason="Ошиблись номером").status == Lead.Status.CLOSED


def test_a_closed_or_converted_lead_is_not_closed_again(office_manager, routed):
    lead_close(lead=routed, by=office_manager, reason="Реклама")
    with pytest.raises(DomainError, match="уже закрыто"):
        lead_close(lead=routed, by=office_manager, reason="ещё раз")
