"""A Mango Office VPBX API stand-in on loopback, for tests and manual runs.

It plays both halves of Mango's API the way the real PBX does:

- It *receives* commands at /vpbx/<command> (the real base is https://app.mango-office.ru/vpbx/):
  commands/callback, commands/callback_group, commands/route, commands/transfer, commands/call/hangup,
  commands/recording/start, commands/sms, queries/recording/post, stats/request, stats/result,
  config/users/request. Every one is an HTTP POST of form fields `vpbx_api_key`, `sign`, `json`
  with sign = sha256_hex(vpbx_api_key + json + vpbx_api_salt); the salt itself is never sent.
  A wrong key, a wrong sign or a missing field is refused with Mango's result code in the body.
- It *sends* events to the CRM, signed the same way: <crm>/events/call, /events/summary,
  /events/recording, /events/record/added, /events/dtmf, /result/callback, /ping.

Where Mango's documentation (as far as public copies show it) is silent, the choice made here is
marked "chosen" in a comment, so the CRM's code does not grow to depend on a guess by accident.

Run it by hand (Ctrl-C stops it):

    python -m tests.standins.mango_server --port 8766 --key K --salt S \\
        --crm http://127.0.0.1:8000/integrations/mango

then point the CRM's Mango base URL at http://127.0.0.1:8766/vpbx/ and, for a signed incoming
call to land in the CRM, POST anything to http://127.0.0.1:8766/_standin/demo-call?ext=101&from=79161234567
(`ext=` empty: only the call's Appeared in the greeting, as for a caller the CRM routes).
GET /_standin/commands lists what the CRM sent (accepted and refused).
"""

import base64
import hashlib
import hmac
import io
import itertools
import json
import threading
import time
import uuid
import wave
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import requests

# Result codes from Mango's table (the same list appears in the official API PDF and in client libraries).
RESULT_OK = 1000
RESULT_CALL_NORMAL = 1100
RESULT_ENDED_BY_CALLER = 1110
RESULT_NO_ANSWER = 1111
RESULT_ENDED_BY_CALLEE = 1120
RESULT_BUSY = 1121
RESULT_BAD_PARAMS = 3100
RESULT_NOT_POST = 3101
RESULT_BAD_SIGN = 3102  # «Значение ключа не соответствуют рассчитанному»
RESULT_MISSING_PARAM = 3103
RESULT_BAD_FORMAT = 3104
RESULT_BAD_KEY = 3105  # «Неверный ключ доступа»
RESULT_NOT_FOUND = 3300
RESULT_RECORDING_NOT_FOUND = 3320
RESULT_UNSUPPORTED = 4001

# chosen: the public sources agree on the result codes in the JSON body but not on the HTTP status that
# carries them, so a refusal here uses the nearest HTTP status; a CRM client must judge by `result`.
HTTP_STATUS_FOR_RESULT = {
    RESULT_NOT_POST: 405,
    RESULT_BAD_SIGN: 401,
    RESULT_BAD_KEY: 401,
    RESULT_BAD_PARAMS: 400,
    RESULT_MISSING_PARAM: 400,
    RESULT_BAD_FORMAT: 400,
    RESULT_NOT_FOUND: 404,
    RESULT_RECORDING_NOT_FOUND: 404,
    RESULT_UNSUPPORTED: 404,
}

# Fields a command must carry, as dotted paths into its json; the stand-in refuses with 3103 without them.
REQUIRED_FIELDS = {
    "commands/callback": ("command_id", "from.extension", "to_number"),
    "commands/callback_group": ("command_id", "from", "to"),
    "commands/route": ("command_id", "call_id", "to_number"),
    "commands/transfer": ("command_id", "call_id", "method", "to_number", "initiator"),
    "commands/call/hangup": ("command_id", "call_id"),
    "commands/recording/start": ("command_id", "call_id", "call_party_number"),
    "commands/sms": ("command_id", "text", "from_extension", "to_number"),
    "queries/recording/post": ("recording_id", "action"),
    "stats/request": ("date_from", "date_to"),
    "stats/result": ("key",),
    "config/users/request": (),
}

# Where Mango reports the outcome of a command. Only result/callback (plus result/sms and the stats one)
# appears in the sources; chosen: route results go to result/callback too rather than an invented URL.
RESULT_EVENT_PATHS = {
    "commands/callback": "/result/callback",
    "commands/callback_group": "/result/callback",
    "commands/route": "/result/callback",
    "commands/sms": "/result/sms",
}

# stats/request's default column set when `fields` is not given (Mango's documented default order).
DEFAULT_STATS_FIELDS = (
    "records",
    "start",
    "finish",
    "from_extension",
    "from_number",
    "to_extension",
    "to_number",
    "disconnect_reason",
)

DEFAULT_LINE_NUMBER = "74950000000"
SIP_DOMAIN = "vpbx000000000.mangosip.ru"  # chosen: shape of the SIP addresses Mango puts in `to.number`


def sign(api_key: str, json_text: str, api_salt: str) -> str:
    """Mango's signature: sha256 hex of key + json text + salt, over UTF-8 bytes."""
    return hashlib.sha256((api_key + json_text + api_salt).encode("utf-8")).hexdigest()


def dumps(payload: dict) -> str:
    """Serialise the way Mango's events look on the wire: compact, Cyrillic left as is."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def silent_wav(seconds: float = 0.25, rate: int = 8000) -> bytes:
    """A small valid mono 16-bit WAV of silence; stands in for a call recording."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\x00\x00" * int(seconds * rate))
    return buffer.getvalue()


def _dig(data: dict, dotted: str):
    value = data
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


@dataclass
class Command:
    """One command the stand-in accepted (or refused, then `result` says why)."""

    path: str
    json: dict | None
    raw_json: str
    time: float
    method: str = "POST"
    result: int = RESULT_OK
    form: dict = field(default_factory=dict)


@dataclass
class Recording:
    body: bytes
    content_type: str
    filename: str


class Handler(BaseHTTPRequestHandler):
    server: "MangoServer"
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # keep test output clean
        pass

    # -- plumbing -------------------------------------------------------------------------------
    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, body: bytes = b"", content_type: str = "application/json", headers=None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, payload: dict):
        self._send(status, dumps(payload).encode(), "application/json; charset=utf-8")

    def _result(self, code: int):
        self._json(HTTP_STATUS_FOR_RESULT.get(code, 200), {"result": code})

    def do_GET(self):
        path = urlparse(self.path).path
        if path.startswith("/_data/recording/"):
            return self._download(path.rsplit("/", 1)[-1])
        if path == "/_standin/commands":
            return self._json(200, self.server.snapshot())
        if path.startswith("/vpbx/"):
            self._body()
            return self._refuse(path[len("/vpbx/") :].strip("/"), "GET", {}, RESULT_NOT_POST)
        self._send(404, b"", "text/plain")

    def do_POST(self):
        url = urlparse(self.path)
        raw = self._body()
        if url.path == "/_standin/demo-call":
            query = parse_qs(url.query, keep_blank_values=True)
            ext = query.get("ext", ["101"])[0]
            caller = query.get("from", ["79161234567"])[0]
            ring = float(query.get("ring", ["5"])[0] or 5)
            return self._json(
                200, {"events": self.server.demo_call(to_extension=ext, from_number=caller, ring_seconds=ring)}
            )
        if not url.path.startswith("/vpbx/"):
            return self._send(404, b"", "text/plain")
        command = url.path[len("/vpbx/") :].strip("/")
        form = {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True).items()}
        self._command(command, form)

    # -- commands from the CRM -----------------------------------------------------------------
    def _refuse(self, command: str, method: str, form: dict, code: int, parsed: dict | None = None):
        self.server.record(
            Command(
                path=command,
                json=parsed,
                raw_json=form.get("json", ""),
                time=time.time(),
                method=method,
                result=code,
                form=form,
            ),
            accepted=False,
        )
        self._result(code)

    def _command(self, command: str, form: dict):
        srv = self.server
        if not all(form.get(name) for name in ("vpbx_api_key", "sign", "json")):
            return self._refuse(command, "POST", form, RESULT_MISSING_PARAM)
        if not hmac.compare_digest(form["vpbx_api_key"], srv.api_key):
            return self._refuse(command, "POST", form, RESULT_BAD_KEY)
        expected = sign(srv.api_key, form["json"], srv.api_salt)
        if not hmac.compare_digest(form["sign"].lower(), expected):
            return self._refuse(command, "POST", form, RESULT_BAD_SIGN)
        try:
            parsed = json.loads(form["json"])
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict):
            return self._refuse(command, "POST", form, RESULT_BAD_FORMAT)
        if command not in REQUIRED_FIELDS:
            return self._refuse(command, "POST", form, RESULT_UNSUPPORTED, parsed)
        if any(_dig(parsed, name) in (None, "") for name in REQUIRED_FIELDS[command]):
            return self._refuse(command, "POST", form, RESULT_MISSING_PARAM, parsed)
        accepted = Command(path=command, json=parsed, raw_json=form["json"], time=time.time(), form=form)
        handler = {
            "queries/recording/post": self._recording_post,
            "stats/request": self._stats_request,
            "stats/result": self._stats_result,
            "config/users/request": self._users,
        }.get(command)
        if handler is not None:
            return handler(accepted)
        srv.record(accepted, accepted=True)
        # The result event is registered before the answer goes out (so wait_background() cannot miss it)
        # and released after it, because Mango reports the outcome only once it has answered the command.
        answered = threading.Event()
        if command in RESULT_EVENT_PATHS and srv.auto_results:
            srv.post_command_result_later(accepted, after=answered)
        self._result(RESULT_OK)
        answered.set()

    def _recording_post(self, cmd: Command):
        srv = self.server
        if cmd.json["action"] not in ("download", "play"):
            return self._refuse(cmd.path, "POST", cmd.form, RESULT_BAD_PARAMS, cmd.json)
        with srv.lock:
            known = cmd.json["recording_id"] in srv.recordings
        if not known:
            return self._refuse(cmd.path, "POST", cmd.form, RESULT_RECORDING_NOT_FOUND, cmd.json)
        srv.record(cmd, accepted=True)
        # Mango answers 302 with a temporary one-time link to the file; HTTP clients that follow
        # redirects (requests does, turning the POST into a GET) end up with the audio bytes.
        token = uuid.uuid4().hex
        with srv.lock:
            srv.download_links[token] = (cmd.json["recording_id"], cmd.json["action"])
        self._send(302, b"", "text/plain", {"Location": f"{srv.base_url}/_data/recording/{token}"})

    def _download(self, token: str):
        srv = self.server
        with srv.lock:
            link = srv.download_links.pop(token, None)
            recording = srv.recordings.get(link[0]) if link else None
        if recording is None:
            return self._send(404, b"", "text/plain")
        disposition = "attachment" if link[1] == "download" else "inline"
        self._send(
            200,
            recording.body,
            recording.content_type,
            {"Content-Disposition": f'{disposition}; filename="{recording.filename}"'},
        )

    def _stats_request(self, cmd: Command):
        srv = self.server
        key = uuid.uuid4().hex
        with srv.lock:
            srv.stats_requests[key] = {"json": cmd.json, "not_ready_left": srv.stats_not_ready_polls}
        srv.record(cmd, accepted=True)
        answer = {"key": key}
        if "request_id" in cmd.json:
            answer["request_id"] = cmd.json["request_id"]
        self._json(200, answer)

    def _stats_result(self, cmd: Command):
        srv = self.server
        with srv.lock:
            pending = srv.stats_requests.get(cmd.json["key"])
            if pending is not None and pending["not_ready_left"] > 0:
                pending["not_ready_left"] -= 1
                not_ready = True
            else:
                not_ready = False
        if pending is None:
            return self._refuse(cmd.path, "POST", cmd.form, RESULT_NOT_FOUND, cmd.json)
        srv.record(cmd, accepted=True)
        if not_ready:
            return self._send(204)  # the report is still being built: poll again
        self._send(200, srv.stats_csv(pending["json"]).encode("utf-8"), "text/plain; charset=utf-8")

    def _users(self, cmd: Command):
        srv = self.server
        srv.record(cmd, accepted=True)
        with srv.lock:
            users = list(srv.users)
        extension = cmd.json.get("extension")
        if extension:
            users = [u for u in users if u["telephony"]["extension"] == str(extension)]
        self._json(200, {"users": users})


class MangoServer(ThreadingHTTPServer):
    """Mango's VPBX on 127.0.0.1: checks signed commands, signs and posts events to the CRM."""

    daemon_threads = True

    def __init__(
        self,
        api_key: str = "standin-key",
        api_salt: str = "standin-salt",
        crm_events_url: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ):
        super().__init__((host, port), Handler)
        self.api_key = api_key
        self.api_salt = api_salt
        self.crm_events_url = crm_events_url
        self.lock = threading.RLock()
        self.commands: list[Command] = []
        self.refused: list[Command] = []
        self.sent: list[tuple[str, dict, int]] = []  # (path, payload, CRM's HTTP status)
        self.recordings: dict[str, Recording] = {}
        self.download_links: dict[str, tuple[str, str]] = {}
        self.stats_rows: list[dict] = []
        self.stats_requests: dict[str, dict] = {}
        self.stats_not_ready_polls = 0  # how many stats/result polls answer 204 before the CSV
        self.users: list[dict] = []
        self.auto_results = True  # post result/callback after callback and route commands
        self.command_result = RESULT_OK  # the result those events report
        self.result_delay = 0.0
        self._background: list[threading.Thread] = []
        self._ids = itertools.count(1)

    @property
    def base_url(self) -> str:
        return f"http://{self.server_address[0]}:{self.server_address[1]}"

    @property
    def api_url(self) -> str:
        """What the CRM uses in place of https://app.mango-office.ru/vpbx/."""
        return f"{self.base_url}/vpbx/"

    def start(self) -> "MangoServer":
        threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, name="mango-standin", daemon=True
        ).start()
        return self

    def stop(self) -> None:
        self.wait_background()
        self.shutdown()
        self.server_close()

    # -- bookkeeping ----------------------------------------------------------------------------
    def record(self, command: Command, *, accepted: bool) -> None:
        with self.lock:
            (self.commands if accepted else self.refused).append(command)

    def commands_for(self, path: str) -> list[Command]:
        with self.lock:
            return [c for c in self.commands if c.path == path]

    def snapshot(self) -> dict:
        def row(c: Command) -> dict:
            return {"path": c.path, "json": c.json, "time": c.time, "result": c.result}

        with self.lock:
            return {"commands": [row(c) for c in self.commands], "refused": [row(c) for c in self.refused]}

    def clear(self) -> None:
        with self.lock:
            self.commands.clear()
            self.refused.clear()
            self.sent.clear()

    # -- test data ------------------------------------------------------------------------------
    def add_recording(
        self, recording_id: str, body: bytes | None = None, content_type: str = "audio/wav", filename: str = ""
    ) -> bytes:
        """Make `recording_id` downloadable; returns the bytes it will serve.

        Mango serves mp3 (audio/mpeg); chosen: a WAV by default because it is valid audio built in code.
        """
        body = silent_wav() if body is None else body
        with self.lock:
            self.recordings[recording_id] = Recording(body, content_type, filename or f"{recording_id}.wav")
        return body

    def add_stats_row(
        self,
        *,
        start: int,
        finish: int,
        from_number: str = "",
        from_extension: str = "",
        to_number: str = "",
        to_extension: str = "",
        records: tuple[str, ...] | list[str] = (),
        disconnect_reason: int = RESULT_ENDED_BY_CALLER,
        answer: int = 0,
        line_number: str = "",
        location: str = "abonent",
        entry_id: str = "",
        create: int | None = None,
    ) -> dict:
        """Register one call for stats/result; times are Unix seconds as in Mango's CSV."""
        row = {
            "records": list(records),
            "start": start,
            "finish": finish,
            "answer": answer,
            "from_extension": from_extension,
            "from_number": from_number,
            "to_extension": to_extension,
            "to_number": to_number,
            "disconnect_reason": disconnect_reason,
            "line_number": line_number,
            "location": location,
            "create": start if create is None else create,
            "entry_id": entry_id,
        }
        with self.lock:
            self.stats_rows.append(row)
        return row

    def stats_csv(self, request: dict) -> str:
        """Mango's stats/result body: one call per line, columns in the requested `fields` order, `;` apart.

        `records` is written as [id1,id2] (an empty list as []); chosen, as is the CRLF line end:
        a parser should strip the bracket and tolerate both line ends.
        """
        fields = [f.strip() for f in str(request.get("fields") or ",".join(DEFAULT_STATS_FIELDS)).split(",")]
        date_from, date_to = int(request["date_from"]), int(request["date_to"])
        lines = []
        with self.lock:
            rows = [r for r in self.stats_rows if date_from <= r["start"] <= date_to]
        for row in rows:
            if not self._stats_row_matches(row, request):
                continue
            cells = []
            for name in fields:
                value = row.get(name, "")
                cells.append("[" + ",".join(value) + "]" if name == "records" else str(value))
            lines.append(";".join(cells))
        return "".join(line + "\r\n" for line in lines)

    @staticmethod
    def _stats_row_matches(row: dict, request: dict) -> bool:
        for side in ("from", "to"):
            wanted = request.get(side) or {}
            for part in ("extension", "number"):
                if wanted.get(part) and str(wanted[part]) != str(row[f"{side}_{part}"]):
                    return False
        party = request.get("call_party") or {}
        for part in ("extension", "number"):
            if party.get(part) and str(party[part]) not in (str(row[f"from_{part}"]), str(row[f"to_{part}"])):
                return False
        return True

    def add_user(self, extension: str, name: str, *, email: str = "", numbers: tuple[str, ...] = ()) -> dict:
        """A PBX employee for config/users/request (shape: general + telephony, as Mango returns)."""
        user = {
            "general": {
                "name": name,
                "email": email,
                "department": "",
                "position": "",
                "user_id": 1000 + len(self.users),
            },
            "telephony": {
                "extension": str(extension),
                "outgoingline": DEFAULT_LINE_NUMBER,
                "numbers": [
                    {"number": n, "protocol": "tel", "order": i, "wait_sec": 20, "status": "on"}
                    for i, n in enumerate(numbers)
                ],
            },
        }
        with self.lock:
            self.users.append(user)
        return user

    # -- events to the CRM ------------------------------------------------------------------------
    def post_event(
        self, path: str, payload: dict, *, sign_override: str | None = None, key_override: str | None = None
    ) -> requests.Response:
        """Sign `payload` and POST it form-encoded to crm_events_url + path, as Mango does.

        The overrides let a test send what a forger would, to check the CRM refuses it.
        """
        if not self.crm_events_url:
            raise RuntimeError("crm_events_url is not set")
        json_text = dumps(payload)
        key = self.api_key if key_override is None else key_override
        form = {
            "vpbx_api_key": key,
            "sign": sign(self.api_key, json_text, self.api_salt) if sign_override is None else sign_override,
            "json": json_text,
        }
        response = requests.post(self.crm_events_url.rstrip("/") + "/" + path.lstrip("/"), data=form, timeout=10)
        with self.lock:
            self.sent.append((path, payload, response.status_code))
        return response

    def post_events(self, events: list[tuple[str, dict]]) -> list[requests.Response]:
        return [self.post_event(path, payload) for path, payload in events]

    def ping(self) -> requests.Response:
        # chosen: the connection check («Проверить подключение») posts an empty signed json to /ping.
        return self.post_event("/ping", {})

    def command_result_event(self, command: Command, result: int | None = None) -> tuple[str, dict]:
        payload = {
            "command_id": command.json["command_id"],
            "result": self.command_result if result is None else result,
        }
        return RESULT_EVENT_PATHS.get(command.path, "/result/callback"), payload

    def post_command_result(self, command: Command, result: int | None = None) -> requests.Response:
        return self.post_event(*self.command_result_event(command, result))

    def post_command_result_later(self, command: Command, after: threading.Event | None = None) -> None:
        """Mango answers the command first and reports the outcome afterwards, on its own connection."""
        if not self.crm_events_url:
            return

        def run():
            if after is not None:
                after.wait(10)
            if self.result_delay:
                time.sleep(self.result_delay)
            path, payload = self.command_result_event(command)
            try:
                self.post_event(path, payload)
            except requests.RequestException:
                # The CRM was unreachable: kept in `sent` with status 0 so a test can see the loss.
                with self.lock:
                    self.sent.append((path, payload, 0))

        thread = threading.Thread(target=run, name="mango-standin-result", daemon=True)
        with self.lock:
            thread.start()
            self._background.append(thread)

    def wait_background(self, timeout: float = 10) -> None:
        """Wait for result events posted after commands (tests call this before asserting on the CRM)."""
        with self.lock:
            threads = list(self._background)
            self._background.clear()
        for thread in threads:
            thread.join(timeout)

    # -- event builders (pure: they return payloads, tests choose order and timing) ----------------
    def new_ids(self) -> tuple[str, str]:
        """A fresh (entry_id, call_id) pair shaped like Mango's base64 ids."""
        n = next(self._ids)
        entry = base64.b64encode(f"{n}:{uuid.uuid4().int % 10**9}:entry".encode()).decode()
        call = base64.b64encode(f"{n}:{uuid.uuid4().int % 10**9}:call".encode()).decode()
        return entry, call

    @staticmethod
    def call_events(
        entry_id: str,
        call_id: str,
        from_number: str,
        to_extension: str | None,
        states: tuple[str, ...] = ("Appeared", "Connected", "Disconnected"),
        *,
        to_number: str | None = None,
        from_extension: str | None = None,
        line_number: str = DEFAULT_LINE_NUMBER,
        location: str = "abonent",
        start: int | None = None,
        step: int = 5,
        first_seq: int = 1,
        disconnect_reason: int = RESULT_ENDED_BY_CALLER,
        command_id: str | None = None,
    ) -> list[dict]:
        """events/call payloads for one call leg, `seq` and `timestamp` rising with each state.

        `disconnect_reason` goes only on the Disconnected event, as Mango sends it.
        """
        start = int(time.time()) if start is None else start
        caller = {"number": from_number}
        if from_extension:
            caller["extension"] = str(from_extension)
        callee = {"number": to_number or (f"sip:{to_extension}@{SIP_DOMAIN}" if to_extension else "")}
        if to_extension:
            callee["extension"] = str(to_extension)
        callee["line_number"] = line_number
        events = []
        for i, state in enumerate(states):
            event = {
                "entry_id": entry_id,
                "call_id": call_id,
                "timestamp": start + i * step,
                "seq": first_seq + i,
                "call_state": state,
                "location": location,
                "from": dict(caller),
                "to": dict(callee),
            }
            if command_id:
                event["command_id"] = command_id
            if state == "Disconnected":
                event["disconnect_reason"] = disconnect_reason
            events.append(event)
        return events

    @staticmethod
    def summary_event(
        entry_id: str,
        from_number: str,
        to_extension: str | None,
        *,
        call_direction: int = 1,
        to_number: str | None = None,
        from_extension: str | None = None,
        line_number: str = DEFAULT_LINE_NUMBER,
        create_time: int | None = None,
        forward_time: int | None = None,
        talk_time: int | None = None,
        end_time: int | None = None,
        answered: bool = True,
        disconnect_reason: int = RESULT_ENDED_BY_CALLER,
    ) -> dict:
        """events/summary: the final word on a call. call_direction 0 internal, 1 incoming, 2 outgoing;
        entry_result 1 answered, 0 missed; an unanswered call carries talk_time 0."""
        create_time = int(time.time()) - 60 if create_time is None else create_time
        forward_time = create_time + 2 if forward_time is None else forward_time
        if talk_time is None:
            talk_time = create_time + 5 if answered else 0
        end_time = create_time + 60 if end_time is None else end_time
        caller = {"number": from_number}
        if from_extension:
            caller["extension"] = str(from_extension)
        callee = {"number": to_number or (f"sip:{to_extension}@{SIP_DOMAIN}" if to_extension else "")}
        if to_extension:
            callee["extension"] = str(to_extension)
        return {
            "entry_id": entry_id,
            "call_direction": call_direction,
            "from": caller,
            "to": callee,
            "line_number": line_number,
            "create_time": create_time,
            "forward_time": forward_time,
            "talk_time": talk_time,
            "end_time": end_time,
            "entry_result": 1 if answered else 0,
            "disconnect_reason": disconnect_reason,
        }

    @staticmethod
    def recording_event(
        entry_id: str,
        call_id: str,
        recording_id: str,
        extension: str,
        *,
        state: str = "Completed",
        seq: int = 1,
        timestamp: int | None = None,
        completion_code: int = RESULT_OK,
    ) -> dict:
        """events/recording: recording_state Started / Continued / Completed; completion_code only on
        Completed (chosen: the field set beyond recording_id/state/extension/call_id/entry_id is plausible)."""
        event = {
            "entry_id": entry_id,
            "call_id": call_id,
            "extension": str(extension),
            "recording_id": recording_id,
            "recording_state": state,
            "seq": seq,
            "timestamp": int(time.time()) if timestamp is None else timestamp,
        }
        if state == "Completed":
            event["completion_code"] = completion_code
        return event

    @staticmethod
    def record_added_event(entry_id: str, recording_id: str, user_id: int, *, product_id: int = 1) -> dict:
        """events/record/added: the recording is in the cloud and can be fetched by queries/recording/post."""
        return {"entry_id": entry_id, "recording_id": recording_id, "user_id": user_id, "product_id": product_id}

    def demo_call(self, to_extension: str = "101", from_number: str = "79161234567", ring_seconds: float = 5) -> int:
        """An answered incoming call to the CRM, for manual runs: its Appeared now, then (after `ring_seconds`, in
        the background, so the ringing can be seen in the CRM) Connected, Disconnected, the recording and the
        summary. With no extension (`ext=`) only the Appeared in the greeting is posted, as for a caller the CRM
        may route (commands/route) before anyone answers. Returns the number of events the call will have."""
        entry_id, call_id = self.new_ids()
        if not to_extension:
            return len(self.post_events([("/events/call", e) for e in self.call_events(
                entry_id, call_id, from_number, None, states=("Appeared",))]))  # fmt: skip
        recording_id = f"rec-{uuid.uuid4().hex[:12]}"
        self.add_recording(recording_id)
        start = int(time.time())
        talk = int(ring_seconds) + 40
        appeared, connected, ended = self.call_events(entry_id, call_id, from_number, to_extension, start=start)
        connected["timestamp"], ended["timestamp"] = start + int(ring_seconds), start + talk
        self.post_event("/events/call", appeared)
        rest = [("/events/call", connected), ("/events/call", ended)]
        rest.append(("/events/recording", self.recording_event(entry_id, call_id, recording_id, to_extension)))
        summary = self.summary_event(
            entry_id, from_number, to_extension, create_time=start, talk_time=start + int(ring_seconds),
            end_time=start + talk,
        )  # fmt: skip
        rest.append(("/events/summary", summary))

        def later():
            time.sleep(ring_seconds)
            self.post_events(rest)

        threading.Thread(target=later, name="mango-standin-demo", daemon=True).start()
        return 1 + len(rest)


def main():
    """Run the stand-in by itself (see the module docstring)."""
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--key", default="standin-key")
    parser.add_argument("--salt", default="standin-salt")
    parser.add_argument("--crm", default=None, help="the CRM's base URL for Mango events")
    args = parser.parse_args()
    server = MangoServer(api_key=args.key, api_salt=args.salt, crm_events_url=args.crm, port=args.port)
    print(f"Mango VPBX stand-in: API at {server.api_url}, events to {args.crm or '(not set)'}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
