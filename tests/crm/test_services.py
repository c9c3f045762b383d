import pytest
from rest_framework.authtoken.models import Token

from crm import services
from crm.errors import DomainError
from crm.models import AuditEntry, User
from crm.roles import Role
from tests.factories import UserFactory


def assert_unchanged(user, **expected):
    user.refresh_from_db()
    for field, value in expected.items():
        assert getattr(user, field) == value


def test_branch_role_needs_a_branch(db):
    with pytest.raises(DomainError) as err:
        UserFactory(username="m", role=Role.MANAGER, branch=None)
    assert (err.value.field, err.value.message) == ("branch", "Для роли «Менеджер по продажам» нужно указать филиал.")
    assert not User.objects.filter(username="m").exists()


def test_duplicate_login_is_refused_whatever_the_case(manager_msk, msk):
    with pytest.raises(DomainError) as err:
        UserFactory(username="MANAGER.msk", branch=msk)
    assert err.value.field == "username"
    assert User.objects.filter(username__iexact="manager.msk").count() == 1


def test_supervisor_loop_is_refused_and_nothing_changes(head_msk, manager_msk, director):
    with pytest.raises(DomainError) as err:
        services.user_update(user=head_msk, by=director, data={"supervisor": manager_msk})
    assert err.value.message == "Цепочка руководителей не может замыкаться в круг."
    assert_unchanged(head_msk, supervisor=director)
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.UPDATE).exists()


def test_own_supervisor_is_refused(manager_msk, director):
    with pytest.raises(DomainError, match="сам себе"):
        services.user_update(user=manager_msk, by=director, data={"supervisor": manager_msk})


def test_inactive_supervisor_is_refused(manager_msk, manager2_msk, director):
    services.user_update(user=manager2_msk, by=director, data={"is_active": False})
    with pytest.raises(DomainError, match="действующим"):
        services.user_update(user=manager_msk, by=director, data={"supervisor": manager2_msk})


def test_unknown_field_is_refused(manager_msk, director):
    with pytest.raises(DomainError):
        services.user_update(user=manager_msk, by=director, data={"password": "x"})


def test_update_records_only_what_changed(manager_msk, spb, head_spb, director):
    services.user_update(user=manager_msk, by=director, data={"branch": spb, "supervisor": head_spb, "phone": ""})
    entry = AuditEntry.objects.get(action=AuditEntry.Action.UPDATE)
    assert entry.changes == {
        "branch": ["Москва", "Санкт-Петербург"],
        "supervisor": ["Кузнецов Дмитрий Сергеевич", "Волкова Елена Андреевна"],
    }


def test_update_with_no_change_writes_no_entry(manager_msk, director):
    services.user_update(user=manager_msk, by=director, data={"full_name": manager_msk.full_name})
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.UPDATE).exists()


def test_deactivation_revokes_api_token(manager_msk, director):
    services.api_token_issue(user=manager_msk, ip=None)
    services.user_update(user=manager_msk, by=director, data={"is_active": False})
    assert not Token.objects.filter(user=manager_msk).exists()


def test_create_is_audited_with_the_card(director, msk):
    user = services.user_create(
        by=director,
        username="new",
        full_name="Новиков Новик Новикович",
        role=Role.LAWYER,
        password="x-Secret-77",
        branch=msk,
    )
    entry = AuditEntry.objects.get(action=AuditEntry.Action.CREATE, target_id=str(user.pk))
    assert entry.actor == director
    assert entry.changes["role"] == "lawyer"
    assert entry.changes["branch"] == "Москва"
    assert user.check_password("x-Secret-77")


def test_short_name(db):
    assert User(full_name="Иванов Сергей Николаевич").short_name == "Иванов С.Н."
    assert User(full_name="Иванов").short_name == "Иванов"
    assert User(username="ivanov", full_name="").short_name == "ivanov"


def test_only_admin_role_enters_admin_site(everyone):
    assert {u for u, p in everyone.items() if p.is_staff} == {"admin"}
