import pytest
from django.urls import reverse

from crm import services
from tests.conftest import token_client

USERS = reverse("api-users")

ALL = {
    "director",
    "admin",
    "rop.msk",
    "rop.spb",
    "manager.msk",
    "manager2.msk",
    "manager.spb",
    "lawyer.msk",
    "callcenter",
    "office",
}
BRANCHLESS = {"director", "admin", "callcenter"}
MSK = {"rop.msk", "manager.msk", "manager2.msk", "lawyer.msk", "office"}
SPB = {"rop.spb", "manager.spb"}


def usernames(response):
    return {row["username"] for row in response.json()["results"]}


def test_me_describes_the_caller(manager_msk, head_msk, msk):
    response = token_client(manager_msk).get(reverse("api-me"))
    assert response.status_code == 200
    assert response.json() == {
        "id": manager_msk.pk,
        "username": "manager.msk",
        "full_name": "Иванов Сергей Николаевич",
        "role": "manager",
        "role_display": "Менеджер по продажам",
        "branch": {"id": msk.pk, "name": "Москва", "city": "Москва"},
        "supervisor": {"id": head_msk.pk, "username": "rop.msk", "full_name": "Кузнецов Дмитрий Сергеевич"},
        "email": "",
        "phone": "",
        "is_active": True,
    }


@pytest.mark.parametrize(
    "who, expected",
    [
        ("director", ALL),
        ("admin", ALL),
        ("callcenter", ALL),
        ("office", ALL),
        ("rop.msk", MSK | BRANCHLESS),
        ("manager.msk", MSK | BRANCHLESS),
        ("lawyer.msk", MSK | BRANCHLESS),
        ("manager.spb", SPB | BRANCHLESS),
    ],
)
def test_each_role_sees_its_staff(everyone, who, expected):
    response = token_client(everyone[who]).get(USERS)
    assert response.status_code == 200
    assert usernames(response) == expected


def test_filter_by_role_and_branch(everyone, msk):
    client = token_client(everyone["director"])
    assert usernames(client.get(USERS, {"role": "manager"})) == {"manager.msk", "manager2.msk", "manager.spb"}
    assert usernames(client.get(USERS, {"role": "manager", "branch": msk.pk})) == {"manager.msk", "manager2.msk"}


def test_bad_filter_is_400_with_field_error(everyone):
    response = token_client(everyone["director"]).get(USERS, {"role": "boss", "branch": "x"})
    assert response.status_code == 400
    assert set(response.json()) == {"role", "branch"}


def test_manager_cannot_filter_their_way_into_another_branch(everyone, spb):
    response = token_client(everyone["manager.msk"]).get(USERS, {"branch": spb.pk})
    assert usernames(response) == set()


def test_manager_cannot_open_other_branch_employee(everyone):
    response = token_client(everyone["manager.msk"]).get(reverse("api-user-detail", args=[everyone["manager.spb"].pk]))
    assert response.status_code == 404


def test_head_sees_dismissed_staff_but_manager_does_not(everyone):
    services.user_update(user=everyone["manager2.msk"], by=everyone["director"], data={"is_active": False})
    assert "manager2.msk" in usernames(token_client(everyone["rop.msk"]).get(USERS))
    assert "manager2.msk" not in usernames(token_client(everyone["manager.msk"]).get(USERS))


def test_list_query_count_does_not_grow_with_staff(everyone, query_count):
    client = token_client(everyone["director"])
    client.get(USERS)  # warm the token lookup path
    with query_count(2):  # token+user, staff page with branch and supervisor joined
        response = client.get(USERS)
    assert len(response.json()["results"]) == 10


def test_page_is_bounded_and_has_a_cursor(everyone):
    response = token_client(everyone["director"]).get(USERS, {"page_size": 3})
    body = response.json()
    assert len(body["results"]) == 3
    assert "cursor=" in body["next"]


def test_schema_lists_the_endpoints(everyone):
    response = token_client(everyone["director"]).get(reverse("api-schema"), {"format": "json"})
    assert response.status_code == 200
    paths = set(response.json()["paths"])
    assert {"/api/v1/auth/token/", "/api/v1/me/", "/api/v1/users/", "/api/v1/users/{id}/"} <= paths


def test_docs_page_serves_swagger_from_the_package(web, everyone):
    web.force_login(everyone["director"])
    response = web.get(reverse("api-docs"))
    assert response.status_code == 200
    assert "drf_spectacular_sidecar/swagger-ui-dist" in response.content.decode()
