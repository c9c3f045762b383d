"""A client's call through Mango as the manager sees it: a real browser, the Mango stand-in over real HTTP
and a real Celery mango_worker on this test's own queue.

The client rings the manager's extension: the bell brings «Звонит клиент: …» and its link opens the
client's card. When the call is over the mango_worker logs it as an inbound «Звонок» in «Мои дела», the
card's «Звонки» lists it, and «Позвонить» there reaches Mango as exactly one signed commands/callback.
"""

import time

import pytest
from playwright.sync_api import Page, expect

from crm import services as crm_services
from crm.models import Notification
from integrations.models import MangoCall, MangoCommand
from tests.celery_workers import wait_for
from tests.e2e.helpers import enter_as
from tests.factories import make_client
from tests.standins.mango_fixtures import KEY, SALT
from tests.standins.mango_server import sign

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# The stand-in PBX (events to the live server, commands checked) and the mango_worker on its own queue are the
# shared `mango` and `mango_worker` fixtures (tests/standins/mango_fixtures.py).

TIMEOUT = 60
CALLER = "79165550707"
EXTENSION = "101"


def settle(page: Page) -> None:
    """Let the page's own requests (the bell, htmx) finish before leaving it, so none is aborted."""
    page.wait_for_load_state("networkidle")


def test_a_client_calls_the_manager_who_opens_the_card_sees_the_call_and_calls_back(
    page: Page, live_server, mango, mango_worker, manager_msk, page_problems, screenshot
):
    crm_services.user_update(user=manager_msk, by=None, data={"mango_extension": EXTENSION})
    client = make_client(
        manager=manager_msk,
        last_name="Звонарёва",
        first_name="Ольга",
        patronymic="Сергеевна",
        phones=("+7 916 555-07-07",),
    )
    enter_as(page, live_server, manager_msk.username)
    settle(page)

    # The client rings extension 101: the mango_worker tells its owner who calls, with the card to open.
    entry, call = mango.new_ids()
    start = int(time.time()) - 95
    [appeared] = mango.call_events(entry, call, CALLER, EXTENSION, states=("Appeared",), start=start)
    assert mango.post_event("events/call", appeared).status_code == 200
    wait_for("ring told", lambda: Notification.objects.filter(user=manager_msk).exists(), mango_worker)

    # The bell's 30-second poll is what brings the number in use; here the same request is made at once.
    page.evaluate(
        "htmx.ajax('GET', '/notifications/bell/', {target: '[data-testid=notifications]', swap: 'outerHTML'})"
    )
    bell = page.get_by_test_id("notifications")
    expect(bell.get_by_test_id("notifications-count")).to_have_text("1")
    settle(page)
    bell.click()
    page.wait_for_url(f"{live_server.url}/notifications/")
    note = page.get_by_test_id("notification")
    expect(note).to_have_count(1)
    expect(note).to_contain_text("Звонит клиент: Звонарёва Ольга Сергеевна")
    screenshot(page, "mango-ringing-notification")
    settle(page)
    note.get_by_role("link", name="Звонит клиент: Звонарёва Ольга Сергеевна").click()
    page.wait_for_url(f"{live_server.url}/clients/{client.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Звонарёва Ольга Сергеевна")
    calls = page.get_by_test_id("calls-section")
    expect(calls.get_by_test_id("calls")).to_contain_text("входящий с +7 916 555-07-07")
    expect(calls.get_by_test_id("calls")).to_contain_text("идёт")
    assert Notification.objects.get(user=manager_msk).read_at is not None
    settle(page)

    # The manager talks for a minute and a half; the summary agrees with the states.
    for event in mango.call_events(
        entry, call, CALLER, EXTENSION, states=("Connected", "Disconnected"), first_seq=2, start=start + 5, step=90
    ):
        assert mango.post_event("events/call", event).status_code == 200
    summary = mango.summary_event(entry, CALLER, EXTENSION, create_time=start, talk_time=start + 5, end_time=start + 95)
    assert mango.post_event("events/summary", summary).status_code == 200
    wait_for("call logged", lambda: MangoCall.objects.filter(entry_id=entry, logged=True).exists(), mango_worker)

    page.goto("/my-day/")
    zvonok = page.get_by_test_id("inbound").get_by_test_id("activity").filter(has_text="Звонарёва Ольга Сергеевна")
    expect(zvonok).to_have_count(1)
    expect(zvonok).to_contain_text("Звонок")
    # Answered by the manager themselves: the row names them once, as the responsible.
    expect(zvonok).to_contain_text("Входящий звонок с +7 916 555-07-07, 1 мин 30 с")
    expect(zvonok).not_to_contain_text("ответил")
    screenshot(page, "mango-my-day-call")
    settle(page)

    # Back on the card from «Мои дела»: the call is over, and «Позвонить» rings the manager's phone first.
    zvonok.get_by_role("link", name="Звонарёва Ольга Сергеевна").click()
    page.wait_for_url(f"{live_server.url}/clients/{client.pk}/")
    calls = page.get_by_test_id("calls-section")
    expect(calls).to_contain_text(f"с вашего добавочного {EXTENSION}")
    row = calls.get_by_test_id("calls").locator("li")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(f"входящий с +7 916 555-07-07 · {manager_msk.short_name} · 1 мин 30 с")
    settle(page)
    button = calls.get_by_test_id(f"call-{CALLER}")
    expect(button).to_have_text("Позвонить +7 916 555-07-07")
    button.click()
    page.wait_for_url(f"{live_server.url}/clients/{client.pk}/#calls")
    expect(page.get_by_text(f"Mango звонит на ваш добавочный {EXTENSION}")).to_be_visible()
    expect(page.get_by_test_id("calls-section")).to_be_visible()
    screenshot(page, "mango-client-card-calls")

    wait_for("callback sent", lambda: len(mango.commands_for("commands/callback")) == 1, mango_worker)
    mango.wait_background()
    command = MangoCommand.objects.get(kind=MangoCommand.Kind.CALLBACK)
    [sent] = mango.commands_for("commands/callback")
    assert sent.form["sign"] == sign(KEY, sent.raw_json, SALT)
    assert sent.json == {"command_id": command.command_id, "from": {"extension": EXTENSION}, "to_number": CALLER}
    assert not mango.refused
    assert page_problems == []
