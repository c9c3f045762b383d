import pytest

from integrations.yandex_disk.paths import client_folder, client_folder_name, payments_folder, stage_folder


@pytest.mark.parametrize(
    "stage, year, expected",
    [
        ("db_in_work", None, "ДБ/В работе (не заключенные)"),
        ("db_prep_court", 2026, "ДБ/Подготовка к АС"),
        ("db_in_court", 2026, "ДБ/В суде"),
        ("db_archive", 2025, "ДБ/Архив (завершенные)"),
        ("db_terminated", 2026, "ДБ/Расторжение"),
        ("du_in_work", None, "ДУ/В работе (не заключенные)"),
        ("du_contracted", 2026, "ДУ/2026"),
        ("du_done", 2025, "ДУ/2025"),
        ("du_terminated", 2024, "ДУ/2024"),
    ],
)
def test_stage_folders_are_the_firms(stage, year, expected):
    assert stage_folder(stage=stage, contract_year=year) == expected


def test_full_client_path():
    assert client_folder(
        branch_name="Москва",
        manager_full_name="Иванов Сергей Николаевич",
        stage="db_in_court",
        contract_year=2026,
        folder_name="Петров П.П.",
    ) == ("/Москва - Иванов Сергей Николаевич/ДБ/В суде/Петров П.П.")
    assert payments_folder(branch_name="Москва", manager_full_name="Иванов Сергей Николаевич") == (
        "/CRM - Москва - Иванов Сергей Николаевич"
    )


def test_namesakes_get_a_readable_suffix():
    assert client_folder_name("Иванов И.И.", taken=set(), client_id=5) == "Иванов И.И."
    assert client_folder_name("Иванов И.И.", taken={"Иванов И.И."}, client_id=6) == "Иванов И.И. (2)"
    assert client_folder_name("Иванов И.И.", taken={"Иванов И.И.", "Иванов И.И. (2)"}, client_id=7) == (
        "Иванов И.И. (3)"
    )


def test_forbidden_characters_are_replaced():
    assert client_folder_name('ООО "Ромашка/Юг"', taken=set(), client_id=1) == "ООО _Ромашка_Юг_"
