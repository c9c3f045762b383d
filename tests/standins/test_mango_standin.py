"""The Mango VPBX stand-in itself: it must check and produce signatures exactly as Mango does,
or every CRM test built on it proves nothing. No Django, no database."""

import hashlib
import io
import json
import threading
import wave
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
import requests

from tests.standins.mango_server import (
    RESULT_BAD_KEY,
    RESULT_BAD_SIGN,
    RESULT_MISSING_PARAM,
    RESULT_OK,
    RESULT_RECORDING_NOT_FOUND,
    MangoServer,
    dumps,
    sign,
)

KEY = "k3y-standin"
SALT = "s4lt-standin"


class Receiver:
    """A tiny CRM: records every POST's path and form fields, answers 200."""

    def __init__(self):
        received = self.received = []

        class _Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                form = {k: v[0] for k, v in parse_qs(raw.decode("utf-8")).items()}
                received.append((self.path, form, self.headers.get("Content-Type")))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/integrations/mango"
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.stop()


@pytest.fixture
def mango(receiver):
    server = MangoServer(api_key=KEY, api_salt=SALT, crm_events_url=receiver.url).start()
    yield server
    server.stop()


def send(mango, command, payload, *, key=KEY, salt=SALT, sign_value=None, **kwargs):
    json_text = json.dumps(payload)
    form = {"vpbx_api_key": key, "sign": sign_value or sign(key, json_text, salt), "json": json_text}
    return requests.post(mango.api_url + command, data=form, timeout=5, **kwargs)


def assert_signed(form, payload):
    assert form["vpbx_api_key"] == KEY
    assert form["sign"] == hashlib.sha256((KEY + form["json"] + SALT).encode()).hexdigest()
    assert json.loads(form["json"]) == payload


def test_sign_is_sha256_of_key_json_salt():
    json_text = '{"command_id":"c1","from":{"extension":"101"},"to_number":"79161234567"}'
    expected = hashlib.sha256(("abc" + json_text + "xyz").encode("utf-8")).hexdigest()
    assert sign("abc", json_text, "xyz") == expected
    # Hand-computed once: sha256("k" + "{}" + "s").
    assert sign("k", "{}", "s") == hashlib.sha256(b"k{}s").hexdigest()
    assert len(sign("k", "{}", "s")) == 64


def test_sign_covers_cyrillic_as_utf8():
    json_text = dumps({"text": "Перезвоните"})
    assert "Перезвоните" in json_text  # not \u-escaped, as Mango's own json
    assert sign("k", json_text, "s") == hashlib.sha256(("k" + json_text + "s").encode("utf-8")).hexdigest()


def test_signed_callback_is_accepted_and_recorded(mango):
    payload = {"command_id": "cmd-1", "from": {"extension": "101"}, "to_number": "79161234567"}
    response = send(mango, "commands/callback", payload)
    assert response.status_code == 200
    assert response.json() == {"result": RESULT_OK}
    assert [(c.method, c.path, c.json) for c in mango.commands] == [("POST", "commands/callback", payload)]
    assert mango.refused == []


def test_callback_result_is_posted_signed_to_the_crm(mango, receiver):
    send(mango, "commands/callback", {"command_id": "cmd-7", "from": {"extension": "101"}, "to_number": "7916"})
    mango.wait_background()
    path, form, content_type = receiver.received[-1]
    assert path == "/integrations/mango/result/callback"
    assert content_type == "application/x-www-form-urlencoded"
    assert_signed(form, {"command_id": "cmd-7", "result": RESULT_OK})


def test_route_command_is_accepted(mango):
    payload = {"command_id": "r-1", "call_id": "MTox", "to_number": "102"}
    assert send(mango, "commands/route", payload).json() == {"result": RESULT_OK}
    assert mango.commands_for("commands/route")[0].json == payload


def test_bad_signature_is_refused_and_not_recorded(mango):
    payload = {"command_id": "cmd-2", "from": {"extension": "101"}, "to_number": "79161234567"}
    response = send(mango, "commands/callback", payload, salt="wrong-salt")
    assert response.status_code == 401
    assert response.json() == {"result": RESULT_BAD_SIGN}
    assert mango.commands == []
    assert [(c.path, c.result) for c in mango.refused] == [("commands/callback", RESULT_BAD_SIGN)]


def test_signature_of_other_json_is_refused(mango):
    signed_for = json.dumps({"command_id": "x", "from": {"extension": "1"}, "to_number": "1"})
    response = send(
        mango,
        "commands/callback",
        {"command_id": "x", "from": {"extension": "1"}, "to_number": "2"},
        sign_value=sign(KEY, signed_for, SALT),
    )
    assert response.json() == {"result": RESULT_BAD_SIGN}
    assert mango.commands == []


def test_wrong_api_key_is_refused(mango):
    payload = {"command_id": "cmd-3", "from": {"extension": "101"}, "to_number": "79161234567"}
    response = send(mango, "commands/callback", payload, key="someone-else")  # signed correctly for that key
    assert response.status_code == 401
    assert response.json() == {"result": RESULT_BAD_KEY}
    assert mango.commands == []
    assert mango.refused[0].result == RESULT_BAD_KEY


def test_missing_field_is_refused(mango):
    response = send(mango, "commands/callback", {"command_id": "c", "to_number": "79161234567"})
    assert response.json() == {"result": RESULT_MISSING_PARAM}
    assert mango.commands == []


def test_events_reach_the_crm_signed(mango, receiver):
    entry_id, call_id = mango.new_ids()
    events = mango.call_events(entry_id, call_id, "79161234567", "101")
    for event in events:
        assert mango.post_event("/events/call", event).status_code == 200
    summary = mango.summary_event(entry_id, "79161234567", "101", answered=False)
    mango.post_event("events/summary", summary)

    assert [path for path, _, _ in receiver.received] == ["/integrations/mango/events/call"] * 3 + [
        "/integrations/mango/events/summary"
    ]
    for (_, form, _), payload in zip(receiver.received, [*events, summary], strict=True):
        assert_signed(form, payload)
        assert form["json"] == dumps(payload)  # compact, exactly what was signed
    assert summary["entry_result"] == 0 and summary["talk_time"] == 0


def test_forged_event_can_be_sent_on_purpose(mango, receiver):
    mango.post_event("/events/call", {"entry_id": "e"}, sign_override="0" * 64)
    form = receiver.received[-1][1]
    assert form["sign"] != sign(KEY, form["json"], SALT)


def test_call_events_have_rising_seq_and_time():
    events = MangoServer.call_events(
        "E1", "C1", "79161234567", "101", ("Appeared", "Connected", "OnHold", "Connected", "Disconnected"), start=1000
    )
    assert [e["seq"] for e in events] == [1, 2, 3, 4, 5]
    assert [e["timestamp"] for e in events] == sorted({e["timestamp"] for e in events})
    assert [e["call_state"] for e in events][-1] == "Disconnected"
    assert "disconnect_reason" not in events[0] and events[-1]["disconnect_reason"] == 1110
    assert events[0]["to"] == {
        "number": "sip:101@vpbx000000000.mangosip.ru",
        "extension": "101",
        "line_number": "74950000000",
    }
    assert {e["entry_id"] for e in events} == {"E1"} and {e["call_id"] for e in events} == {"C1"}


def test_recording_download_returns_the_audio(mango):
    body = mango.add_recording("rec-1")
    response = send(mango, "queries/recording/post", {"recording_id": "rec-1", "action": "download"})
    assert response.status_code == 200
    assert response.history[0].status_code == 302  # Mango answers with a temporary link
    assert response.content == body
    assert response.headers["Content-Type"] == "audio/wav"
    with wave.open(io.BytesIO(response.content)) as audio:
        assert audio.getnframes() > 0
    assert mango.commands_for("queries/recording/post")[0].json["recording_id"] == "rec-1"


def test_recording_link_is_single_use(mango):
    mango.add_recording("rec-2")
    response = send(
        mango, "queries/recording/post", {"recording_id": "rec-2", "action": "download"}, allow_redirects=False
    )
    link = response.headers["Location"]
    assert requests.get(link, timeout=5).status_code == 200
    assert requests.get(link, timeout=5).status_code == 404


def test_unknown_recording_is_refused(mango):
    response = send(mango, "queries/recording/post", {"recording_id": "nope", "action": "download"})
    assert response.json() == {"result": RESULT_RECORDING_NOT_FOUND}


def test_stats_request_then_result_gives_csv(mango):
    mango.stats_not_ready_polls = 1
    mango.add_stats_row(start=1000, finish=1060, from_number="79161234567", to_extension="101", records=["r1", "r2"])
    mango.add_stats_row(start=5000, finish=5030, from_number="79160000000", to_extension="102")  # outside the dates
    key = send(mango, "stats/request", {"date_from": 900, "date_to": 2000}).json()["key"]

    assert send(mango, "stats/result", {"key": key}).status_code == 204  # not ready yet
    response = send(mango, "stats/result", {"key": key})
    assert response.status_code == 200
    assert response.text.splitlines() == ["[r1,r2];1000;1060;;79161234567;101;;1110"]


def test_stats_result_honours_fields(mango):
    mango.add_stats_row(start=1000, finish=1060, from_number="79161234567", entry_id="E9")
    key = send(
        mango, "stats/request", {"date_from": 0, "date_to": 2000, "fields": "entry_id, start, from_number"}
    ).json()["key"]
    assert send(mango, "stats/result", {"key": key}).text == "E9;1000;79161234567\r\n"
