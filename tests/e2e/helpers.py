"""Steps shared by the browser journeys."""

from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine
from playwright.sync_api import Page

from tests.factories import TEST_PASSWORD

MSK = ZoneInfo("Europe/Moscow")


def moment(*args) -> datetime:
    """A Moscow wall-clock time: moment(2026, 11, 25, 10, 0)."""
    return datetime(*args, tzinfo=MSK)


def at(*args):
    """Freeze the clock (this process: the test, the services and the live server's thread) at a Moscow time."""
    return time_machine.travel(moment(*args), tick=False)


def log_in(page: Page, username: str, password: str = TEST_PASSWORD) -> None:
    """Fill and submit the login form on the current page."""
    page.get_by_label("Логин", exact=True).fill(username)
    page.get_by_label("Пароль", exact=True).fill(password)
    page.get_by_role("button", name="Войти", exact=True).click()


def enter_as(page: Page, live_server, username: str) -> None:
    """Start from a clean browser (no session) and log in as `username`."""
    page.wait_for_load_state()  # leaving a page while its scripts load would abort them
    page.context.clear_cookies()
    page.goto("/login/")
    log_in(page, username)
    page.wait_for_url(f"{live_server.url}/")
