from datetime import date
from decimal import Decimal

import pytest

from clients.models import TimelineEntry
from crm.errors import DomainError
from crm.models import AuditEntry
from deals.models import Deal, DealStageCount
from deals.services import deal_move_to_stage, deal_reassign
from tests.factories import contract_data, court_data, make_deal


def counts(**filters):
    return dict(DealStageCount.objects.filter(**filters).values_list("stage", "count"))


def assert_unchanged(deal, stage):
    fresh = Deal.objects.get(pk=deal.pk)
    assert fresh.stage == stage
    assert fresh.contract_number == ""


def test_new_deal_starts_in_work_and_counts(manager_msk):
    deal = make_deal(manager=manager_msk)
    assert deal.stage == "db_in_work"
    assert deal.branch_id == manager_msk.branch_id
    assert counts(manager=manager_msk) == {"db_in_work": 1}


def test_move_with_contract_fields(manager_msk):
    deal = make_deal(manager=manager_msk)
    deal_move_to_stage(deal=deal, stage="db_prep_court", by=manager_msk, data=contract_data())
    deal.refresh_from_db()
    assert (deal.stage, deal.contract_number, deal.fee) == ("db_prep_court", "ДБ-17/2026", Decimal("120000"))
    assert counts(manager=manager_msk) == {"db_in_work": 0, "db_prep_court": 1}
    stage_line = TimelineEntry.objects.get(kind="stage")
    assert stage_line.text == "Стадия: «В работе (не заключён)» → «Подготовка к АС»"
    audit = AuditEntry.objects.filter(target_type="deals.deal", action="update").get()
    assert audit.changes["stage"] == ["db_in_work", "db_prep_court"]
    assert audit.changes["fee"] == [None, "120000"]


def test_move_without_required_fields_is_refused_and_changes_nothing(manager_msk):
    deal = make_deal(manager=manager_msk)
    with pytest.raises(DomainError) as err:
        deal_move_to_stage(deal=deal, stage="db_prep_court", by=manager_msk, data={"contract_number": "1"})
    assert err.value.message == "Для стадии «Подготовка к АС» укажите: дату договора, стоимость услуг."
    assert_unchanged(deal, "db_in_work")
    assert counts(manager=manager_msk) == {"db_in_work": 1}
    assert not TimelineEntry.objects.filter(kind="stage").exists()


def test_skipping_a_stage_is_refused(manager_msk):
    deal = make_deal(manager=manager_msk)
    with pytest.raises(DomainError) as err:
        deal_move_to_stage(deal=deal, stage="db_in_court", by=manager_msk, data={**contract_data(), **court_data()})
    assert err.value.message == "Из стадии «В работе (не заключён)» можно перейти только в «Подготовка к АС»."
    assert_unchanged(deal, "db_in_work")


def test_moving_back_is_refused(manager_msk):
    deal = make_deal(manager=manager_msk)
    deal_move_to_stage(deal=deal, stage="db_prep_court", by=manager_msk, data=contract_data())
    with pytest.raises(DomainError, match="можно перейти только в «В суде», «Расторжение»"):
        deal_move_to_stage(deal=deal, stage="db_in_work", by=manager_msk, data={})


def test_termination_needs_a_contract_and_a_reason(manager_msk):
    deal = make_deal(manager=manager_msk)
    with pytest.raises(DomainError):
        deal_move_to_stage(deal=deal, stage="db_terminated", by=manager_msk, data={"termination_reason": "Передумал"})
    deal_move_to_stage(deal=deal, stage="db_prep_court", by=manager_msk, data=contract_data())
    with pytest.raises(DomainError, match="укажите: причину расторжения"):
        deal_move_to_stage(deal=deal, stage="db_terminated", by=manager_msk, data={})
    deal_move_to_stage(deal=deal, stage="db_terminated", by=manager_msk, data={"termination_reason": "Передумал"})
    deal.refresh_from_db()
    assert deal.closed_at is not None


@pytest.mark.parametrize(
    "number, ok",
    [
        ("А40-123456/2024", True),
        ("A40-123456/2024", True),
        ("А40-12/2024", True),
        ("40-123456/2024", False),
        ("А40-123456-2024", False),
        ("А4-1/2024", False),
    ],
)
def test_case_number_format(manager_msk, number, ok):
    deal = make_deal(manager=manager_msk)
    deal_move_to_stage(deal=deal, stage="db_prep_court", by=manager_msk, data=contract_data())
    data = {**court_data(), "case_number": number}
    if ok:
        deal_move_to_stage(deal=deal, stage="db_in_court", by=manager_msk, data=data)
        deal.refresh_from_db()
        assert deal.case_number.startswith("А40-")  # Cyrillic А, whatever was typed
    else:
        with pytest.raises(DomainError, match="А40-123456/2024"):
            deal_move_to_stage(deal=deal, stage="db_in_court", by=manager_msk, data=data)
        assert Deal.objects.get(pk=deal.pk).stage == "db_prep_court"


def test_future_contract_date_is_refused(manager_msk):
    deal = make_deal(manager=manager_msk)
    with pytest.raises(DomainError, match="не может быть в будущем"):
        deal_move_to_stage(
            deal=deal,
            stage="db_prep_court",
            by=manager_msk,
            data={**contract_data(), "contract_date": date(2099, 1, 1)},
        )


def test_full_db_path_to_archive(manager_msk):
    deal = make_deal(manager=manager_msk)
    deal_move_to_stage(deal=deal, stage="db_prep_court", by=manager_msk, data=contract_data())
    deal_move_to_stage(deal=deal, stage="db_in_court", by=manager_msk, data=court_data())
    deal_move_to_stage(
        deal=deal,
        stage="db_archive",
        by=manager_msk,
        data={"outcome_written_off": True, "outcome_date": date(2026, 11, 20)},
    )
    assert Deal.objects.get(pk=deal.pk).stage == "db_archive"
    with pytest.raises(DomainError, match="никуда"):
        deal_move_to_stage(deal=deal, stage="db_terminated", by=manager_msk, data={"termination_reason": "x"})


def test_du_pipeline(manager_msk):
    deal = make_deal(manager=manager_msk, service_line="du")
    assert deal.stage == "du_in_work"
    with pytest.raises(DomainError, match="Такой стадии нет"):
        deal_move_to_stage(deal=deal, stage="db_prep_court", by=manager_msk, data=contract_data())
    deal_move_to_stage(deal=deal, stage="du_contracted", by=manager_msk, data=contract_data())
    deal_move_to_stage(deal=deal, stage="du_done", by=manager_msk, data={"outcome_date": date(2026, 11, 20)})


def test_other_branch_manager_cannot_move_and_nothing_changes(manager_msk, manager_spb):
    deal = make_deal(manager=manager_msk)
    with pytest.raises(DomainError, match="Нет доступа"):
        deal_move_to_stage(deal=deal, stage="db_prep_court", by=manager_spb, data=contract_data())
    assert_unchanged(deal, "db_in_work")


def test_colleague_in_same_branch_cannot_move(manager_msk, manager2_msk):
    deal = make_deal(manager=manager_msk)
    with pytest.raises(DomainError, match="Нет доступа"):
        deal_move_to_stage(deal=deal, stage="db_prep_court", by=manager2_msk, data=contract_data())


@pytest.mark.parametrize("who", ["callcenter", "office"])
def test_call_centre_and_office_cannot_move(everyone, who):
    deal = make_deal(manager=everyone["manager.msk"])
    with pytest.raises(DomainError):
        deal_move_to_stage(deal=deal, stage="db_prep_court", by=everyone[who], data=contract_data())
    assert_unchanged(deal, "db_in_work")


def test_head_moves_branch_deal(manager_msk, head_msk):
    deal = make_deal(manager=manager_msk)
    deal_move_to_stage(deal=deal, stage="db_prep_court", by=head_msk, data=contract_data())
    assert Deal.objects.get(pk=deal.pk).stage == "db_prep_court"


def test_lawyer_files_with_court_but_cannot_sign(manager_msk, lawyer_msk):
    deal = make_deal(manager=manager_msk)
    with pytest.raises(DomainError, match="Нет доступа"):  # not contracted yet: invisible to the lawyer
        deal_move_to_stage(deal=deal, stage="db_prep_court", by=lawyer_msk, data=contract_data())
    deal_move_to_stage(deal=deal, stage="db_prep_court", by=manager_msk, data=contract_data())
    deal_move_to_stage(deal=deal, stage="db_in_court", by=lawyer_msk, data=court_data())
    assert Deal.objects.get(pk=deal.pk).stage == "db_in_court"


def test_head_reassigns_within_branch(manager_msk, manager2_msk, head_msk):
    deal = make_deal(manager=manager_msk)
    deal_reassign(deal=deal, manager=manager2_msk, by=head_msk)
    deal.refresh_from_db()
    deal.client.refresh_from_db()
    assert (deal.manager, deal.client.manager) == (manager2_msk, manager2_msk)
    assert counts(manager=manager_msk) == {"db_in_work": 0}
    assert counts(manager=manager2_msk) == {"db_in_work": 1}


def test_head_cannot_reassign_to_other_branch(manager_msk, manager_spb, head_msk):
    deal = make_deal(manager=manager_msk)
    with pytest.raises(DomainError, match="только менеджеру своего филиала"):
        deal_reassign(deal=deal, manager=manager_spb, by=head_msk)
    assert Deal.objects.get(pk=deal.pk).manager == manager_msk


def test_other_head_cannot_reassign(manager_msk, manager2_msk, head_spb):
    deal = make_deal(manager=manager_msk)
    with pytest.raises(DomainError, match="РОП филиала или директор"):
        deal_reassign(deal=deal, manager=manager2_msk, by=head_spb)


def test_director_reassigns_across_branches(manager_msk, manager_spb, director):
    deal = make_deal(manager=manager_msk)
    deal_reassign(deal=deal, manager=manager_spb, by=director)
    deal.refresh_from_db()
    assert (deal.branch, deal.client.branch) == (manager_spb.branch, manager_spb.branch)
    assert counts(branch=manager_spb.branch) == {"db_in_work": 1}


def test_manager_cannot_reassign(manager_msk, manager2_msk):
    deal = make_deal(manager=manager_msk)
    with pytest.raises(DomainError):
        deal_reassign(deal=deal, manager=manager2_msk, by=manager_msk)


def test_admin_lists_deals_but_cannot_change_them(web, admin_user, manager_msk):
    from django.urls import reverse

    deal = make_deal(manager=manager_msk)
    web.force_login(admin_user)
    assert web.get(reverse("admin:deals_deal_changelist")).status_code == 200
    web.post(reverse("admin:deals_deal_change", args=[deal.pk]), {"stage": "db_archive"})
    assert Deal.objects.get(pk=deal.pk).stage == "db_in_work"
    assert web.get(reverse("admin:deals_stageautomation_add")).status_code == 200
