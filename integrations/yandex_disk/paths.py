"""Where each client's folder lives on the firm's Disk, exactly as the firm lays it out:

    <Филиал> - <ФИО менеджера>/ДБ/<папка стадии>/<Фамилия И.О.>
    <Филиал> - <ФИО менеджера>/ДУ/<год договора>/<Фамилия И.О.>
    CRM - <Филиал> - <ФИО менеджера>/                      (the payments table)

A ДУ client has no contract year before the contract is signed: such folders
live in «ДУ/В работе (не заключенные)», the same name the ДБ side uses for
clients without a contract, and move into the year folder when it is signed.
"""

from crm.pipelines import Stage

DB_STAGE_FOLDERS = {
    Stage.DB_IN_WORK: "В работе (не заключенные)",
    Stage.DB_PREP_COURT: "Подготовка к АС",
    Stage.DB_IN_COURT: "В суде",
    Stage.DB_ARCHIVE: "Архив (завершенные)",
    Stage.DB_TERMINATED: "Расторжение",
}
DU_BEFORE_CONTRACT = "В работе (не заключенные)"
# Characters the Disk (and Windows, where people sync it) will not take in a name.
_FORBIDDEN = str.maketrans(dict.fromkeys('\\/:*?"<>|', "_"))


def clean_name(name: str) -> str:
    return " ".join(name.translate(_FORBIDDEN).split()) or "_"


def manager_root(*, branch_name: str, manager_full_name: str) -> str:
    return f"/{clean_name(branch_name)} - {clean_name(manager_full_name)}"


def payments_folder(*, branch_name: str, manager_full_name: str) -> str:
    return f"/CRM - {clean_name(branch_name)} - {clean_name(manager_full_name)}"


def stage_folder(*, stage: str, contract_year: int | None) -> str:
    """The folder under the manager's root that a deal in `stage` belongs to."""
    if stage in DB_STAGE_FOLDERS:
        return f"ДБ/{DB_STAGE_FOLDERS[stage]}"
    if stage == Stage.DU_IN_WORK or contract_year is None:
        return f"ДУ/{DU_BEFORE_CONTRACT}"
    return f"ДУ/{contract_year}"


def client_folder_name(short_name: str, *, taken: set[str], client_id: int) -> str:
    """«Иванов И.И.», or «Иванов И.И. (2)» when a different client already holds that name.

    The suffix is chosen once, when the folder is first made, and then kept
    on the client, so a namesake arriving or leaving later never renames it.
    """
    base = clean_name(short_name)
    if base not in taken:
        return base
    n = 2
    while f"{base} ({n})" in taken:
        n += 1
    return f"{base} ({n})"


def client_folder(
    *, branch_name: str, manager_full_name: str, stage: str, contract_year: int | None, folder_name: str
) -> str:
    root = manager_root(branch_name=branch_name, manager_full_name=manager_full_name)
    return f"{root}/{stage_folder(stage=stage, contract_year=contract_year)}/{folder_name}"
