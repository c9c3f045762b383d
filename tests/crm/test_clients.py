import pytest

from clients.models import Client
from clients.selectors import client_get_for_user, contact_lookup
from clients.services import client_update, comment_add, personal_data_reveal
from crm.errors import DomainError
from crm.models import AuditEntry, Notification
from crm.validators import clean_inn, clean_snils, mask
from deals.services import deal_move_to_stage
from tests.factories import contract_data, make_client, make_deal


def test_checksums():
    assert clean_inn("7707083893") == "7707083893"
    assert clean_inn("500100732259") == "500100732259"
    assert clean_snils("112-233-445 95") == "112-233-445 95"
    for bad, cleaner in (("7707083894", clean_inn), ("112-233-445 96", clean_snils)):
        with pytest.raises(DomainError, match="контрольн"):
            cleaner(bad)


def test_mask_keeps_the_tail():
    assert mask("4510 123456") == "•••• ••••56"
    assert mask("") == ""


def test_bad_inn_on_edit_changes_nothing(manager_msk):
    client = make_client(manager=manager_msk)
    with pytest.raises(DomainError):
        client_update(client=client, by=manager_msk, data={"inn": "7707083894", "region": "Москва"})
    client.refresh_from_db()
    assert (client.inn, client.region) == ("", "")


def test_personal_data_change_is_audited_masked(manager_msk):
    client = make_client(manager=manager_msk)
    client_update(client=client, by=manager_msk, data={"passport": "4510123456"})
    entry = AuditEntry.objects.filter(target_type="clients.client", action="update").get()
    assert entry.changes == {"passport": ["", "•••• ••••56"]}


def test_reveal_is_logged(manager_msk):
    client = make_client(manager=manager_msk, passport="4510 123456")
    assert personal_data_reveal(client=client, by=manager_msk, field="passport") == "4510 123456"
    entry = AuditEntry.objects.get(action="view_pd")
    assert (entry.actor, entry.target_id, entry.changes) == (manager_msk, str(client.pk), {"field": "passport"})


def test_rename_goes_to_timeline(manager_msk):
    client = make_client(manager=manager_msk)
    client_update(client=client, by=manager_msk, data={"last_name": "Новиков"})
    client.refresh_from_db()
    assert client.display_name == "Новиков Иван Петрович"
    assert (
        client.timeline.filter(kind="change")
        .get()
        .text.startswith("Клиент переименован: «Клиентов Иван Петрович» → «Новиков Иван Петрович».")
    )


def test_mention_notifies_only_who_may_see(manager_msk, head_msk, manager_spb):
    client = make_client(manager=manager_msk)
    comment_add(client=client, by=manager_msk, text="@rop.msk посмотрите, и @manager.spb тоже")
    assert list(Notification.objects.values_list("user__username", flat=True)) == ["rop.msk"]


def test_card_access(everyone):
    client = make_client(manager=everyone["manager.msk"])
    for who in ("manager.msk", "rop.msk", "director", "admin"):
        assert client_get_for_user(everyone[who], client.pk) == client
    from django.http import Http404

    for who in ("manager2.msk", "manager.spb", "rop.spb", "lawyer.msk", "callcenter", "office"):
        with pytest.raises(Http404):
            client_get_for_user(everyone[who], client.pk)


def test_lawyer_sees_client_once_contracted(everyone):
    deal = make_deal(manager=everyone["manager.msk"])
    deal_move_to_stage(deal=deal, stage="db_prep_court", by=everyone["manager.msk"], data=contract_data())
    assert client_get_for_user(everyone["lawyer.msk"], deal.client_id) == deal.client


def test_call_centre_finds_client_by_any_spelling_of_phone(everyone):
    client = make_client(manager=everyone["manager.msk"], phones=["+7 (916) 123-45-67"])
    assert contact_lookup(everyone["callcenter"], phone="89161234567") == [client]
    assert contact_lookup(everyone["manager.spb"], phone="89161234567") == []


def test_client_needs_a_contact(manager_msk):
    with pytest.raises(DomainError, match="телефон или e-mail"):
        make_client(manager=manager_msk, phones=())
    assert Client.objects.count() == 0


def test_edit_page_never_shows_personal_data_and_keeps_it_when_blank(web, manager_msk):
    from django.urls import reverse

    client = make_client(manager=manager_msk, passport="4510 123456")
    web.force_login(manager_msk)
    url = reverse("clients:client_edit", args=[client.pk])
    assert "4510 123456" not in web.get(url).content.decode()
    response = web.post(
        url,
        {
            "kind": "person",
            "last_name": "Клиентов",
            "first_name": "Иван",
            "patronymic": "Петрович",
            "phones": "+79161234567, 8 926 000-00-00",
            "region": "Тверь",
            "inn": "500100732259",
        },
    )
    assert response.status_code == 302
    client.refresh_from_db()
    assert (client.passport, client.inn, client.region) == ("4510 123456", "500100732259", "Тверь")
    assert list(client.phones.values_list("number_norm", flat=True)) == ["79161234567", "79260000000"]


def test_edit_with_bad_snils_shows_error_and_changes_nothing(web, manager_msk):
    from django.urls import reverse

    client = make_client(manager=manager_msk)
    web.force_login(manager_msk)
    response = web.post(
        reverse("clients:client_edit", args=[client.pk]),
        {
            "kind": "person",
            "last_name": "Другой",
            "first_name": "Иван",
            "phones": "+79161234567",
            "snils": "112-233-445 96",
        },
    )
    assert response.status_code == 400
    assert "СНИЛС введён с ошибкой" in response.content.decode()
    client.refresh_from_db()
    assert (client.last_name, client.snils) == ("Клиентов", "")


@pytest.mark.parametrize("who, status", [("manager2.msk", 404), ("callcenter", 404), ("lawyer.msk", 404)])
def test_edit_refused_to_others(web, everyone, who, status):
    from django.urls import reverse

    client = make_client(manager=everyone["manager.msk"])
    web.force_login(everyone[who])
    response = web.post(
        reverse("clients:client_edit", args=[client.pk]),
        {"kind": "person", "last_name": "Х", "first_name": "Y", "phones": "+79160000000"},
    )
    assert response.status_code == status
    client.refresh_from_db()
    assert client.last_name == "Клиентов"


def test_email_copies_of_notifications_go_once(settings, manager_msk, head_msk, django_capture_on_commit_callbacks):
    from django.core import mail

    from crm import outbox
    from crm.models import OutboxJob
    from crm.notifications import notify

    manager_msk.email = "ivanov@example.ru"
    manager_msk.save(update_fields=["email"])
    settings.EMAIL_ENABLED = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify(users=[manager_msk, head_msk], text="Новая задача: Перезвонить", url="/tasks/1/", skip=head_msk)
    assert len(callbacks) == 1  # the worker is woken only after the commit
    (job,) = OutboxJob.objects.all()
    assert (job.kind, job.status) == ("mail.notification", "pending")
    assert outbox.deliver(job.kind, job.key) == "sent"
    assert outbox.deliver(job.kind, job.key) == "nothing"  # done: a second hint sends nothing twice
    job.status = "pending"
    job.save()
    assert outbox.deliver(job.kind, job.key) == "nothing"  # even a job run again finds the copy sent
    (message,) = mail.outbox
    assert (message.to, message.subject) == (["ivanov@example.ru"], "CRM: Новая задача: Перезвонить")
    assert message.body.endswith("/tasks/1/")
