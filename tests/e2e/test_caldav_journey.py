"""A manager connects a Yandex.Calendar (a real Radicale on loopback), the call-centre books, the event is there.

The manager first types a wrong app password and is told so in Russian, then
connects; the call-centre books a consultation from the grid; the outbox job
(what the worker does) writes the event into the manager's calendar with
TZID=Europe/Moscow. The clock is frozen on working days of November 2026.
"""

import icalendar
import pytest
from cryptography.fernet import Fernet
from playwright.sync_api import Page, expect

from activities.models import Activity
from crm import outbox
from integrations.caldav import services
from integrations.models import CalendarConnection
from tests.e2e.helpers import at, enter_as, moment
from tests.factories import make_client
from tests.standins.radicale_server import RadicaleServer

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "app-pass-123"
CAL = "Работа"


@pytest.fixture
def radicale(settings):
    server = RadicaleServer({"ivanov@yandex.ru": PASSWORD}).start()
    server.make_calendar("ivanov@yandex.ru", PASSWORD, CAL)
    settings.CALDAV_ENABLED = True
    settings.CALDAV_ALLOW_LOOPBACK = True
    settings.CALDAV_SECRET_KEY = Fernet.generate_key().decode()
    settings.CALDAV_TIMEOUT = 3
    yield server
    server.stop()


def test_manager_connects_the_call_centre_books_the_event_is_in_the_calendar(
    page: Page, live_server, radicale, manager_msk, call_centre, page_problems, screenshot
):
    make_client(manager=manager_msk, phones=["+7 916 555-44-33"])
    with at(2026, 11, 24, 8, 0):
        enter_as(page, live_server, "manager.msk")
        page.get_by_test_id("user-menu").click()
        page.get_by_test_id("menu-my-calendar").click()
        page.wait_for_url(f"{live_server.url}/integrations/calendar/")
        form = page.get_by_test_id("caldav-form")
        form.get_by_label("Адрес сервера CalDAV", exact=True).fill(radicale.url)
        form.get_by_label("Логин (адрес Яндекс-почты целиком)", exact=True).fill("ivanov@yandex.ru")
        form.get_by_label("Пароль приложения", exact=True).fill("пароль-от-почты")
        form.get_by_label("Название календаря", exact=True).fill(CAL)
        form.get_by_role("button", name="Проверить и подключить", exact=True).click()
        expect(page.get_by_test_id("caldav-error-password")).to_contain_text("Сервер не принял логин или пароль")
        screenshot(page, "caldav-wrong-password")
        assert not CalendarConnection.objects.exists()

        form = page.get_by_test_id("caldav-form")
        expect(form.get_by_label("Пароль приложения", exact=True)).to_have_value("")  # never rendered back
        form.get_by_label("Пароль приложения", exact=True).fill(PASSWORD)
        form.get_by_role("button", name="Проверить и подключить", exact=True).click()
        page.wait_for_url(f"{live_server.url}/integrations/calendar/")
        expect(page.get_by_role("alert").filter(has_text="Календарь подключён")).to_be_visible()
        expect(page.get_by_test_id("caldav-state")).to_have_text("Работает")
        expect(page.get_by_test_id("caldav-calendar")).to_have_text(CAL)
        screenshot(page, "caldav-connected")

        enter_as(page, live_server, "callcenter")
        page.goto(f"/booking/?branch={manager_msk.branch_id}&date=2026-11-25")
        column = page.get_by_test_id("manager-slots").filter(has=page.get_by_text(manager_msk.full_name, exact=True))
        column.get_by_role("link", name="10:00–11:00 свободно", exact=True).click()
        page.wait_for_url(f"{live_server.url}/booking/new/**")
        form = page.get_by_test_id("book-form")
        form.get_by_label("Телефон клиента", exact=True).fill("+7 916 555-44-33")
        form.get_by_role("button", name="Записать", exact=True).click()
        page.wait_for_url(f"{live_server.url}/booking/?**")
        meeting = Activity.objects.get()
        assert outbox.deliver(services.KIND, str(meeting.pk)) == "created"  # what the worker does

    [obj] = radicale.calendar("ivanov@yandex.ru", PASSWORD, CAL).events()
    assert "DTSTART;TZID=Europe/Moscow:20261125T100000" in obj.data
    [event] = icalendar.Calendar.from_ical(obj.data).walk("VEVENT")
    assert event["DTSTART"].dt == moment(2026, 11, 25, 10, 0)
    assert str(event["UID"]).startswith(f"crm-activity-{meeting.pk}@")
    assert "Записал(а): Новикова Ирина Павловна" in str(event["DESCRIPTION"])
    assert page_problems == []
