import pytest
from django.urls import reverse

from crm.models import AuditEntry, User


@pytest.mark.parametrize("who", ["director", "rop.msk", "manager.msk", "lawyer.msk", "callcenter", "office"])
def test_only_admin_role_gets_in(web, everyone, who):
    web.force_login(everyone[who])
    response = web.get(reverse("admin:crm_user_changelist"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.parametrize("who", ["director", "rop.msk", "manager.msk"])
def test_non_admin_post_changes_nothing(web, everyone, who):
    target = everyone["manager.spb"]
    web.force_login(everyone[who])
    web.post(reverse("admin:crm_user_change", args=[target.pk]), {"full_name": "Взломщик", "role": "director"})
    target.refresh_from_db()
    assert (target.full_name, target.role) == ("Соколов Павел Олегович", "manager")


def test_admin_lists_staff(web, everyone):
    web.force_login(everyone["admin"])
    response = web.get(reverse("admin:crm_user_changelist"))
    assert response.status_code == 200
    assert "Соколов Павел Олегович" in response.content.decode()


def test_admin_hires_through_the_service(web, everyone, msk):
    web.force_login(everyone["admin"])
    response = web.post(
        reverse("admin:crm_user_add"),
        {
            "username": "manager3.msk",
            "full_name": "Зайцев Илья Романович",
            "role": "manager",
            "branch": msk.pk,
            "supervisor": everyone["rop.msk"].pk,
            "email": "",
            "phone": "",
            "password1": "Very-secret-55",
            "password2": "Very-secret-55",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(username="manager3.msk")
    assert (user.branch, user.supervisor) == (msk, everyone["rop.msk"])
    assert user.check_password("Very-secret-55")
    assert AuditEntry.objects.filter(action="create", target_id=str(user.pk), actor=everyone["admin"]).exists()


def test_admin_form_shows_org_chart_error_and_changes_nothing(web, everyone):
    head = everyone["rop.msk"]
    web.force_login(everyone["admin"])
    response = web.post(
        reverse("admin:crm_user_change", args=[head.pk]),
        {
            "username": head.username,
            "full_name": head.full_name,
            "role": "head_of_sales",
            "branch": head.branch_id,
            "supervisor": everyone["manager.msk"].pk,
            "email": "",
            "phone": "",
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert "Цепочка руководителей не может замыкаться в круг." in response.content.decode()
    head.refresh_from_db()
    assert head.supervisor == everyone["director"]


def test_admin_resets_a_password_and_it_is_audited(web, everyone):
    target = everyone["manager.msk"]
    web.force_login(everyone["admin"])
    url = reverse("admin:crm_user_password", args=[target.pk])
    assert web.get(url).status_code == 200
    response = web.post(url, {"password1": "Brand-new-77", "password2": "Brand-new-77"})
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.check_password("Brand-new-77")
    assert AuditEntry.objects.filter(action="password_change", target_id=str(target.pk), actor=everyone["admin"])


def test_staff_cannot_be_deleted(web, everyone):
    web.force_login(everyone["admin"])
    response = web.post(reverse("admin:crm_user_delete", args=[everyone["manager.msk"].pk]), {"post": "yes"})
    assert response.status_code == 403
    assert User.objects.filter(username="manager.msk").exists()
