"""The stage history the heads' funnel reads: one DealStageChange row per stage a deal entered,
written by deal_create, deal_move_to_stage and deal_import in the same transaction."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from clients.models import TimelineEntry
from crm.errors import DomainError
from deals.models import Deal, DealStageChange
from deals.services import deal_create, deal_import, deal_move_to_stage, deal_reassign
from tests.factories import contract_data, court_data, make_client, make_deal

MSK = ZoneInfo("Europe/Moscow")

FIELDS = (
    "from_stage",
    "to_stage",
    "at",
    "from_entered_at",
    "seconds_in_from",
    "service_line",
    "source",
    "manager_id",
    "branch_id",
)


def msk(*args) -> datetime:
    return datetime(*args, tzinfo=MSK)


def at(*args):
    return time_machine.travel(msk(*args), tick=False)


def history(deal) -> list[tuple]:
    return list(DealStageChange.objects.filter(deal=deal).order_by("at", "id").values_list(*FIELDS))


def test_deal_create_writes_the_opening_row(manager_msk):
    client = make_client(manager=manager_msk)
    with at(2026, 11, 2, 9, 0):
        deal = deal_create(by=manager_msk, client=client, service_line="db", manager=manager_msk, source="site")
    assert history(deal) == [
        ("", "db_in_work", msk(2026, 11, 2, 9, 0), None, None, "db", "site", manager_msk.pk, manager_msk.branch_id)
    ]


def test_each_move_records_where_it_came_from_and_how_long_it_sat_there(manager_msk, lawyer_msk):
    client = make_client(manager=manager_msk)
    with at(2026, 11, 2, 9, 0):
        deal = deal_create(by=manager_msk, client=client, service_line="db", manager=manager_msk, source="referral")
    with at(2026, 11, 5, 12, 30):
        deal_move_to_stage(deal=deal, stage="db_prep_court", by=manager_msk, data=contract_data())
    with at(2026, 11, 12, 12, 30):
        deal_move_to_stage(deal=deal, stage="db_in_court", by=lawyer_msk, data=court_data())
    common = ("db", "referral", manager_msk.pk, manager_msk.branch_id)
    assert history(deal) == [
        ("", "db_in_work", msk(2026, 11, 2, 9, 0), None, None, *common),
        ("db_in_work", "db_prep_court", msk(2026, 11, 5, 12, 30), msk(2026, 11, 2, 9, 0), 3 * 86400 + 12600, *common),
        ("db_prep_court", "db_in_court", msk(2026, 11, 12, 12, 30), msk(2026, 11, 5, 12, 30), 7 * 86400, *common),
    ]


def test_a_du_deal_through_to_termination(manager_spb):
    client = make_client(manager=manager_spb, phones=("+79210000001",))
    with at(2026, 11, 1, 10, 0):
        deal = deal_create(by=manager_spb, client=client, service_line="du", manager=manager_spb, source="partner")
    with at(2026, 11, 3, 10, 0):
        deal_move_to_stage(deal=deal, stage="du_contracted", by=manager_spb, data=contract_data())
    with at(2026, 11, 4, 10, 0):
        deal_move_to_stage(deal=deal, stage="du_terminated", by=manager_spb, data={"termination_reason": "Передумал"})
    rows = history(deal)
    assert [(r[0], r[1], r[4]) for r in rows] == [
        ("", "du_in_work", None),
        ("du_in_work", "du_contracted", 2 * 86400),
        ("du_contracted", "du_terminated", 86400),
    ]
    assert {r[5:] for r in rows} == {("du", "partner", manager_spb.pk, manager_spb.branch_id)}


def test_history_is_continuous_in_real_time(manager_msk):
    """Without a frozen clock: a move's `from_entered_at` is exactly when the previous row says the
    deal entered that stage, so «entered» and «moved on» of a period count the same deals."""
    deal = make_deal(manager=manager_msk)
    deal_move_to_stage(deal=deal, stage="db_prep_court", by=manager_msk, data=contract_data())
    opened, moved = DealStageChange.objects.filter(deal=deal).order_by("at", "id")
    assert moved.from_entered_at == opened.at
    deal.refresh_from_db()
    assert (opened.at, moved.at) == (deal.created_at, deal.stage_changed_at)
    assert moved.seconds_in_from == int((moved.at - opened.at).total_seconds())


def test_a_move_copies_the_manager_and_branch_at_the_time_of_the_move(manager_msk, manager2_msk, head_msk):
    client = make_client(manager=manager_msk)
    with at(2026, 11, 2, 9, 0):
        deal = deal_create(by=manager_msk, client=client, service_line="db", manager=manager_msk)
    with at(2026, 11, 3, 9, 0):
        deal_reassign(deal=deal, manager=manager2_msk, by=head_msk)
    with at(2026, 11, 4, 9, 0):
        deal_move_to_stage(deal=deal, stage="db_prep_court", by=manager2_msk, data=contract_data())
    # Reassigning is not a stage change: it writes no row, and the rows before it keep their manager.
    assert [(r[0], r[1], r[7]) for r in history(deal)] == [
        ("", "db_in_work", manager_msk.pk),
        ("db_in_work", "db_prep_court", manager2_msk.pk),
    ]


@pytest.mark.parametrize(
    ("stage", "data", "by_name"),
    [
        ("db_prep_court", {"contract_number": "1"}, "manager_msk"),  # a required field missing
        ("db_in_court", {**contract_data(), **court_data()}, "manager_msk"),  # skipping a stage
        ("db_prep_court", contract_data(), "manager_spb"),  # another branch's deal
        ("du_contracted", contract_data(), "manager_msk"),  # a stage of the other pipeline
        ("db_in_work", {}, "manager_msk"),  # the stage it is in
    ],
)
def test_a_refused_move_writes_no_history(everyone, stage, data, by_name):
    manager = everyone["manager.msk"]
    with at(2026, 11, 2, 9, 0):
        deal = make_deal(manager=manager)
    before = history(deal)
    with at(2026, 11, 4, 9, 0), pytest.raises(DomainError):
        deal_move_to_stage(deal=deal, stage=stage, by=everyone[by_name.replace("_", ".")], data=data)
    assert history(deal) == before
    assert len(before) == 1
    assert Deal.objects.get(pk=deal.pk).stage == "db_in_work"
    assert not TimelineEntry.objects.filter(deal=deal, kind="stage").exists()


def test_deal_import_enters_at_the_folder_stage(manager_spb):
    client = make_client(manager=manager_spb, phones=("+79210000002",))
    with at(2026, 11, 16, 10, 0):
        deal = deal_import(
            client=client, service_line="db", stage="db_in_court", manager=manager_spb, source_note="СПб/ДБ/В суде"
        )
    # It entered the CRM at that stage: no rows for the stages it went through before the CRM.
    assert history(deal) == [
        ("", "db_in_court", msk(2026, 11, 16, 10, 0), None, None, "db", "other", manager_spb.pk, manager_spb.branch_id)
    ]
    with at(2026, 11, 20, 10, 0):
        deal_move_to_stage(
            deal=deal,
            stage="db_archive",
            by=manager_spb,
            data={"outcome_written_off": True, "outcome_date": date(2026, 11, 20)},
        )
    assert history(deal)[-1][:5] == (
        "db_in_court",
        "db_archive",
        msk(2026, 11, 20, 10, 0),
        msk(2026, 11, 16, 10, 0),
        4 * 86400,
    )


def test_deal_import_refused_for_a_wrong_stage_writes_nothing(manager_spb):
    client = make_client(manager=manager_spb, phones=("+79210000003",))
    with pytest.raises(DomainError):
        deal_import(client=client, service_line="du", stage="db_in_court", manager=manager_spb, source_note="x")
    assert not DealStageChange.objects.exists()
