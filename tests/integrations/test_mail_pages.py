"""«Моя почта», `/api/v1/me/mailbox/` and the shared mailboxes' admin, against the real test servers on
loopback (pymap for IMAP, aiosmtpd for SMTP): connecting is checked, refusals are explained in Russian on
their field and save nothing, the app password is never shown back."""

import pytest
from django.urls import reverse

from integrations.mail import services
from integrations.models import Mailbox
from tests.conftest import token_client
from tests.standins.mail_fixtures import MANAGER_ADDRESS, MANAGER_PASSWORD, connect_mailbox, servers

pytestmark = pytest.mark.django_db

PAGE = "integrations:mail_mine"
SHARED_ADDRESS = "info@crm.test"
SHARED_PASSWORD = "info-app-password"


# --- «Моя почта» ------------------------------------------------------------------------------------


def test_the_page_connects_with_the_app_password_and_shows_it_works(
    mail_on, web, manager_msk, imap_server, smtp_server
):
    web.force_login(manager_msk)
    page = web.get(reverse(PAGE)).content.decode()
    assert "Моя почта" in page and 'data-testid="menu-my-mail"' in page
    # Yandex's servers are the defaults, folded under «Дополнительно».
    assert 'value="imap.yandex.ru"' in page and 'value="465"' in page and '<details class="mb-3 fold">' in page
    body = {"action": "connect", "username": MANAGER_ADDRESS, **servers(imap_server, smtp_server)}
    connected = web.post(reverse(PAGE), {**body, "password": MANAGER_PASSWORD})
    assert connected.status_code == 302 and connected["Location"] == reverse(PAGE)
    mailbox = Mailbox.objects.get()
    assert (mailbox.kind, mailbox.owner, mailbox.address, mailbox.state) == (
        "personal",
        manager_msk,
        MANAGER_ADDRESS,
        "ok",
    )
    page = web.get(reverse(PAGE)).content.decode()
    assert 'data-testid="mail-state">Работает<' in page and MANAGER_PASSWORD not in page
    # A test server's settings are shown, the fold open.
    assert f'value="{imap_server.port}"' in page and '<details class="mb-3 fold" open>' in page


def test_a_wrong_password_is_explained_on_the_form_and_nothing_is_saved(
    mail_on, web, manager_msk, imap_server, smtp_server
):
    web.force_login(manager_msk)
    body = {"action": "connect", "username": MANAGER_ADDRESS, **servers(imap_server, smtp_server)}
    answer = web.post(reverse(PAGE), {**body, "password": "not-the-app-password"})
    page = answer.content.decode()
    assert answer.status_code == 200 and 'data-testid="mail-error-password"' in page
    assert "Нужен пароль приложения для почты" in page and "включите доступ по IMAP" in page
    assert "not-the-app-password" not in page and not Mailbox.objects.exists()


def test_check_marks_a_revoked_password_failed_then_ok_and_disconnect_forgets_the_box(
    mail_on, web, manager_msk, imap_server, smtp_server
):
    connect_mailbox(manager_msk, imap_server, smtp_server)
    web.force_login(manager_msk)
    # The app password revoked in Yandex ID: the check says why, and the box stops being polled.
    imap_server.add_user(MANAGER_ADDRESS, "a-new-one")
    page = web.post(reverse(PAGE), {"action": "check"}, follow=True).content.decode()
    mailbox = Mailbox.objects.get()
    assert mailbox.state == "failed" and mailbox.last_error == services.AUTH_HELP
    assert 'data-testid="mail-state">Ошибка<' in page and 'data-testid="mail-error"' in page
    imap_server.add_user(MANAGER_ADDRESS, MANAGER_PASSWORD)
    page = web.post(reverse(PAGE), {"action": "check"}, follow=True).content.decode()
    mailbox.refresh_from_db()
    assert (mailbox.state, mailbox.last_error) == ("ok", "") and "Подключение работает." in page
    page = web.post(reverse(PAGE), {"action": "disconnect"}, follow=True).content.decode()
    assert not Mailbox.objects.exists() and "Почта отключена" in page and 'data-testid="mail-state"' not in page


def test_switched_off_the_page_says_so_and_changes_nothing(settings, web, manager_msk):
    settings.MAIL_ENABLED = False
    web.force_login(manager_msk)
    page = web.get(reverse(PAGE)).content.decode()
    assert 'data-testid="mail-off"' in page and 'data-testid="mail-form"' not in page
    body = {"action": "connect", "username": MANAGER_ADDRESS, "password": MANAGER_PASSWORD}
    assert web.post(reverse(PAGE), body).status_code == 302
    assert not Mailbox.objects.exists()


def test_the_page_and_the_api_are_closed_to_the_anonymous(web, api, db):
    assert web.get(reverse(PAGE)).status_code == 302
    assert api.get(reverse("api-mailbox")).status_code == 401


# --- API ------------------------------------------------------------------------------------------


def test_api_put_answers_with_the_check_get_reads_back_delete_forgets(mail_on, manager_msk, imap_server, smtp_server):
    api = token_client(manager_msk)
    url = reverse("api-mailbox")
    assert api.get(url).status_code == 404
    body = {"username": MANAGER_ADDRESS, **servers(imap_server, smtp_server)}
    wrong = api.put(url, {**body, "password": "wrong"}, format="json")
    assert wrong.status_code == 400 and wrong.json() == {"password": [services.AUTH_HELP]}
    assert not Mailbox.objects.exists()
    ok = api.put(url, {**body, "password": MANAGER_PASSWORD}, format="json")
    assert ok.status_code == 200
    assert ok.json() == {
        "username": MANAGER_ADDRESS,
        **servers(imap_server, smtp_server),
        "state": "ok",
        "last_check_at": ok.json()["last_check_at"],
        "last_polled_at": None,
        "last_error": "",
    }
    got = api.get(url)
    assert got.status_code == 200 and got.json() == ok.json() and MANAGER_PASSWORD not in got.content.decode()
    assert api.delete(url).status_code == 204
    assert not Mailbox.objects.exists()
    assert api.get(url).status_code == 404 and api.delete(url).status_code == 404


def test_api_plain_text_is_refused_for_a_server_not_on_this_machine(mail_on, manager_msk):
    # The defaults are Yandex's; refused before any connection is tried.
    answer = token_client(manager_msk).put(
        reverse("api-mailbox"), {"username": MANAGER_ADDRESS, "password": "x", "security": "plain"}, format="json"
    )
    assert answer.status_code == 400 and list(answer.json()) == ["security"]
    assert "только тестовый сервер" in answer.json()["security"][0]
    assert not Mailbox.objects.exists()


def test_api_is_503_while_mail_is_switched_off(settings, manager_msk):
    settings.MAIL_ENABLED = False
    api = token_client(manager_msk)
    url = reverse("api-mailbox")
    body = {"username": MANAGER_ADDRESS, "password": MANAGER_PASSWORD}
    for answer in (api.get(url), api.put(url, body, format="json"), api.delete(url)):
        assert answer.status_code == 503 and "выключена" in answer.json()["detail"]
    assert not Mailbox.objects.exists()


# --- the admin: shared mailboxes ---------------------------------------------------------------------


@pytest.fixture
def info_box_user(imap_server, smtp_server):
    imap_server.add_user(SHARED_ADDRESS, SHARED_PASSWORD)
    smtp_server.add_user(SHARED_ADDRESS, SHARED_PASSWORD)


def test_the_admin_adds_a_checked_shared_box_and_names_who_handles_it(
    mail_on, web, admin_user, call_centre, office_manager, imap_server, smtp_server, info_box_user
):
    web.force_login(admin_user)
    add = reverse("admin:integrations_mailbox_add")
    body = {"address": SHARED_ADDRESS, **servers(imap_server, smtp_server), "handlers": [call_centre.pk]}
    refused = web.post(add, {**body, "password": "wrong"})
    assert refused.status_code == 200 and "Нужен пароль приложения" in refused.content.decode()
    assert not Mailbox.objects.exists()
    assert web.post(add, {**body, "password": SHARED_PASSWORD}).status_code == 302
    box = Mailbox.objects.get()
    assert (box.kind, box.owner, box.address, box.state) == ("shared", None, SHARED_ADDRESS, "ok")
    assert list(box.handlers.all()) == [call_centre]
    assert services.decrypt(box.password_encrypted) == SHARED_PASSWORD
    # Changing only who handles it needs no password and no new check.
    change = reverse("admin:integrations_mailbox_change", args=[box.pk])
    page = web.get(change).content.decode()
    assert SHARED_PASSWORD not in page and box.password_encrypted not in page
    imap_server.stop()
    answer = web.post(change, {**servers(imap_server, smtp_server), "handlers": [office_manager.pk], "password": ""})
    assert answer.status_code == 302
    box.refresh_from_db()
    assert list(box.handlers.all()) == [office_manager] and box.state == "ok"


def test_personal_boxes_are_read_only_in_the_admin(mail_on, web, admin_user, manager_msk, imap_server, smtp_server):
    box = connect_mailbox(manager_msk, imap_server, smtp_server)
    web.force_login(admin_user)
    change = reverse("admin:integrations_mailbox_change", args=[box.pk])
    page = web.get(change).content.decode()
    assert MANAGER_ADDRESS in page and 'name="password"' not in page and 'name="imap_host"' not in page
    edit = {"address": "other@crm.test", **servers(imap_server, smtp_server), "password": "x"}
    assert web.post(change, edit).status_code == 403
    assert web.post(reverse("admin:integrations_mailbox_delete", args=[box.pk]), {"post": "yes"}).status_code == 403
    box.refresh_from_db()
    assert box.address == MANAGER_ADDRESS


def test_a_non_admin_is_refused_the_mailboxes_admin(web, manager_msk):
    web.force_login(manager_msk)
    answer = web.get(reverse("admin:integrations_mailbox_changelist"))
    assert answer.status_code == 302 and answer["Location"].startswith(reverse("admin:login"))
