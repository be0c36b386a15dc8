"""The operator's actions in the console role (on a site; a track's cancel held for its undo window,
and its undo): carried to the regions' engines through their streams
(:mod:`nadhir.service.stream_actions`), answered as the one-process service answers.

The engine that carries an action out writes its audit row (accepted, or refused by the policy);
the console writes the rows of what it refuses itself (no such site) and of what no engine answered
in time (failed, 503).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from fastapi import HTTPException

from nadhir.service.api.deps import by, retry_headers
from nadhir.service.api.views import alert_out
from nadhir.service.auth import Principal
from nadhir.service.runtime import Service
from nadhir.service.stream_actions import ActionDesk, ActionFailed, OperatorAsk, alert_from_wire

RETRY_S = 2.0


async def cluster_act(
    svc: Service, desk: ActionDesk, action: str, site: str, principal: Principal, timeout_s: float,
    **kwargs: Any,
) -> dict[str, Any]:  # fmt: skip
    """One site action (confirm, cancel, manual alert, test alarm) through the site's region's engine
    (every region's, for a test alarm at ``all``); the alerts it sent, as ``OperatorResult``."""
    engine, _ = svc.live()
    who = by(principal)
    asked = {k: v for k, v in kwargs.items() if v is not None}

    async def audit(result: str, reason: str, status: int) -> None:
        await asyncio.to_thread(engine.audit, engine.clock.now(), who, action, site, result,  # type: ignore[arg-type]
                                reason, {**asked, "status": status})  # fmt: skip

    if site not in svc.sites and not (action == "test_alarm" and site == "all"):
        await audit("refused", f"no site {site!r}", 404)
        raise HTTPException(404, f"no site {site!r}")
    site_id = "*" if site == "all" else site
    if action == "test_alarm" and site_id == "*":
        # Each region's engine refuses a test alarm under its own alerts; one everywhere is refused
        # here under any region's (the sites' statuses the console mirrors), as one process refuses.
        under = _alerts_open(svc)
        if under:
            reason = "no test alarm while a real alert is open: " + ", ".join(
                f"{s} ({lv})" for s, lv in under
            )
            await audit("refused", reason, 409)
            raise HTTPException(409, reason)
    regions = [p.id for p in svc.partitions() if site_id == "*" or site_id in p.sites]
    ask = OperatorAsk(
        id=desk.new_id(), action=action, site=site_id, by=who, asked=engine.clock.now(),
        deadline=time.time() + timeout_s, note=kwargs.get("note"),
        **{k: kwargs[k] for k in ("level", "aircraft", "eta") if kwargs.get(k) is not None},
    )  # fmt: skip
    try:
        answers = await asyncio.to_thread(desk.ask, ask, regions)
    except ActionFailed as exc:
        await audit("failed", str(exc), 503)
        raise HTTPException(503, str(exc), headers=retry_headers(RETRY_S)) from exc
    # Refused (audited by the engine that refused it): the first region's reason, as one engine gives.
    for region in regions:
        reply = answers[region]
        if reply["state"] == "refused":
            raise HTTPException(int(reply["status"]), str(reply["reason"]))
    alerts = [alert_from_wire(a) for region in regions for a in answers[region]["alerts"]]
    return {
        "action": action,
        "site": site,
        "by": who,
        "t": min(float(answers[r]["t"]) for r in regions),
        "alerts": [alert_out(svc, a) for a in alerts],
    }


def _alerts_open(svc: Service) -> list[tuple[str, str]]:
    """The sites under a real alert, with its level, as the console's mirrored statuses show them."""
    engine, _ = svc.live()
    with engine.core.lock:
        views = dict(engine.core.site_views)
    return sorted((s, str(v["level"])) for s, v in views.items() if v.get("level") is not None)


async def cluster_cancel_track(
    svc: Service, desk: ActionDesk, track: str, principal: Principal, timeout_s: float, note: str | None
) -> dict[str, Any]:
    """Hold a cancel of ``track`` in every region's engine for the undo window; as ``HeldCancelOut``.

    Each region holds it if the track alerts a site it weighs; refused (404 no such track, 409 no
    open alert) only if no region holds it. The window runs on the wall clock from now, in every
    region alike, and each region's engine applies it when it ends (see stream_actions)."""
    engine, _ = svc.live()
    who = by(principal)
    wall = time.time()
    ask = OperatorAsk(
        id=f"h{desk.new_id()[:15]}", action="hold_cancel_track", site="*", by=who, asked=engine.clock.now(),
        deadline=wall + timeout_s, note=note, track=track, wall=wall,
    )  # fmt: skip
    answers = await _ask_every_region(svc, desk, ask, "cancel_track", f"track:{track}", engine)
    held = [a["held"] for a in answers.values() if a["state"] == "done"]
    if not held:
        refusals = [a for a in answers.values() if a["state"] == "refused"]
        worst = next((a for a in refusals if a["status"] == 409), refusals[0])
        raise HTTPException(int(worst["status"]), str(worst["reason"]))
    order = {site: i for i, site in enumerate(svc.sites)}
    sites = sorted({s for h in held for s in h["sites"]}, key=lambda s: order.get(s, len(order)))
    first = held[0]
    window = float(first["window_s"])
    remaining = round(max(0.0, wall + window - time.time()), 2)
    return {"id": ask.id, "track": track, "by": who, "asked_s": min(float(h["asked_s"]) for h in held),
            "sites": sites, "window_s": window, "remaining_s": remaining}  # fmt: skip


async def cluster_undo(
    svc: Service, desk: ActionDesk, held_id: str, principal: Principal, timeout_s: float
) -> dict[str, Any]:
    """Undo a held cancel in every region that holds it, before its window ends; as ``UndoOut``.
    404 if no region holds it any more (applied, or undone)."""
    engine, _ = svc.live()
    who = by(principal)
    ask = OperatorAsk(
        id=desk.new_id(), action="undo", site="*", by=who, asked=engine.clock.now(),
        deadline=time.time() + timeout_s, held=held_id,
    )  # fmt: skip
    answers = await _ask_every_region(svc, desk, ask, "undo", f"held:{held_id}", engine)
    done = [a for a in answers.values() if a["state"] == "done"]
    if not done:
        first = next(iter(answers.values()))
        raise HTTPException(int(first["status"]), str(first["reason"]))
    return {"id": held_id, "track": done[0]["track"], "undone_by": who}


async def _ask_every_region(
    svc: Service, desk: ActionDesk, ask: OperatorAsk, action: str, target: str, engine: Any
) -> dict[str, dict[str, Any]]:
    """``ask`` of every region's engine; 503 (audited as failed) if one does not answer in time."""
    try:
        return await asyncio.to_thread(desk.ask, ask, [p.id for p in svc.partitions()])
    except ActionFailed as exc:
        detail = {"note": ask.note} if ask.note else {}
        await asyncio.to_thread(engine.audit, engine.clock.now(), ask.by, action, target, "failed", str(exc),
                                {**detail, "status": 503})  # fmt: skip
        raise HTTPException(503, str(exc), headers=retry_headers(RETRY_S)) from exc
