"""How the service reads request bodies: bounded while they stream in, JSON by the shared input rules.

- :class:`BodyLimit` caps the body of every HTTP request, on every route,
  while it arrives: a declared ``Content-Length`` over the limit is refused
  before a byte is read, and a chunked body is read chunk by chunk and
  refused (413) as soon as it passes the limit. The rest is never read, and
  the connection is closed. Routes then see the whole body at once; none
  of them streams its input, and the limit is small (64 KB by default).
- :class:`StrictJsonRoute` makes FastAPI parse the JSON bodies it reads for
  its models (operator actions, subscriptions, siren tests) with
  :func:`nadhir.domain.validation.load_json`: bounded nesting, and no
  ``NaN``, ``Infinity`` or ``1e400``.
- :func:`json_body` does the same for routes that read their body
  themselves (the intake).

A body that breaks a JSON rule gets 400 when it is not JSON at all and 422
when it is JSON the service does not take (too deep, a number out of
range); the answer names the field and the rule.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import HTTPException, Request, Response
from fastapi.routing import APIRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nadhir.domain.validation import InvalidInput, load_json


class BodyLimit:
    """An ASGI middleware: every request body is at most ``max_bytes``, checked as it streams in."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                await self._too_large(send)
                return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client left before its body was complete
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._too_large(send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            # The body once, whole; after it, the server's own messages (a disconnect, for streams).
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _too_large(self, send: Send) -> None:
        detail = json.dumps(
            {"detail": f"body larger than {self.max_bytes} bytes"}, separators=(",", ":")
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(detail)).encode()),
                    # The unread rest of the body is not drained: the connection ends with the answer.
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": detail, "more_body": False})


def json_body(body: bytes | str) -> Any:
    """``body`` parsed by the shared JSON rules; HTTP 400 (not JSON) or 422 (a rule broken) otherwise."""
    try:
        return load_json(body)
    except InvalidInput as exc:
        status = 400 if exc.rule.startswith(("not JSON", "not UTF-8")) else 422
        field = "body" if exc.field == "JSON" else exc.field  # the key when it is known, as eta_s
        raise HTTPException(status, f"{field}: {exc.rule}") from exc


class StrictJsonRequest(Request):
    """A request whose ``json()`` follows :func:`json_body`."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = json_body(await self.body())
        return self._json


class StrictJsonRoute(APIRoute):
    """FastAPI routes that parse JSON bodies with :class:`StrictJsonRequest`.

    FastAPI passes an ``HTTPException`` raised while it reads the body on as it is, so the
    answer keeps its status and its words.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict(request: Request) -> Response:
            return await handler(StrictJsonRequest(request.scope, request.receive))

        return strict
