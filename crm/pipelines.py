"""The firm's two pipelines, exactly as its Yandex.Disk folders.

Stage codes are stable: the API, the board and the Disk mirror use them.
"""

from django.db import models


class ServiceLine(models.TextChoices):
    DB = "db", "ДБ — банкротство физлиц"
    DU = "du", "ДУ — юридические услуги"


class Stage(models.TextChoices):
    DB_IN_WORK = "db_in_work", "В работе (не заключён)"
    DB_PREP_COURT = "db_prep_court", "Подготовка к АС"
    DB_IN_COURT = "db_in_court", "В суде"
    DB_ARCHIVE = "db_archive", "Архив (завершён)"
    DB_TERMINATED = "db_terminated", "Расторжение"
    DU_IN_WORK = "du_in_work", "В работе (не заключён)"
    DU_CONTRACTED = "du_contracted", "Договор заключён"
    DU_DONE = "du_done", "Завершён"
    DU_TERMINATED = "du_terminated", "Расторжение"


# The main line of each pipeline, in order; termination sits beside it.
ORDER = {
    ServiceLine.DB: [Stage.DB_IN_WORK, Stage.DB_PREP_COURT, Stage.DB_IN_COURT, Stage.DB_ARCHIVE],
    ServiceLine.DU: [Stage.DU_IN_WORK, Stage.DU_CONTRACTED, Stage.DU_DONE],
}
TERMINATED = {ServiceLine.DB: Stage.DB_TERMINATED, ServiceLine.DU: Stage.DU_TERMINATED}
# Board columns: the main line, then termination.
COLUMNS = {line: [*ORDER[line], TERMINATED[line]] for line in ServiceLine}

FIRST_STAGE = {line: ORDER[line][0] for line in ServiceLine}
# A contract is signed in these stages: lawyers see the client, termination is possible.
CONTRACTED = frozenset({Stage.DB_PREP_COURT, Stage.DB_IN_COURT, Stage.DB_ARCHIVE, Stage.DU_CONTRACTED, Stage.DU_DONE})
# Closed deals need no planned activity and leave the manager's active work.
CLOSED = frozenset({Stage.DB_ARCHIVE, Stage.DB_TERMINATED, Stage.DU_DONE, Stage.DU_TERMINATED})

# What a move into a stage must bring.
CONTRACT_FIELDS = ("contract_number", "contract_date", "fee")
REQUIRED_FIELDS = {
    Stage.DB_PREP_COURT: CONTRACT_FIELDS,
    Stage.DU_CONTRACTED: CONTRACT_FIELDS,
    Stage.DB_IN_COURT: ("court", "case_number", "filing_date"),
    Stage.DB_ARCHIVE: ("outcome_written_off", "outcome_date"),
    Stage.DU_DONE: ("outcome_date",),
    Stage.DB_TERMINATED: ("termination_reason",),
    Stage.DU_TERMINATED: ("termination_reason",),
}


def line_of(stage: str) -> ServiceLine:
    return ServiceLine.DB if stage.startswith("db_") else ServiceLine.DU


def allowed_targets(stage: str) -> list[str]:
    """Stages a deal in `stage` may move to: the next one on the main line, or
    termination once a contract is signed. Never a skip, never backwards."""
    line = line_of(stage)
    order = ORDER[line]
    targets = []
    if stage in order and order.index(stage) + 1 < len(order):
        targets.append(order[order.index(stage) + 1])
    if stage in CONTRACTED and stage not in CLOSED:
        targets.append(TERMINATED[line])
    return targets
