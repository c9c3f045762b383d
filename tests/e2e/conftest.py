"""Browser fixtures: Debian's Chromium driven by Playwright against pytest-django's live server.

One headless browser per session; every test gets a fresh context (no cookies
carried over) and page. Requests anywhere but the live server are refused, so
the tests never touch the network beyond 127.0.0.1.
"""

import os
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Browser, Page, expect, sync_playwright

# Playwright's sync API runs an event loop in this thread; Django would then
# refuse ORM calls from the test body (fixtures, assertions) as "async unsafe".
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
SCREENSHOTS = Path(settings.VAR_DIR) / "screenshots"

expect.set_options(timeout=10_000)


@pytest.fixture(scope="session")
def browser() -> Browser:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/install-browser")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def viewport() -> dict:
    """The window size; a test asks for another with `@pytest.mark.parametrize("viewport", [PHONE])`."""
    return DESKTOP


@pytest.fixture
def page_problems() -> list[str]:
    """What went wrong on `page`: error responses (a 404 on a stylesheet), script errors, blocked requests."""
    return []


@pytest.fixture
def page(browser, live_server, viewport, page_problems) -> Page:
    context = browser.new_context(
        base_url=live_server.url, viewport=viewport, locale="ru-RU", timezone_id="Europe/Moscow"
    )
    context.set_default_timeout(10_000)

    def only_live_server(route):
        if route.request.url.startswith(live_server.url):
            route.continue_()
        else:
            route.abort()

    context.route("**/*", only_live_server)
    page = context.new_page()
    page.on("response", lambda r: r.status >= 400 and page_problems.append(f"{r.status} {r.url}"))
    page.on("pageerror", lambda error: page_problems.append(f"script error: {error}"))
    # A navigation cancels whatever the page was still fetching (net::ERR_ABORTED: a script the test
    # clicked past, the browser's own favicon): that is no problem of the page. A missing file shows
    # as an error response above; a request to another site is aborted by the route as ERR_FAILED.
    page.on(
        "requestfailed",
        lambda r: (
            r.failure != "net::ERR_ABORTED"
            and "favicon" not in r.url
            and page_problems.append(f"request failed: {r.url} ({r.failure})")
        ),
    )
    yield page
    context.close()


@pytest.fixture
def screenshot():
    """`screenshot(page, "name")` saves var/screenshots/name.png (full page)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page: Page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.wait_for_load_state()  # styles applied
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
