"""«Звонки» on the client's and the lead's cards, and «Позвонить» from the page and the API: the command is
written (and its outbox job) only for a number on a card the user may open; the page never waits on Mango."""

import json
import time

import pytest

from crm import services as crm_services
from crm.models import OutboxJob
from integrations.mango import services
from integrations.models import MangoCall, MangoCommand
from leads.services import lead_create
from tests.conftest import token_client
from tests.factories import make_client
from tests.standins.mango_server import MangoServer

pytestmark = pytest.mark.django_db


@pytest.fixture
def mango_on(settings):
    settings.MANGO_ENABLED = True
    settings.MANGO_API_KEY, settings.MANGO_API_SALT = "k", "s"


def _with_extension(user, extension):
    crm_services.user_update(user=user, by=None, data={"mango_extension": extension})
    user.refresh_from_db()
    return user


def test_the_client_card_lists_calls_and_offers_a_call_per_number(web, mango_on, manager_msk):
    _with_extension(manager_msk, "101")
    client = make_client(manager=manager_msk, last_name="Карточкин", phones=("+79165550606",))
    events = MangoServer.call_events("E-card", "C-card", "79165550606", "101", start=int(time.time()) - 100)
    for event in events:
        services.event_receive(path="events/call", json_text=json.dumps(event))
    services.entry_assemble("E-card")
    web.force_login(manager_msk)
    page = web.get(f"/clients/{client.pk}/").content.decode()
    assert 'data-testid="calls-section"' in page
    assert "Позвонить +7 916 555-06-06" in page
    text = " ".join(page.split())
    assert "↙ входящий с +7 916 555-06-06 · Иванов С.Н. · 5 с" in text


def test_no_calls_section_without_mango(web, manager_msk):
    client = make_client(manager=manager_msk, last_name="Безмангов", phones=("+79165550607",))
    web.force_login(manager_msk)
    assert 'data-testid="calls-section"' not in web.get(f"/clients/{client.pk}/").content.decode()


def test_dial_from_the_card_writes_one_command(web, mango_on, manager_msk):
    _with_extension(manager_msk, "101")
    client = make_client(manager=manager_msk, last_name="Набиралов", phones=("+79165550608",))
    web.force_login(manager_msk)
    response = web.post("/integrations/calls/dial/", {"client": client.pk, "number": "79165550608"})
    assert response.status_code == 302 and response.url == f"/clients/{client.pk}/#calls"
    [command] = MangoCommand.objects.all()
    assert (command.kind, command.from_extension, command.to_number) == ("callback", "101", "79165550608")
    assert OutboxJob.objects.filter(kind=services.COMMAND_KIND, key=command.command_id).count() == 1
    page = web.get(response.url).content.decode()
    assert "Mango звонит на ваш добавочный 101" in page


def test_dial_is_refused_for_a_card_one_may_not_open_and_nothing_is_written(
    web, mango_on, manager_msk, manager_spb, call_centre
):
    client = make_client(manager=manager_msk, last_name="Чужой", phones=("+79165550609",))
    for user, extension in ((manager_spb, "501"), (call_centre, "301")):
        _with_extension(user, extension)
        web.force_login(user)
        assert web.post("/integrations/calls/dial/", {"client": client.pk, "number": "79165550609"}).status_code == 404
        api = token_client(user)
        answer = api.post("/api/v1/calls/click-to-call/", {"number": "79165550609", "client": client.pk}, format="json")
        assert answer.status_code == 404
    assert not MangoCommand.objects.exists() and not OutboxJob.objects.exists()


def test_click_to_call_api(mango_on, manager_msk, settings):
    client = make_client(manager=manager_msk, last_name="Апишный", phones=("+79165550610",))
    api = token_client(manager_msk)
    url = "/api/v1/calls/click-to-call/"
    # No extension of one's own yet: 400 on the number, nothing written.
    answer = api.post(url, {"number": "+79165550610", "client": client.pk}, format="json")
    assert answer.status_code == 400 and "добавочный" in answer.json()["number"][0]
    _with_extension(manager_msk, "101")
    answer = api.post(url, {"number": "+79160000000", "client": client.pk}, format="json")
    assert answer.status_code == 400 and "нет в карточке" in answer.json()["number"][0]
    answer = api.post(url, {"number": "+79165550610"}, format="json")
    assert answer.status_code == 400 and "client" in answer.json()
    assert not MangoCommand.objects.exists()
    answer = api.post(url, {"number": "+7 916 555-06-10", "client": client.pk}, format="json")
    assert answer.status_code == 202 and answer.json()["state"] == "pending"
    command_id = answer.json()["id"]
    assert api.get(f"{url}{command_id}/").json()["to_number"] == "79165550610"
    settings.MANGO_ENABLED = False
    assert api.post(url, {"number": "+79165550610", "client": client.pk}, format="json").status_code == 503


def test_the_lead_card_offers_a_call_and_shows_the_calls(web, mango_on, call_centre):
    _with_extension(call_centre, "301")
    lead, _ = lead_create(by=call_centre, source="call", phone="+7 903 555-06-11")
    MangoCall.objects.create(entry_id="E-lead", direction="inbound", from_number="79035550611", lead=lead)
    web.force_login(call_centre)
    page = web.get(f"/leads/{lead.pk}/").content.decode()
    assert "Позвонить +7 903 555-06-11" in page and "↙ входящий с +7 903 555-06-11" in " ".join(page.split())
    response = web.post("/integrations/calls/dial/", {"lead": lead.pk, "number": "+79035550611"})
    assert response.status_code == 302 and response.url == f"/leads/{lead.pk}/#calls"
    assert MangoCommand.objects.get().lead == lead


def test_the_calls_section_costs_the_same_queries_for_one_call_or_many(web, mango_on, manager_msk):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from integrations.models import MangoRecording

    _with_extension(manager_msk, "101")
    client = make_client(manager=manager_msk, last_name="Многозвонов", phones=("+79165550612",))
    web.force_login(manager_msk)

    def add_calls(n):
        for i in range(n):
            call = MangoCall.objects.create(
                entry_id=f"E-many-{MangoCall.objects.count()}-{i}",
                direction="inbound",
                from_number="79165550612",
                client=client,
                staff=manager_msk,
                state="Disconnected",
                answered=True,
                talk_seconds=30,
            )
            MangoRecording.objects.create(recording_id=f"R-{call.entry_id}", call=call, file="mango/x.wav")

    def card_queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert web.get(f"/clients/{client.pk}/").status_code == 200
        return len(ctx.captured_queries)

    add_calls(1)
    one = card_queries()
    add_calls(10)
    assert card_queries() == one
