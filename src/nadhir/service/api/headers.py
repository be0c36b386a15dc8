"""Security headers on every answer: pages load nothing from elsewhere; nothing is sniffed."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nadhir.service.api.deps import API

PAGE_POLICY = (
    b"default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; "
    b"style-src 'self'; script-src 'self'; media-src 'self' data: blob:"
)


def page_policy(inline_scripts: Iterable[str] = ()) -> bytes:
    """The pages' policy, also allowing these exact inline scripts (by hash: nothing else inline runs).

    For pages whose HTML a library writes with its start-up script inline (the API docs).
    """
    hashes = "".join(
        f" 'sha256-{base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()}'"
        for script in inline_scripts
    )
    return PAGE_POLICY.replace(b"script-src 'self'", f"script-src 'self'{hashes}".encode())


class SecurityHeaders:
    """Pages may load nothing from anywhere but this server; no response is sniffed for its type.

    A plain ASGI middleware: it only adds headers, and costs next to nothing per request.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        page = not str(scope.get("path", "")).startswith(API)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                if b"x-content-type-options" not in names:
                    headers.append((b"x-content-type-options", b"nosniff"))
                if page and b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", PAGE_POLICY))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
