"""The two backfills of the analytics work, run as a database that predates them would run them:
rows are made through the services, the schema is taken back to before deals 0008 and clients 0003
(dropping the history table and the status columns), then migrated forward again.

The history the services wrote live is the reference: the backfill must rebuild it from the timeline.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from activities.services import client_mark_lost, client_to_pool, clients_mark_abandoned
from clients.models import Client, TimelineEntry
from clients.services import client_update
from deals.models import DealStageChange
from deals.services import deal_create, deal_import, deal_move_to_stage
from tests.factories import contract_data, court_data, make_client

pytestmark = pytest.mark.django_db(transaction=True)

MSK = ZoneInfo("Europe/Moscow")
BEFORE = [("deals", "0007_contract_number_trigram"), ("clients", "0002_client_merged_into")]
HISTORY = (
    "deal_id",
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


def migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.fixture
def migrated_again():
    """Run the test's `rerun()`: back to before the analytics migrations, then forward to today's schema
    (forward again even when the test fails, so the tests after it find today's schema)."""

    def rerun():
        migrate(BEFORE)
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    yield rerun
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def history() -> list[tuple]:
    return list(DealStageChange.objects.order_by("deal_id", "at", "id").values_list(*HISTORY))


def test_stage_history_is_rebuilt_from_the_timeline(manager_msk, manager_spb, lawyer_msk, migrated_again):
    moved = make_client(manager=manager_msk, last_name="Движимов", phones=("+79161110001",))
    with at(2026, 11, 2, 9, 0):
        deal = deal_create(by=manager_msk, client=moved, service_line="db", manager=manager_msk, source="site")
    with at(2026, 11, 5, 12, 30):
        deal_move_to_stage(deal=deal, stage="db_prep_court", by=manager_msk, data=contract_data())
    with at(2026, 11, 12, 12, 30):
        deal_move_to_stage(deal=deal, stage="db_in_court", by=lawyer_msk, data=court_data())

    still = make_client(manager=manager_spb, last_name="Стоялов", phones=("+79211110002",))
    with at(2026, 11, 3, 10, 0):
        du = deal_create(by=manager_spb, client=still, service_line="du", manager=manager_spb, source="referral")

    imported = make_client(manager=manager_spb, last_name="Импортов", phones=("+79211110003",))
    with at(2026, 11, 16, 10, 0):
        deal_import(client=imported, service_line="db", stage="db_in_court", manager=manager_spb, source_note="x")

    live = history()
    assert len(live) == 5
    migrated_again()
    assert history() == live
    assert [r[1:3] for r in live if r[0] == deal.pk] == [
        ("", "db_in_work"),
        ("db_in_work", "db_prep_court"),
        ("db_prep_court", "db_in_court"),
    ]
    assert [r[5] for r in live if r[0] == deal.pk] == [None, 3 * 86400 + 12600, 7 * 86400]
    assert [r[1:3] for r in live if r[0] == du.pk] == [("", "du_in_work")]


def test_a_move_missing_from_the_timeline_still_ends_at_the_current_stage(manager_msk, migrated_again):
    client = make_client(manager=manager_msk, last_name="Потерянов", phones=("+79161110004",))
    with at(2026, 11, 2, 9, 0):
        deal = deal_create(by=manager_msk, client=client, service_line="du", manager=manager_msk)
    with at(2026, 11, 4, 9, 0):
        deal_move_to_stage(deal=deal, stage="du_contracted", by=manager_msk, data=contract_data())
    with at(2026, 11, 9, 9, 0):
        deal_move_to_stage(deal=deal, stage="du_done", by=manager_msk, data={"outcome_date": date(2026, 11, 9)})
    TimelineEntry.objects.filter(deal=deal, kind="stage", data__to="du_done").delete()

    migrated_again()
    common = ("du", "call", manager_msk.pk, manager_msk.branch_id)
    assert history() == [
        (deal.pk, "", "du_in_work", msk(2026, 11, 2, 9, 0), None, None, *common),
        (deal.pk, "du_in_work", "du_contracted", msk(2026, 11, 4, 9, 0), msk(2026, 11, 2, 9, 0), 2 * 86400, *common),
        # The lost move, dated by the deal's own «на стадии с».
        (deal.pk, "du_contracted", "du_done", msk(2026, 11, 9, 9, 0), msk(2026, 11, 4, 9, 0), 5 * 86400, *common),
    ]


def test_client_status_dates_and_lost_reasons_come_from_the_timeline(head_msk, manager_msk, migrated_again):
    with at(2026, 9, 1, 10, 0):
        lost = make_client(manager=manager_msk, last_name="Ушедший", phones=("+79161110005",))
        pooled = make_client(manager=manager_msk, last_name="Отстойный", phones=("+79161110006",))
        abandoned = make_client(manager=manager_msk, last_name="Забытый", phones=("+79161110007",))
    with at(2026, 10, 1, 3, 0):
        assert clients_mark_abandoned() == 3
    with at(2026, 10, 20, 10, 0):
        client_to_pool(client=pooled, by=head_msk)
    with at(2026, 11, 12, 15, 0):
        client_mark_lost(client=lost, by=head_msk, reason="Ушёл к конкурентам")
    # Later edits of a card write timeline entries too; they are not the status change.
    with at(2026, 11, 20, 10, 0):
        client_update(client=pooled, by=head_msk, data={"email": "otstoy@example.com"})
    with at(2026, 11, 21, 10, 0):
        active = make_client(manager=manager_msk, last_name="Работающий", phones=("+79161110008",))
    live = {
        c.pk: (c.status, c.status_changed_at, c.lost_reason)
        for c in Client.objects.filter(pk__in=[lost.pk, pooled.pk, abandoned.pk])
    }
    assert live == {
        lost.pk: ("lost", msk(2026, 11, 12, 15, 0), "Ушёл к конкурентам"),
        pooled.pk: ("pool", msk(2026, 10, 20, 10, 0), ""),
        abandoned.pk: ("abandoned", msk(2026, 10, 1, 3, 0), ""),
    }

    migrated_again()
    after = {c.pk: (c.status, c.status_changed_at, c.lost_reason) for c in Client.objects.all()}
    assert after == {**live, active.pk: ("active", None, "")}
