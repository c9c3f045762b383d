from django.urls import reverse
from rest_framework.authtoken.models import Token

from crm import services
from crm.models import AuditEntry
from tests.conftest import token_client
from tests.factories import TEST_PASSWORD

TOKEN_URL = reverse("api-token")


def test_token_for_right_password(api, manager_msk):
    response = api.post(TOKEN_URL, {"username": "manager.msk", "password": TEST_PASSWORD}, format="json")
    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=manager_msk).key}


def test_same_token_on_second_call(api, manager_msk):
    first = api.post(TOKEN_URL, {"username": "manager.msk", "password": TEST_PASSWORD}, format="json").json()
    second = api.post(TOKEN_URL, {"username": "manager.msk", "password": TEST_PASSWORD}, format="json").json()
    assert first == second
    assert AuditEntry.objects.filter(action=AuditEntry.Action.TOKEN_ISSUED).count() == 1


def test_token_is_used_as_authorization_header(api, manager_msk):
    token = api.post(TOKEN_URL, {"username": "manager.msk", "password": TEST_PASSWORD}, format="json").json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get(reverse("api-me")).json()["username"] == "manager.msk"


def test_wrong_password_is_400_in_russian_and_issues_nothing(api, manager_msk):
    response = api.post(TOKEN_URL, {"username": "manager.msk", "password": "wrong"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Неверный логин или пароль."]}
    assert Token.objects.count() == 0


def test_missing_fields_are_field_errors(api, db):
    response = api.post(TOKEN_URL, {}, format="json")
    assert response.status_code == 400
    assert response.json() == {"username": ["Обязательное поле."], "password": ["Обязательное поле."]}
    assert Token.objects.count() == 0


def test_five_failures_answer_429_with_retry_after(api, manager_msk):
    for _ in range(5):
        api.post(TOKEN_URL, {"username": "manager.msk", "password": "wrong"}, format="json")
    response = api.post(TOKEN_URL, {"username": "manager.msk", "password": TEST_PASSWORD}, format="json")
    assert response.status_code == 429
    assert 14 * 60 < int(response["Retry-After"]) <= 15 * 60 + 1
    assert response.json()["detail"].startswith("Слишком много неудачных попыток входа")
    assert Token.objects.count() == 0


def test_web_and_api_failures_share_one_lock(web, api, manager_msk):
    for _ in range(3):
        web.post(reverse("crm:login"), {"username": "manager.msk", "password": "wrong"})
    for _ in range(2):
        api.post(TOKEN_URL, {"username": "manager.msk", "password": "wrong"}, format="json")
    response = api.post(TOKEN_URL, {"username": "manager.msk", "password": TEST_PASSWORD}, format="json")
    assert response.status_code == 429


def test_no_token_is_401(api, db):
    response = api.get(reverse("api-me"))
    assert response.status_code == 401


def test_deactivated_employee_token_stops_working(manager_msk, director):
    client = token_client(manager_msk)
    assert client.get(reverse("api-me")).status_code == 200
    services.user_update(user=manager_msk, by=director, data={"is_active": False})
    assert client.get(reverse("api-me")).status_code == 401
    assert not Token.objects.filter(user=manager_msk).exists()
