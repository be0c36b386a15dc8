"""A real HTTP server on 127.0.0.1 for the service tests: stands in for the Telegram Bot API, an SMS
gateway or a partner's webhook endpoint. ``answer(request) -> (status, body)`` decides each answer."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Peer:
    answer: Callable[[Request], tuple[int, bytes]]
    requests: list[Request] = field(default_factory=list)
    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def received(self, path_part: str = "") -> list[Request]:
        with self.lock:
            return [r for r in self.requests if path_part in r.path]


@contextmanager
def http_peer(answer: Callable[[Request], tuple[int, bytes]]) -> Iterator[Peer]:
    """Serve ``answer`` on a free port of 127.0.0.1 for the duration of the block."""
    peer = Peer(answer)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            req = Request("POST", self.path, {k.lower(): v for k, v in self.headers.items()},
                          self.rfile.read(length))  # fmt: skip
            with peer.lock:
                peer.requests.append(req)
            status, body = peer.answer(req)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    peer.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield peer
    finally:
        httpd.shutdown()
        httpd.server_close()


def bot_api(token: str) -> Callable[[Request], tuple[int, bytes]]:
    """The Telegram Bot API as far as Nadhir uses it: sendMessage, and an empty getUpdates."""
    counter = iter(range(1, 1_000_000))

    def answer(req: Request) -> tuple[int, bytes]:
        if not req.path.startswith(f"/bot{token}/"):
            return 401, b'{"ok":false,"error_code":401,"description":"Unauthorized"}'
        if req.path.endswith("/getUpdates"):
            time.sleep(0.2)  # a long poll that ends with nothing new
            return 200, b'{"ok":true,"result":[]}'
        body = req.json()
        if str(body.get("chat_id")) == "666":
            return (
                403,
                b'{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}',
            )
        return 200, json.dumps({"ok": True, "result": {"message_id": next(counter)}}).encode()

    return answer
