"""A Yandex.Disk REST API stand-in on loopback, for tests and staging.

It speaks the real API's paths, JSON shapes and error codes closely enough
for the real `yadisk` client (pointed here through yadisk.settings.BASE_API_URL):

- GET/PUT/DELETE /v1/disk/resources      meta with `_embedded` listing, mkdir, remove
- POST /v1/disk/resources/move            201 with a link, or 202 with an async operation
- GET /v1/disk/operations/<id>            {"status": "success" | "in-progress"}
- GET /v1/disk/resources/upload|download  a link to PUT/GET the bytes on this server
- GET /v1/disk/                           disk info

Errors come as {"error", "message", "description"} with the real names:
401 UnauthorizedError, 404 DiskNotFoundError, 409 DiskPathPointsToExistentDirectoryError /
DiskResourceAlreadyExistsError / DiskPathDoesntExistsError, 429 TooManyRequestsError,
503 ServiceUnavailableError, 507 DiskStorageQuotaExhaustedError.

Test controls (not part of the real API) live under /_standin/: faults to inject,
the whole tree, and call counts.
"""

import json
import random
import threading
import time
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, urlparse

ERRORS = {
    401: ("UnauthorizedError", "Не авторизован."),
    404: ("DiskNotFoundError", "Не удалось найти запрошенный ресурс."),
    429: ("TooManyRequestsError", "Слишком много запросов."),
    503: ("ServiceUnavailableError", "Сервис временно недоступен."),
    507: ("DiskStorageQuotaExhaustedError", "Недостаточно свободного места."),
}


def _norm(path: str) -> str:
    """'disk:/a/b/' and '/a/b' are the same resource."""
    path = path or "/"
    if path.startswith("disk:"):
        path = path[5:]
    path = "/" + path.strip("/")
    return path


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


class DiskState:
    """The in-memory disk: folders and files by normalised path."""

    def __init__(self, token: str):
        self.token = token
        self.lock = threading.RLock()
        self.nodes: dict[str, dict] = {"/": {"type": "dir", "created": _now(), "modified": _now()}}
        self.files: dict[str, bytes] = {}
        self.operations: dict[str, dict] = {}
        self.uploads: dict[str, tuple[str, bool]] = {}
        self.calls: dict[str, int] = {}
        self.fail_rate = 0.0
        self.fail_codes = [503]
        self.fail_next: list[int] = []
        self.async_moves = False
        self.delay = 0.0
        self.quota_bytes = 10 * 1024**3
        self.rng = random.Random(7)

    # -- tree -------------------------------------------------------------------------
    def parent(self, path: str) -> str:
        return path.rsplit("/", 1)[0] or "/"

    def children(self, path: str) -> list[str]:
        prefix = path.rstrip("/") + "/"
        return sorted(p for p in self.nodes if p != path and p.startswith(prefix) and "/" not in p[len(prefix) :])

    def move(self, src: str, dst: str) -> None:
        prefix = src.rstrip("/") + "/"
        moved = {p: v for p, v in self.nodes.items() if p == src or p.startswith(prefix)}
        for p in moved:
            del self.nodes[p]
        for p, v in moved.items():
            new = dst + p[len(src) :]
            self.nodes[new] = {**v, "modified": _now()}
            if p in self.files:
                self.files[new] = self.files.pop(p)

    def remove(self, path: str) -> None:
        prefix = path.rstrip("/") + "/"
        for p in [p for p in self.nodes if p == path or p.startswith(prefix)]:
            del self.nodes[p]
            self.files.pop(p, None)

    def resource(self, path: str, base: str, *, limit: int = 20, offset: int = 0, embed: bool = True) -> dict:
        node = self.nodes[path]
        name = path.rsplit("/", 1)[-1] if path != "/" else "disk"
        data = {
            "name": name,
            "path": f"disk:{path}",
            "type": node["type"],
            "created": node["created"],
            "modified": node["modified"],
            "resource_id": f"standin:{path}",
        }
        if node["type"] == "file":
            content = self.files.get(path, b"")
            data.update({"size": len(content), "mime_type": "application/octet-stream", "md5": "", "sha256": ""})
        elif embed:
            kids = self.children(path)
            data["_embedded"] = {
                "items": [self.resource(k, base, embed=False) for k in kids[offset : offset + limit]],
                "limit": limit,
                "offset": offset,
                "total": len(kids),
                "path": f"disk:{path}",
                "sort": "",
            }
        return data

    def tree(self) -> dict:
        return {p: v["type"] for p, v in sorted(self.nodes.items())}


class Handler(BaseHTTPRequestHandler):
    server: "StandinServer"
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # keep test output clean
        pass

    # -- plumbing -------------------------------------------------------------------------
    @property
    def state(self) -> DiskState:
        return self.server.state

    def _query(self) -> dict:
        return {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}

    def _send(self, status: int, body: dict | bytes | None = None, content_type="application/json"):
        raw = body if isinstance(body, bytes) else (json.dumps(body).encode() if body is not None else b"")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def _error(self, status: int, name: str | None = None, message: str | None = None):
        default_name, default_message = ERRORS.get(status, ("DiskError", "Ошибка."))
        self._send(
            status,
            {
                "error": name or default_name,
                "message": message or default_message,
                "description": message or default_message,
            },
        )

    def _link(self, path: str, method: str = "GET", templated: bool = False) -> dict:
        return {
            "href": f"{self.server.base_url}/v1/disk/resources?path={quote('disk:' + path)}",
            "method": method,
            "templated": templated,
        }

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _route(self, method: str):
        url = urlparse(self.path)
        if url.path.startswith("/_standin/"):
            return self._control(method, url.path)
        if url.path.startswith("/_data/"):
            return self._data(method, url.path)
        st = self.state
        with st.lock:
            key = f"{method} {url.path}"
            st.calls[key] = st.calls.get(key, 0) + 1
            injected = st.fail_next.pop(0) if st.fail_next else None
            if injected is None and st.fail_rate and st.rng.random() < st.fail_rate:
                injected = st.rng.choice(st.fail_codes)
            delay = st.delay
        if delay:
            time.sleep(delay)  # a slow Disk: lets a test kill a worker in the middle of a job
        if self.headers.get("Authorization") != f"OAuth {st.token}":
            return self._error(401)
        if injected:
            self._body()
            return self._error(injected)
        handler = {
            ("GET", "/v1/disk"): self.disk_info,
            ("GET", "/v1/disk/"): self.disk_info,
            ("GET", "/v1/disk/resources"): self.get_resource,
            ("PUT", "/v1/disk/resources"): self.mkdir,
            ("DELETE", "/v1/disk/resources"): self.delete,
            ("POST", "/v1/disk/resources/move"): self.move,
            ("GET", "/v1/disk/resources/upload"): self.upload_link,
            ("GET", "/v1/disk/resources/download"): self.download_link,
        }.get((method, url.path))
        if handler is None and method == "GET" and url.path.startswith("/v1/disk/operations/"):
            return self.operation(url.path.rsplit("/", 1)[-1])
        if handler is None:
            return self._error(404, "NotFoundError", "Нет такого метода.")
        return handler(self._query())

    do_GET = lambda self: self._route("GET")  # noqa: E731
    do_PUT = lambda self: self._route("PUT")  # noqa: E731
    do_POST = lambda self: self._route("POST")  # noqa: E731
    do_DELETE = lambda self: self._route("DELETE")  # noqa: E731

    # -- API --------------------------------------------------------------------------------
    def disk_info(self, q):
        with self.state.lock:
            used = sum(len(b) for b in self.state.files.values())
        self._send(
            200,
            {
                "total_space": self.state.quota_bytes,
                "used_space": used,
                "trash_size": 0,
                "is_paid": False,
                "system_folders": {},
                "user": {"login": "standin", "uid": "1"},
            },
        )

    def get_resource(self, q):
        path = _norm(q.get("path", "/"))
        with self.state.lock:
            if path not in self.state.nodes:
                return self._error(404)
            body = self.state.resource(
                path, self.server.base_url, limit=int(q.get("limit", 20)), offset=int(q.get("offset", 0))
            )
        self._send(200, body)

    def mkdir(self, q):
        path = _norm(q.get("path", ""))
        st = self.state
        with st.lock:
            if path in st.nodes:
                return self._error(
                    409,
                    "DiskPathPointsToExistentDirectoryError",
                    "По указанному пути уже существует папка с таким именем.",
                )
            if st.parent(path) not in st.nodes:
                return self._error(409, "DiskPathDoesntExistsError", "Указанного пути не существует.")
            st.nodes[path] = {"type": "dir", "created": _now(), "modified": _now()}
        self._send(201, self._link(path))

    def delete(self, q):
        path = _norm(q.get("path", ""))
        with self.state.lock:
            if path not in self.state.nodes:
                return self._error(404)
            self.state.remove(path)
        self._send(204)

    def move(self, q):
        src, dst = _norm(q.get("from", "")), _norm(q.get("path", ""))
        overwrite = q.get("overwrite", "false") == "true"
        st = self.state
        with st.lock:
            if src not in st.nodes:
                return self._error(404)
            if dst in st.nodes and not overwrite:
                return self._error(409, "DiskResourceAlreadyExistsError", "Ресурс уже существует.")
            if st.parent(dst) not in st.nodes:
                return self._error(409, "DiskPathDoesntExistsError", "Указанного пути не существует.")
            if dst in st.nodes:
                st.remove(dst)
            st.move(src, dst)
            if st.async_moves:
                op = uuid.uuid4().hex
                st.operations[op] = {"status": "success"}
                href = f"{self.server.base_url}/v1/disk/operations/{op}"
                return self._send(202, {"href": href, "method": "GET", "templated": False})
        self._send(201, self._link(dst))

    def operation(self, op_id):
        with self.state.lock:
            op = self.state.operations.get(op_id)
        if op is None:
            return self._error(404)
        self._send(200, op)

    def upload_link(self, q):
        path = _norm(q.get("path", ""))
        overwrite = q.get("overwrite", "false") == "true"
        st = self.state
        with st.lock:
            if path in st.nodes and not overwrite:
                return self._error(409, "DiskResourceAlreadyExistsError", "Ресурс уже существует.")
            if st.parent(path) not in st.nodes:
                return self._error(409, "DiskPathDoesntExistsError", "Указанного пути не существует.")
            upload_id = uuid.uuid4().hex
            st.uploads[upload_id] = (path, overwrite)
        self._send(
            200,
            {
                "href": f"{self.server.base_url}/_data/upload/{upload_id}",
                "method": "PUT",
                "templated": False,
                "operation_id": upload_id,
            },
        )

    def download_link(self, q):
        path = _norm(q.get("path", ""))
        with self.state.lock:
            if path not in self.state.nodes or self.state.nodes[path]["type"] != "file":
                return self._error(404)
        self._send(
            200, {"href": f"{self.server.base_url}/_data/file?path={quote(path)}", "method": "GET", "templated": False}
        )

    # -- bytes --------------------------------------------------------------------------------
    def _data(self, method, path):
        st = self.state
        if method == "PUT" and path.startswith("/_data/upload/"):
            content = self._body()
            with st.lock:
                target = st.uploads.pop(path.rsplit("/", 1)[-1], None)
                if target is None:
                    return self._send(404, b"", "text/plain")
                used = sum(len(b) for b in st.files.values())
                if used + len(content) > st.quota_bytes:
                    return self._error(507)
                st.nodes[target[0]] = {"type": "file", "created": _now(), "modified": _now()}
                st.files[target[0]] = content
            return self._send(201, b"", "text/plain")
        if method == "GET" and path == "/_data/file":
            target = _norm(self._query().get("path", ""))
            with st.lock:
                content = st.files.get(target)
            if content is None:
                return self._send(404, b"", "text/plain")
            return self._send(200, content, "application/octet-stream")
        return self._send(405, b"", "text/plain")

    # -- test controls --------------------------------------------------------------------------
    def _control(self, method, path):
        st = self.state
        if path == "/_standin/tree" and method == "GET":
            with st.lock:
                return self._send(200, st.tree())
        if path == "/_standin/calls" and method == "GET":
            with st.lock:
                return self._send(200, dict(st.calls))
        if path == "/_standin/faults" and method == "POST":
            spec = json.loads(self._body() or b"{}")
            with st.lock:
                st.fail_rate = float(spec.get("rate", 0))
                st.fail_codes = list(spec.get("codes", [503]))
                st.fail_next = list(spec.get("next", []))
                st.async_moves = bool(spec.get("async_moves", st.async_moves))
                st.delay = float(spec.get("delay", st.delay))
                if "quota_bytes" in spec:
                    st.quota_bytes = int(spec["quota_bytes"])
            return self._send(200, {"ok": True})
        return self._send(404, b"", "text/plain")


class StandinServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, token: str = "standin-token", host: str = "127.0.0.1", port: int = 0):
        super().__init__((host, port), Handler)
        self.state = DiskState(token)
        self.base_url = f"http://{host}:{self.server_address[1]}"

    def start(self) -> "StandinServer":
        threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, name="yadisk-standin", daemon=True
        ).start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


def main():
    """Run the stand-in by itself: python -m tests.standins.yadisk_server --port 8765 --token t"""
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--token", default="standin-token")
    args = parser.parse_args()
    server = StandinServer(token=args.token, port=args.port)
    print(f"Yandex.Disk stand-in at {server.base_url} (token {args.token})", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
