"""The live feed: ``WS /api/v1/live`` and ``GET /api/v1/live/sse`` (viewer+); the streams kiosks share.

Every SSE stream carries a ``heartbeat`` event every :data:`HEARTBEAT_S` seconds, whatever else it
carries: a kiosk that hears none for a few seconds knows its warnings may not be reaching it (the
server is gone, or the network between, even one that leaves the connection open and silent) and
says so on its whole screen.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import StreamingResponse

from nadhir.bus.inprocess import SubscriptionClosed
from nadhir.service.api.deps import API, Credentials, Svc, authenticate, client, err
from nadhir.service.api.views import site_now
from nadhir.service.auth import READ_ROLES
from nadhir.service.bodies import StrictJsonRoute
from nadhir.service.feed import FEED
from nadhir.service.runtime import Service

log = logging.getLogger(__name__)

router = APIRouter(route_class=StrictJsonRoute)

FEED_BUFFER = 5000
# A kiosk shows "connection lost" after 6 s without a heartbeat (kiosk.js LOST_AFTER_MS): three beats.
HEARTBEAT_S = 2.0
WS_AUTH_TIMEOUT_S = 10.0
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
SSE_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"text/event-stream": {}},
        "description": "Server-sent events: snapshot, then track, site, alert, ...; a heartbeat every 2 s",
    }
}


def snapshot(svc: Service, site: str | None) -> dict[str, Any]:
    """The state a feed starts from: everything, or one site's status and instructions."""
    engine, _ = svc.live()
    if site is None:
        snap = engine.core.snapshot()
        snap["clock"] = engine.clock.now()
        snap["engine"] = engine.status()
        snap["held"] = engine.core.held_views(engine.wall())  # cancels waiting out their undo window
        return {"type": "snapshot", "data": snap}
    return {
        "type": "snapshot",
        "data": {
            "site": site_now(svc, site),
            "instructions": svc.region.instructions(site),
            "now": engine.core.now,
            "clock": engine.clock.now(),
            "speed": engine.clock.speed,
            "engine": engine.status(),
            "tz": svc.settings.alert_tz,
        },
    }


async def messages(svc: Service, site: str | None) -> AsyncIterator[dict[str, Any]]:
    """A snapshot, then the feed's messages (one site's, if given); a new snapshot after a gap."""
    sub = svc.bus.subscribe(FEED, maxsize=FEED_BUFFER)
    svc.feeds.add(sub)
    try:
        yield snapshot(svc, site)
        dropped = 0
        while True:
            try:
                message = await sub.next()
            except SubscriptionClosed:
                return
            if sub.dropped != dropped:  # fell behind: start again from the current state
                dropped = sub.dropped
                sub.drain()
                yield snapshot(svc, site)
                continue
            if site is not None and message.site not in (site, "*"):
                continue
            yield message.as_json()
            if message.type == "engine" and message.data.get("status") == "ok":
                yield snapshot(svc, site)  # restarted with a fresh core: its state, from the start
    finally:
        svc.feeds.discard(sub)
        sub.close()


def heartbeat(svc: Service) -> dict[str, Any]:
    """The heartbeat of a feed: the wall time it was sent and the service clock (a kiosk resets its
    clock from it) with its speed."""
    engine = svc.engine
    return {
        "type": "heartbeat",
        "data": {
            "t": time.time(),
            "clock": engine.clock.now() if engine is not None else None,
            "speed": engine.clock.speed if engine is not None else 1.0,
        },
    }


def _sse_text(svc: Service, message: dict[str, Any]) -> str | None:
    data = svc.wire.dumps(message["data"], str(message["type"]))
    return None if data is None else f"event: {message['type']}\ndata: {data}\n\n"


async def sse(svc: Service, site: str | None) -> AsyncIterator[str]:
    """The feed as server-sent events, with a heartbeat every :data:`HEARTBEAT_S` seconds."""
    loop = asyncio.get_running_loop()
    stream = messages(svc, site).__aiter__()
    pending: asyncio.Task[dict[str, Any]] | None = None
    next_beat = loop.time() + HEARTBEAT_S
    try:
        while True:
            if pending is None:
                pending = asyncio.ensure_future(stream.__anext__())
            done, _ = await asyncio.wait({pending}, timeout=max(0.0, next_beat - loop.time()))
            # On time even when messages keep coming: the beat says the link is alive, not quiet.
            if loop.time() >= next_beat:
                next_beat = loop.time() + HEARTBEAT_S
                beat = _sse_text(svc, heartbeat(svc))
                if beat is not None:
                    yield beat
            if not done:
                continue
            try:
                message = pending.result()
            except StopAsyncIteration:
                return
            pending = None
            text = _sse_text(svc, message)
            if text is not None:
                yield text
    finally:
        if pending is not None:
            pending.cancel()
            with contextlib.suppress(BaseException):
                await pending
        await stream.aclose()  # type: ignore[attr-defined]


def sse_response(svc: Service, site: str | None) -> StreamingResponse:
    """The streaming answer of an SSE route."""
    return StreamingResponse(sse(svc, site), media_type="text/event-stream", headers=SSE_HEADERS)


@router.get(
    f"{API}/live/sse",
    tags=["feed"],
    response_class=StreamingResponse,
    responses=SSE_RESPONSE | err(401, 403, 429),
    summary="The live feed as server-sent events (token in the header, or ?token= for EventSource)",
)
async def live_sse(
    request: Request,
    creds: Credentials,
    svc: Svc,
    token: Annotated[str | None, Query(max_length=200)] = None,
) -> StreamingResponse:
    principal = authenticate(svc, creds.credentials if creds else token, client(request))
    if principal.role not in READ_ROLES:
        raise HTTPException(403, f"role {principal.role} may not read the feed")
    svc.live()
    return sse_response(svc, None)


@router.websocket(f"{API}/live")
async def live_ws(websocket: WebSocket) -> None:
    """The live feed. Send ``{"token": "..."}`` first; then JSON messages ``{"type", "data"}`` come."""
    svc: Service = websocket.app.state.service
    await websocket.accept()
    try:
        first = await asyncio.wait_for(websocket.receive_text(), WS_AUTH_TIMEOUT_S)
        token = json.loads(first).get("token")
    except (TimeoutError, ValueError, AttributeError, WebSocketDisconnect):
        await _close(websocket, 4401, 'send {"token": ...} first')
        return
    principal = svc.tokens.lookup(token if isinstance(token, str) else None)
    if principal is None:
        await _close(websocket, 4401, "invalid token")
        return
    if principal.role not in READ_ROLES:
        await _close(websocket, 4403, f"role {principal.role} may not read the feed")
        return
    if svc.engine is None:
        await _close(websocket, 1013, "the service is starting")
        return

    async def send_all() -> None:
        async for message in messages(svc, None):
            text = svc.wire.dumps(message, str(message["type"]))
            if text is not None:
                await websocket.send_text(text)

    async def watch() -> None:
        with contextlib.suppress(WebSocketDisconnect):
            while True:
                await websocket.receive_text()  # nothing is expected; this notices the client leaving

    sender, watcher = asyncio.ensure_future(send_all()), asyncio.ensure_future(watch())
    done, pending = await asyncio.wait({sender, watcher}, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
        with contextlib.suppress(BaseException):
            await task
    for task in done:
        exc = task.exception()
        if exc is not None and not isinstance(exc, WebSocketDisconnect | RuntimeError):
            log.warning("live feed ended by %r", exc)
    await _close(websocket, 1000, "bye")


async def _close(websocket: WebSocket, code: int, reason: str) -> None:
    with contextlib.suppress(Exception):
        await websocket.close(code, reason)
