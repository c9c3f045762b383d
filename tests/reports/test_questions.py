"""The branch's extra questions in the end-of-day report, set by its head (or the director) on a page of their own."""

import pytest
from django.urls import reverse

from crm.errors import DomainError
from crm.models import AuditEntry
from reports import services
from reports.models import ReportQuestion

CHOICE = {"text": "Сколько договоров в работе?", "kind": "choice", "options": "0\n1–2\n3 и больше", "order": 1}


def test_a_head_adds_a_choice_question_and_the_managers_form_asks_it(web, head_msk, manager_msk, msk):
    web.force_login(head_msk)
    page = web.get(reverse("reports:questions"))
    assert page.status_code == 200 and page.context["branch"] == msk
    response = web.post(reverse("reports:questions"), {**CHOICE, "required": "on", "is_active": "on"})
    assert response.status_code == 302
    question = ReportQuestion.objects.get()
    assert (question.branch, question.kind, question.option_list, question.required, question.is_active) == (
        msk,
        "choice",
        ["0", "1–2", "3 и больше"],
        True,
        True,
    )
    assert AuditEntry.objects.filter(target_type="reports.reportquestion", action="create").count() == 1
    web.force_login(manager_msk)
    assert "Сколько договоров в работе?" in web.get(reverse("reports:today")).content.decode()


def test_a_choice_without_options_is_refused_in_russian_and_nothing_is_stored(web, head_msk):
    web.force_login(head_msk)
    response = web.post(reverse("reports:questions"), {**CHOICE, "options": "один", "is_active": "on"})
    assert response.status_code == 400
    assert "Для выбора нужны хотя бы два варианта, по одному в строке." in response.content.decode()
    assert ReportQuestion.objects.count() == 0


def test_switching_a_question_off_keeps_it_and_hides_it_from_the_report(web, head_msk, manager_msk, msk):
    question = services.report_question_save(by=head_msk, branch=msk, data={**CHOICE, "is_active": True})
    web.force_login(head_msk)
    response = web.post(reverse("reports:question_edit", args=[question.pk]), {**CHOICE, "order": 2})
    assert response.status_code == 302
    question.refresh_from_db()
    assert (question.is_active, question.order) == (False, 2)
    web.force_login(manager_msk)
    assert "Сколько договоров в работе?" not in web.get(reverse("reports:today")).content.decode()


@pytest.mark.parametrize("who", ["manager.msk", "lawyer.msk", "callcenter", "office", "admin"])
def test_other_roles_cannot_set_questions_and_nothing_changes(web, everyone, msk, who):
    web.force_login(everyone[who])
    assert web.get(reverse("reports:questions")).status_code == 403
    assert web.post(reverse("reports:questions"), {**CHOICE, "is_active": "on"}).status_code == 403
    with pytest.raises(DomainError):
        services.report_question_save(by=everyone[who], branch=msk, data=CHOICE)
    assert ReportQuestion.objects.count() == 0


def test_another_branchs_head_gets_404_on_a_question_and_changes_nothing(web, head_msk, head_spb, msk):
    question = services.report_question_save(by=head_msk, branch=msk, data={**CHOICE, "is_active": True})
    web.force_login(head_spb)
    assert web.get(reverse("reports:question_edit", args=[question.pk])).status_code == 404
    assert (
        web.post(reverse("reports:question_edit", args=[question.pk]), {**CHOICE, "text": "взлом"}).status_code == 404
    )
    question.refresh_from_db()
    assert question.text == CHOICE["text"]
    # Their own list is their branch's, never Moscow's.
    assert web.get(reverse("reports:questions")).context["questions"] == []


def test_the_director_picks_the_branch(web, director, msk, spb):
    web.force_login(director)
    response = web.post(
        f"{reverse('reports:questions')}?branch={spb.pk}", {**CHOICE, "branch": spb.pk, "is_active": "on"}
    )
    assert response.status_code == 302
    assert ReportQuestion.objects.get().branch == spb
