"""``POST /api/v1/intake/cap``: a CAP 1.2 alert from another system, read in as alerts (operator+)."""

from __future__ import annotations

import asyncio
import contextlib
from concurrent.futures import Future
from typing import Any

from fastapi import APIRouter, HTTPException, Request

from nadhir.alerting.cap import CapError, read_cap
from nadhir.domain.validation import InvalidInput
from nadhir.service import schemas
from nadhir.service.api.deps import API, Actor, Svc, by, engine_unavailable, err
from nadhir.service.api.operator import ACTION_TIMEOUT_S
from nadhir.service.api.views import alert_out
from nadhir.service.bodies import StrictJsonRoute
from nadhir.service.cap_intake import plan_from_cap
from nadhir.service.live import EngineBusy
from nadhir.service.operator import OperatorActionError

router = APIRouter(route_class=StrictJsonRoute)


@router.post(
    f"{API}/intake/cap",
    tags=["intake"],
    response_model=schemas.CapIntakeOut,
    responses=err(401, 403, 409, 413, 422, 429, 503),
    summary="Read in a CAP 1.2 alert from another system: alerts for the sites its area covers",
    openapi_extra={
        "requestBody": {"required": True, "content": {"application/xml": {"schema": {"type": "string"}}}}
    },
)
async def cap_intake(request: Request, principal: Actor, svc: Svc) -> dict[str, Any]:
    engine, _ = svc.live()
    body = await request.body()
    if len(body) > svc.settings.max_body_bytes:
        raise HTTPException(413, f"body larger than {svc.settings.max_body_bytes} bytes")
    try:
        message = read_cap(body)
        plan = plan_from_cap(message, list(svc.sites.values()), engine.clock.now())
    except (CapError, InvalidInput) as exc:
        raise HTTPException(422, str(exc)) from exc
    seen = (message.sender, message.identifier)
    if svc.cap_ledger.pending(seen):
        raise HTTPException(409, "this message is being read in now; send it again shortly")
    duplicate = svc.cap_ledger.done(seen)
    out: dict[str, Any] = {"identifier": message.identifier, "sender": message.sender,
                           "duplicate": duplicate, "ignored": plan.ignored, "alerts": []}  # fmt: skip
    if duplicate or not plan.actions:
        return out
    who = by(principal)
    note = f"CAP {message.identifier} from {message.sender}"[:500]

    def run() -> list[Any]:
        now = engine.clock.now()
        sent: list[Any] = []
        for a in plan.actions:
            sent += engine.core.operator_action("alert", a.site, who, now, level=a.level,
                                                aircraft=a.aircraft, eta=a.eta, note=note)  # fmt: skip
        return sent

    try:
        future = engine.call(run)
    except EngineBusy as exc:
        raise engine_unavailable(exc) from exc
    # Recorded as read in only when the alerts were raised, whenever that is (even after a timeout).
    svc.cap_ledger.begin(seen)
    loop = asyncio.get_running_loop()

    def settle(done: Future[list[Any]]) -> None:
        ok = not done.cancelled() and done.exception() is None
        with contextlib.suppress(RuntimeError):  # the loop is closed: the service is stopping
            loop.call_soon_threadsafe(svc.cap_ledger.end, seen, ok)

    future.add_done_callback(settle)
    try:
        sent = await asyncio.wait_for(asyncio.wrap_future(future), ACTION_TIMEOUT_S)
    except OperatorActionError as exc:
        raise HTTPException(exc.status, str(exc)) from exc
    except TimeoutError as exc:
        future.cancel()  # if it has not started, it never will, and a resend is read in afresh
        raise HTTPException(503, "the engine did not answer in time") from exc
    out["alerts"] = [alert_out(svc, a) for a in sent]
    out["raised"] = [{"site": a.site, "level": a.level} for a in plan.actions]
    return out
