"""A real CalDAV server (Radicale) on loopback for the calendar mirror's tests, bench and journeys.

htpasswd auth with plain passwords in a temp file (so a wrong password is a real 401),
storage in a temp folder; `stop()` and `start()` again keep the data and the port,
which is how the tests take the server down for a while.
"""

import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import caldav


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RadicaleServer:
    def __init__(self, users: dict[str, str]):
        self.dir = Path(tempfile.mkdtemp(prefix="radicale-"))
        (self.dir / "users").write_text("".join(f"{u}:{p}\n" for u, p in users.items()))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.process = None

    def start(self) -> "RadicaleServer":
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "radicale",
                "--server-hosts",
                f"127.0.0.1:{self.port}",
                "--auth-type",
                "htpasswd",
                "--auth-htpasswd-filename",
                str(self.dir / "users"),
                "--auth-htpasswd-encryption",
                "plain",
                "--auth-delay",
                "0",
                "--rights-type",
                "owner_only",
                "--storage-filesystem-folder",
                str(self.dir / "collections"),
                "--logging-level",
                "warning",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("Radicale did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None

    def client(self, username: str, password: str) -> caldav.DAVClient:
        return caldav.DAVClient(url=self.url, username=username, password=password, require_tls=False)

    def make_calendar(self, username: str, password: str, name: str):
        return self.client(username, password).principal().make_calendar(name=name)

    def calendar(self, username: str, password: str, name: str):
        for cal in self.client(username, password).principal().calendars():
            if cal.get_display_name() == name:
                return cal
        raise LookupError(name)
