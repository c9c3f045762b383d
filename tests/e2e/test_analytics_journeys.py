"""The heads' analytics in a real browser, on the demo office.

A head of sales opens «Аналитика» from «Ещё»: the funnel of the branch with its chart beside
the table; he widens the period, keeps the ДБ pipeline, reads the figures (a count by hand
of the demo's clients) and downloads the Excel file, which holds the same numbers; the other
tabs keep his filters; a period that ends before it starts is refused in Russian with a 400
and no figures. The director has the branch filter and reads the funnel by branch. The
charts are photographed on a desktop and on a phone.
"""

import io
import re
from decimal import Decimal

import pytest
from django.core.management import call_command
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from crm import demo
from tests.e2e.conftest import PHONE, SCREENSHOTS
from tests.e2e.helpers import at, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Tuesday evening, after every demo move of the day (web/demo/pipeline.py: moves within working hours).
EVENING = (2026, 11, 24, 18, 0)
FUNNEL = "/reports/analytics/funnel/"

# The Moscow ДБ deals of the demo (web/demo/pipeline.py CLIENTS, row n): Белов (n 0) and Ильин (6)
# in work, Громова (1) preparing for court, Данилов (2) in court, Ершова (3) archived, Жуков (4)
# terminated after the contract. Days in stage of those that left it: «в работе» 10 + n % 5
# (n 1–4: 11, 12, 13, 14), «подготовка» 30 + n (n 2, 3: 32, 33) or 20 to termination (n 4),
# «в суде» 25 (n 3). In their stage for more than 30 days now: Громова (81), Данилов (45).
MOSCOW_DB = [
    ["ДБ · В работе (не заключён)", "6", "4", "66,7 %", "0", "12,5 дн.", "0"],
    ["ДБ · Подготовка к АС", "4", "2", "50,0 %", "1", "32,0 дн.", "1"],
    ["ДБ · В суде", "2", "1", "50,0 %", "0", "25,0 дн.", "1"],
    ["ДБ · Архив (завершён)", "1", "—", "—", "—", "—", "—"],
    ["ДБ · Расторжение", "1", "—", "—", "—", "—", "—"],
]


def enter_demo(page: Page, live_server, username: str) -> None:
    page.goto("/login/")
    log_in(page, username, demo.DEMO_PASSWORD)
    page.wait_for_url(f"{live_server.url}/")


def table_text(page: Page, key: str) -> list[list[str]]:
    rows = page.get_by_test_id(f"table-{key}").locator("table tbody tr")
    return [[cell.strip() for cell in row.locator("td").all_inner_texts()] for row in rows.all()]


def as_number(text: str):
    """A cell as the page shows it («66,7 %», «12,5 дн.», «1 234,00 ₽», «—»), as the number it stands for."""
    if text == "—":
        return None
    digits = re.sub(r"[^\d,\-]", "", text).replace(",", ".")
    return Decimal(digits) if digits else text


def sheet_rows(path, title: str, first_header: str) -> list[list]:
    """The rows under the header of a sheet, numbers as Decimals (openpyxl reads them as int or float)."""
    rows = list(load_workbook(path)[title].iter_rows(values_only=True))
    start = next(i for i, row in enumerate(rows) if row[0] == first_header)
    return [
        [Decimal(str(v)) if isinstance(v, int | float) and not isinstance(v, bool) else v for v in row]
        for row in rows[start + 1 :]
    ]


@pytest.fixture
def demo_office(transactional_db):
    with at(*EVENING):
        call_command("seed_demo", stdout=io.StringIO())
        yield


def test_head_reads_the_funnel_exports_it_and_walks_the_tabs(
    page: Page, live_server, demo_office, page_problems, screenshot, tmp_path
):
    with at(*EVENING):
        enter_demo(page, live_server, "rop.msk")
        page.get_by_role("button", name="Ещё", exact=True).click()
        page.get_by_role("link", name="Аналитика", exact=True).click()
        page.wait_for_url(f"{live_server.url}{FUNNEL}")
        expect(page.get_by_role("heading", level=1)).to_have_text("Аналитика")
        expect(page.get_by_test_id("analytics-tabs").locator(".active")).to_have_text("Воронка и потери")
        # A head's figures are the branch's: no branch to choose but his own.
        expect(page.get_by_label("Филиал", exact=True)).to_have_text("Москва")
        expect(page.get_by_test_id("chart-stages")).to_be_visible()
        expect(page.get_by_test_id("table-stages")).to_be_visible()

        page.get_by_label("С", exact=True).fill("2026-07-27")
        page.get_by_label("Воронка", exact=True).select_option(label="ДБ — банкротство физлиц")
        page.get_by_role("button", name="Показать").click()
        page.wait_for_url("**/reports/analytics/funnel/?*date_from=2026-07-27*pipeline=db*")
        expect(page.get_by_test_id("table-stages").locator("tbody tr")).to_have_count(len(MOSCOW_DB))
        shown = table_text(page, "stages")
        assert shown == MOSCOW_DB
        expect(page.get_by_test_id("chart-stages").locator("rect")).to_have_count(len(MOSCOW_DB))
        screenshot(page, "analytics-funnel-head")

        with page.expect_download() as info:
            page.get_by_test_id("export-xlsx").click()
        assert info.value.suggested_filename == "funnel-20260727-20261124.xlsx"
        path = tmp_path / "funnel.xlsx"
        info.value.save_as(path)
        in_excel = sheet_rows(path, "Воронка по стадиям", "Стадия")
        assert in_excel == [[row[0], *(as_number(cell) for cell in row[1:])] for row in shown]
        # Every table of the page is a sheet of the file.
        sections = page.locator("[data-testid^='table-']")
        titles = [t.strip() for t in sections.locator(".card-header").all_inner_texts()]
        names = load_workbook(path).sheetnames  # Excel cuts a sheet's name at 31 characters
        assert [title[: len(name)] for title, name in zip(titles, names, strict=True)] == names

        # The other dashboards keep the filters: the branch's ДБ payments since July.
        page.get_by_test_id("analytics-tabs").get_by_role("link", name="Платежи: план и факт").click()
        page.wait_for_url("**/reports/analytics/payments/?*date_from=2026-07-27*pipeline=db*")
        expect(page.get_by_test_id("chart-months")).to_be_visible()
        # Громова and Данилов owe 50 000 ₽ on 10 October (paid on the 11th) and on 9 November (not paid).
        months = {row[0]: row[1:3] for row in table_text(page, "months")}
        assert months["Октябрь 2026"] == ["100 000,00 ₽", "100 000,00 ₽"]
        assert months["Ноябрь 2026"] == ["100 000,00 ₽", "0,00 ₽"]
        screenshot(page, "analytics-payments-head")

        page.get_by_test_id("analytics-tabs").get_by_role("link", name="Эффективность менеджеров").click()
        page.wait_for_url("**/reports/analytics/efficiency/?*date_from=2026-07-27*")
        managers = [row[0] for row in table_text(page, "managers")]
        assert "Иванов Сергей Николаевич" in managers and "Петрова Анна Игоревна" in managers
        assert "Соколов Павел Олегович" not in managers  # St Petersburg's
        screenshot(page, "analytics-efficiency-head")

        # A period that ends before it starts: said in Russian, answered 400, no figures.
        page.get_by_label("С", exact=True).fill("2026-11-20")
        page.get_by_label("по", exact=True).fill("2026-11-01")
        with page.expect_response(lambda r: "/reports/analytics/efficiency/" in r.url) as answer:
            page.get_by_role("button", name="Показать").click()
        assert answer.value.status == 400
        expect(page.get_by_text("Конец периода раньше его начала.")).to_be_visible()
        expect(page.get_by_test_id("filter-errors")).to_be_visible()
        expect(page.locator("[data-testid^='table-']")).to_have_count(0)
        expect(page.get_by_test_id("export-xlsx")).to_have_count(0)
        screenshot(page, "analytics-bad-period")
        # The refusal is the point here: the browser logs it as an error response, nothing else went wrong.
        assert page_problems == [f"400 {answer.value.url}"]
        page_problems.clear()
    assert page_problems == []


def test_director_chooses_a_branch_and_reads_the_funnel_by_branch(
    page: Page, live_server, demo_office, page_problems, screenshot
):
    with at(*EVENING):
        enter_demo(page, live_server, "director")
        page.goto(f"{FUNNEL}?date_from=2026-07-27")
        branch = page.get_by_label("Филиал", exact=True)
        expect(branch.locator("option")).to_have_text(["Все", "Москва", "Санкт-Петербург"])
        people = page.get_by_test_id("table-people")
        expect(people.locator(".card-header")).to_have_text("По филиалам")
        # Moscow: 10 deals opened, 7 contracts (ДБ 4 × 150 000, ДУ 3 × 40 000), 2 terminated;
        # St Petersburg: 3 opened, 2 contracts (150 000 + 40 000).
        rows = {row[0]: row[1:3] + row[4:6] for row in table_text(page, "people")}
        assert rows == {
            "Москва": ["10", "7", "720 000,00 ₽", "2"],
            "Санкт-Петербург": ["3", "2", "190 000,00 ₽", "0"],
        }
        expect(page.get_by_test_id("chart-people")).to_be_visible()
        screenshot(page, "analytics-funnel-director")

        branch.select_option(label="Санкт-Петербург")
        page.get_by_role("button", name="Показать").click()
        page.wait_for_url("**/reports/analytics/funnel/?*branch=*")
        expect(page.get_by_test_id("table-people").locator(".card-header")).to_have_text("По менеджерам")
        assert [row[0] for row in table_text(page, "people")] == ["Соколов Павел Олегович"]
    assert page_problems == []


@pytest.mark.parametrize("viewport", [PHONE])
def test_the_charts_read_on_a_phone(page: Page, live_server, demo_office, page_problems, screenshot):
    with at(*EVENING):
        enter_demo(page, live_server, "rop.msk")
        page.goto(f"{FUNNEL}?date_from=2026-07-27")
        chart = page.get_by_test_id("chart-stages")
        expect(chart).to_be_visible()
        # The chart fits the screen: no sideways scrolling to read a bar.
        box = chart.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        screenshot(page, "analytics-funnel-phone")
        # The first card at its real size, to look at the chart and its table closely.
        page.get_by_test_id("table-stages").screenshot(path=str(SCREENSHOTS / "analytics-funnel-phone-stages.png"))
        page.goto("/reports/analytics/payments/?date_from=2026-07-27")
        expect(page.get_by_test_id("chart-months")).to_be_visible()
        screenshot(page, "analytics-payments-phone")
        page.get_by_test_id("table-months").screenshot(path=str(SCREENSHOTS / "analytics-payments-phone-months.png"))
    assert page_problems == []
