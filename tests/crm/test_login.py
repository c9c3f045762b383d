from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from crm import services
from crm.models import AuditEntry, LoginFailure
from tests.factories import TEST_PASSWORD

LOGIN = reverse("crm:login")


def post_login(web, username, password):
    return web.post(LOGIN, {"username": username, "password": password})


def test_login_page_is_russian(web, db):
    page = web.get(LOGIN)
    assert page.status_code == 200
    assert "Войти" in page.content.decode()


def test_anonymous_home_redirects_to_login(web, db):
    response = web.get("/")
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next=/"


def test_right_password_logs_in_and_is_audited(web, manager_msk):
    response = post_login(web, "manager.msk", TEST_PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert web.get("/").context["user"] == manager_msk
    entry = AuditEntry.objects.get(action=AuditEntry.Action.LOGIN)
    assert (entry.actor, entry.target_id, entry.ip) == (manager_msk, str(manager_msk.pk), "127.0.0.1")


def test_wrong_password_shows_russian_error_and_records_failure(web, manager_msk):
    response = post_login(web, "manager.msk", "wrong")
    assert response.status_code == 200
    assert "Неверный логин или пароль." in response.content.decode()
    assert "_auth_user_id" not in web.session
    assert LoginFailure.objects.filter(username="manager.msk").count() == 1


def test_inactive_employee_cannot_log_in(web, manager_msk, director):
    services.user_update(user=manager_msk, by=director, data={"is_active": False})
    response = post_login(web, "manager.msk", TEST_PASSWORD)
    assert response.status_code == 200
    assert "_auth_user_id" not in web.session


def test_five_failures_lock_even_the_right_password(web, manager_msk):
    for _ in range(5):
        post_login(web, "manager.msk", "wrong")
    response = post_login(web, "manager.msk", TEST_PASSWORD)
    body = response.content.decode()
    assert "Слишком много неудачных попыток входа. Попробуйте снова через 15 мин." in body
    assert "_auth_user_id" not in web.session
    assert AuditEntry.objects.filter(action=AuditEntry.Action.LOGIN_LOCKED).count() == 1
    # The locked attempt is not counted as one more failure: the lock does not extend itself.
    assert LoginFailure.objects.count() == 5


def test_four_failures_do_not_lock(web, manager_msk):
    for _ in range(4):
        post_login(web, "manager.msk", "wrong")
    assert post_login(web, "manager.msk", TEST_PASSWORD).status_code == 302


def test_lock_is_per_login(web, manager_msk, manager2_msk):
    for _ in range(5):
        post_login(web, "manager.msk", "wrong")
    assert post_login(web, "manager2.msk", TEST_PASSWORD).status_code == 302


def test_lock_ends_when_window_passes(web, manager_msk):
    for _ in range(5):
        post_login(web, "manager.msk", "wrong")
    LoginFailure.objects.update(at=timezone.now() - timedelta(minutes=16))
    assert post_login(web, "manager.msk", TEST_PASSWORD).status_code == 302


def test_login_is_case_insensitive_for_the_lock(web, manager_msk):
    for _ in range(5):
        post_login(web, "Manager.MSK", "wrong")
    response = post_login(web, "manager.msk", TEST_PASSWORD)
    assert "Слишком много неудачных попыток" in response.content.decode()


def test_success_clears_earlier_failures(web, manager_msk):
    for _ in range(4):
        post_login(web, "manager.msk", "wrong")
    post_login(web, "manager.msk", TEST_PASSWORD)
    assert LoginFailure.objects.count() == 0


def test_one_address_spraying_many_logins_is_locked(web, db):
    for n in range(20):
        post_login(web, f"nobody{n}", "wrong")
    response = post_login(web, "someone-else", "wrong")
    assert "Слишком много неудачных попыток" in response.content.decode()


def test_logout_requires_post_and_is_audited(web, manager_msk):
    web.force_login(manager_msk)
    assert web.get(reverse("crm:logout")).status_code == 405
    response = web.post(reverse("crm:logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in web.session
    assert AuditEntry.objects.filter(action=AuditEntry.Action.LOGOUT, actor=manager_msk).count() == 1


def test_password_change_keeps_session_and_is_audited(web, manager_msk):
    web.force_login(manager_msk)
    response = web.post(
        reverse("crm:password_change"),
        {"old_password": TEST_PASSWORD, "new_password1": "new-Secret-991", "new_password2": "new-Secret-991"},
    )
    assert response.status_code == 302
    manager_msk.refresh_from_db()
    assert manager_msk.check_password("new-Secret-991")
    assert web.get("/").status_code == 200
    assert AuditEntry.objects.filter(action=AuditEntry.Action.PASSWORD_CHANGE, actor=manager_msk).count() == 1


def test_password_change_with_wrong_old_password_changes_nothing(web, manager_msk):
    web.force_login(manager_msk)
    response = web.post(
        reverse("crm:password_change"),
        {"old_password": "nope", "new_password1": "new-Secret-991", "new_password2": "new-Secret-991"},
    )
    assert response.status_code == 200
    assert "Ваш старый пароль введен неправильно" in response.content.decode()
    manager_msk.refresh_from_db()
    assert manager_msk.check_password(TEST_PASSWORD)
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.PASSWORD_CHANGE).exists()


@pytest.mark.parametrize("days, expected_left", [(40, 1), (10, 2)])
def test_purge_forgets_only_old_failures(db, days, expected_left):
    LoginFailure.objects.create(username="a", at=timezone.now() - timedelta(days=days))
    LoginFailure.objects.create(username="b")
    services.login_failures_purge(older_than=timedelta(days=30))
    assert LoginFailure.objects.count() == expected_left
