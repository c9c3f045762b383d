"""Demo end-of-day reports: two weeks in every state, loaded once."""

import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from crm import access
from crm.models import User
from reports.models import DailyReport
from reports.selectors import missing_filers

pytestmark = pytest.mark.django_db


def test_demo_has_reports_in_every_state_and_is_idempotent():
    with time_machine.travel(datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Europe/Moscow")), tick=False):
        call_command("seed_demo", stdout=io.StringIO())
        count = DailyReport.objects.count()
        call_command("seed_demo", stdout=io.StringIO())
    assert DailyReport.objects.count() == count > 0
    current = DailyReport.objects.filter(is_current=True)
    assert current.filter(status="reviewed").exclude(review_comment="").exists()
    assert current.filter(status="submitted").exists()
    assert current.filter(version=2).exists() and DailyReport.objects.filter(is_current=False, version=1).exists()
    days = sorted(set(DailyReport.objects.values_list("date", flat=True)))
    assert len(days) == 10  # two weeks of working days before 24 November 2026
    managers = [u for u in User.objects.filter(is_active=True) if access.files_daily_report(u)]
    assert any(missing_filers(d) for d in days)  # some days were not filed
    assert all(len(missing_filers(d)) < len(managers) for d in days)
