"""The record rule every later selector builds on: exact Q per role."""

import pytest
from django.db.models import Q

from crm import access


def test_director_and_admin_see_every_record(everyone):
    assert access.records_q(everyone["director"]) == Q()
    assert access.records_q(everyone["admin"]) == Q()


def test_head_sees_own_branch(everyone, msk):
    assert access.records_q(everyone["rop.msk"]) == Q(branch_id=msk.pk)


def test_manager_sees_own(everyone):
    manager = everyone["manager.msk"]
    assert access.records_q(manager, owner="manager") == Q(manager_id=manager.pk)


def test_lawyer_sees_contracted_of_own_branch(everyone, msk):
    lawyer = everyone["lawyer.msk"]
    signed = Q(stage__in=["db_prep_court"])
    assert access.records_q(lawyer, contracted=signed) == Q(branch_id=msk.pk) & signed
    # A rule that cannot tell contracted rows gives the lawyer nothing rather than everything.
    assert access.records_q(lawyer) == access.NOTHING


@pytest.mark.parametrize("who", ["callcenter", "office"])
def test_call_centre_and_office_get_no_case_files(everyone, who):
    assert access.records_q(everyone[who], contracted=Q(stage__in=["db_prep_court"])) == access.NOTHING


def test_inactive_or_anonymous_get_nothing(everyone, director):
    from django.contrib.auth.models import AnonymousUser

    from crm import services

    services.user_update(user=everyone["manager.msk"], by=director, data={"is_active": False})
    everyone["manager.msk"].refresh_from_db()
    assert access.records_q(everyone["manager.msk"]) == access.NOTHING
    assert access.records_q(AnonymousUser()) == access.NOTHING
    assert access.staff_q(AnonymousUser()) == access.NOTHING


def test_head_without_branch_gets_nothing(db, director):
    from crm.models import User
    from crm.roles import Role

    # Bypass the service's check to model a broken row: the rule must still fail closed.
    head = User.objects.create(username="lost", full_name="Без Филиала", role=Role.HEAD_OF_SALES)
    assert access.records_q(head) == access.NOTHING


@pytest.mark.parametrize(
    "who, allowed",
    [
        ("director", True),
        ("admin", True),
        ("rop.msk", False),
        ("manager.msk", False),
        ("lawyer.msk", False),
        ("callcenter", False),
        ("office", False),
    ],
)
def test_audit_log_readers(everyone, who, allowed):
    assert access.can_read_audit_log(everyone[who]) is allowed
