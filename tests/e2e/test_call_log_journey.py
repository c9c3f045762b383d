"""The heads' call log in a real browser, on the demo office's two weeks of calls.

The Moscow head opens «Ещё → Звонки» (offered where Mango is connected), widens the period to the last two
weeks and reads the branch's calls by manager and day; the totals equal a count made here from the calls
themselves, St Petersburg's staff is nowhere on the page, and the Excel file holds the same totals.
"""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from crm import demo
from crm.models import User
from integrations.models import MangoCall
from tests.e2e.helpers import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _hand_count(branch_id, since, until) -> dict:
    """The branch's calls of the period, counted one by one as the page's definitions say."""
    calls = [
        c
        for c in MangoCall.objects.select_related("staff", "client__manager")
        if since <= timezone.localdate(c.appeared_at) <= until
    ]

    def person(c):
        if c.staff is not None:
            return c.staff
        missed = c.direction == "inbound" and c.answered is False
        return c.client.manager if missed and c.client is not None else None

    mine = [c for c in calls if person(c) is not None and person(c).branch_id == branch_id]
    return {
        "total": len(mine),
        "answered": sum(c.direction == "inbound" and c.answered is True for c in mine),
        "missed": sum(c.direction == "inbound" and c.answered is False for c in mine),
        "outbound": sum(c.direction == "outbound" for c in mine),
    }


def test_head_reads_the_branch_call_log_and_downloads_it(page: Page, live_server, settings, screenshot, tmp_path):
    settings.MANGO_ENABLED = True
    call_command("seed_demo", stdout=io.StringIO())
    head = User.objects.get(username="rop.msk")
    until = timezone.localdate()
    since = until - timedelta(days=13)
    expected = _hand_count(head.branch_id, since, until)
    assert expected["total"] > 0 and expected["missed"] > 0

    page.goto("/login/")
    log_in(page, "rop.msk", demo.DEMO_PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    page.get_by_role("button", name="Ещё").click()
    page.get_by_role("link", name="Звонки").click()
    page.wait_for_url(f"{live_server.url}/integrations/calls/")
    page.get_by_label("С", exact=True).fill(since.isoformat())
    page.get_by_label("по", exact=True).fill(until.isoformat())
    page.get_by_role("button", name="Показать").click()
    totals = page.get_by_test_id("call-log-totals")
    expect(totals).to_be_visible()
    cells = [c.strip() for c in totals.locator("td").all_inner_texts()]
    assert cells[1:5] == [str(expected[k]) for k in ("total", "answered", "missed", "outbound")]
    table = page.get_by_test_id("call-log").inner_text()
    for outsider in User.objects.exclude(branch_id=head.branch_id).exclude(branch__isnull=True):
        assert outsider.full_name not in table
    screenshot(page, "mango-call-log")

    with page.expect_download() as download:
        page.get_by_test_id("export-xlsx").click()
    path = tmp_path / "calls.xlsx"
    download.value.save_as(path)
    rows = list(load_workbook(path).active.iter_rows(values_only=True))
    total_row = next(r for r in rows if r and r[0] == "Итого")
    assert [int(v) for v in total_row[2:6]] == [expected[k] for k in ("total", "answered", "missed", "outbound")]
