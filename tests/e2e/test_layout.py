"""The menu fits: no page scrolls sideways at the office's usual 1280 px, whatever the role."""

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"


@pytest.mark.parametrize("person", ["director", "rop.msk", "manager.msk", "callcenter", "admin", "office"])
def test_menu_fits_the_desktop_width(page: Page, live_server, everyone, person, screenshot):
    page.goto("/login/")
    log_in(page, person)
    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_test_id("user-menu")).to_be_visible()
    assert page.evaluate(NO_SIDEWAYS_SCROLL), page.evaluate("document.documentElement.scrollWidth")
    menu = page.get_by_test_id("user-menu").bounding_box()
    assert menu["x"] + menu["width"] <= 1280
    heights = page.eval_on_selector_all(
        "#main-nav .nav-link", "links => links.map(l => l.getBoundingClientRect().height)"
    )
    assert max(heights) < 50, heights  # no item wraps onto two lines
    screenshot(page, f"home-{person}-1280")
