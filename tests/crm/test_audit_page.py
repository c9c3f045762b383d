import pytest
from django.urls import reverse

from crm import services
from crm.models import AuditEntry

AUDIT = reverse("crm:audit_list")


@pytest.mark.parametrize("who", ["director", "admin"])
def test_director_and_admin_read_the_log(web, everyone, who):
    web.force_login(everyone[who])
    response = web.get(AUDIT)
    assert response.status_code == 200
    assert len(response.context["entries"]) == 12  # 2 branches + 10 staff created


@pytest.mark.parametrize("who", ["rop.msk", "manager.msk", "lawyer.msk", "callcenter", "office"])
def test_other_roles_are_refused(web, everyone, who):
    web.force_login(everyone[who])
    before = AuditEntry.objects.count()
    response = web.get(AUDIT)
    assert response.status_code == 403
    assert "Журнал изменений доступен директору и администратору." in response.content.decode()
    assert AuditEntry.objects.count() == before


def test_anonymous_is_sent_to_login(web, db):
    assert web.get(AUDIT).status_code == 302


def test_update_shows_old_and_new_values(web, everyone):
    services.user_update(user=everyone["manager.msk"], by=everyone["director"], data={"phone": "+7 900 000-00-00"})
    entry = AuditEntry.objects.filter(action=AuditEntry.Action.UPDATE).get()
    assert entry.changes == {"phone": ["", "+7 900 000-00-00"]}
    assert entry.actor == everyone["director"]
    web.force_login(everyone["director"])
    assert "+7 900 000-00-00" in web.get(AUDIT).content.decode()


def test_keyset_paging_and_filters(web, everyone):
    for n in range(60):
        services.audit_record(actor=everyone["director"], action=AuditEntry.Action.UPDATE, target_type="x", target_id=n)
    web.force_login(everyone["director"])
    first = web.get(AUDIT, {"action": "update"})
    assert len(first.context["entries"]) == 50
    assert first.context["next_query"]
    second = web.get(f"{AUDIT}?{first.context['next_query']}")
    assert len(second.context["entries"]) == 10
    assert not second.context["next_query"]
    assert {e.action for e in second.context["entries"]} == {"update"}


def test_page_query_count_is_fixed(web, everyone, query_count):
    for n in range(30):
        services.audit_record(actor=everyone["director"], action=AuditEntry.Action.UPDATE, target_type="x", target_id=n)
    web.force_login(everyone["director"])
    web.get(AUDIT)
    with query_count(4):  # session, user, menu counters, entries with actors joined
        web.get(AUDIT)
