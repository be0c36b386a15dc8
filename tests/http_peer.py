"""A real HTTP server on 127.0.0.1 for the channel and service tests: stands in for the Telegram
Bot API, an SMS gateway or a partner's webhook endpoint. ``answer(request) -> (status, body)``
decides each answer."""

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
    """The Telegram Bot API as far as Nadhir uses it.

    ``getUpdates`` is a long poll that ends with nothing new; ``sendMessage`` checks ``chat_id`` and
    ``text`` (at most 4096 characters) like Telegram does. Chat ``666`` has blocked the bot (403);
    ``@busy`` is rate-limited once (429 with ``retry_after``) and then accepts.
    """
    counter = {"id": 0, "busy": 0}

    def err(code: int, text: str, **extra: Any) -> tuple[int, bytes]:
        return code, json.dumps({"ok": False, "error_code": code, "description": text, **extra}).encode()

    def answer(req: Request) -> tuple[int, bytes]:
        if not req.path.startswith(f"/bot{token}/"):
            return err(401, "Unauthorized")
        if req.path.endswith("/getUpdates"):
            time.sleep(0.2)
            return 200, b'{"ok":true,"result":[]}'
        if not req.path.endswith("/sendMessage"):
            return err(404, "Not Found")
        body = req.json()
        if not body.get("chat_id") or not body.get("text"):
            return err(400, "Bad Request: message text is empty")
        if len(body["text"]) > 4096:
            return err(400, "Bad Request: message is too long")
        if str(body["chat_id"]) == "666":
            return err(403, "Forbidden: bot was blocked by the user")
        if body["chat_id"] == "@busy" and counter["busy"] == 0:
            counter["busy"] += 1
            return err(429, "Too Many Requests: retry after 1", parameters={"retry_after": 1})
        counter["id"] += 1
        chat = {
            "id": body["chat_id"],
            "type": "channel" if str(body["chat_id"]).startswith("@") else "private",
        }
        result = {"message_id": counter["id"], "date": int(time.time()), "chat": chat, "text": body["text"]}
        return 200, json.dumps({"ok": True, "result": result}).encode()

    return answer
