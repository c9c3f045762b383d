"""Steps shared by the browser journeys."""

from playwright.sync_api import Page

from tests.factories import TEST_PASSWORD


def log_in(page: Page, username: str, password: str = TEST_PASSWORD) -> None:
    """Fill and submit the login form on the current page."""
    page.get_by_label("Логин", exact=True).fill(username)
    page.get_by_label("Пароль", exact=True).fill(password)
    page.get_by_role("button", name="Войти", exact=True).click()
