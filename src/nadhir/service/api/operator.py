"""Operator actions (operator+): ``/api/v1/operator/sites/{site}/{confirm,cancel,alert,test-alarm}``,
``/operator/tracks/{track}/cancel`` (everywhere, held for an undo window) and ``/operator/held/{id}/undo``;
the operator log and the audit trail.

Every action asked for here, accepted or refused, is a row in the audit table (:mod:`nadhir.store.audit`).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query

from nadhir.service import schemas
from nadhir.service.api.deps import API, Actor, Reader, Svc, by, engine_unavailable, err
from nadhir.service.api.operator_cluster import cluster_act, cluster_cancel_track, cluster_undo
from nadhir.service.api.views import alert_out
from nadhir.service.auth import Principal
from nadhir.service.bodies import StrictJsonRoute
from nadhir.service.live import EngineBusy, LiveEngine
from nadhir.service.operator import OperatorActionError, manual_eta_problem
from nadhir.service.runtime import Service

router = APIRouter(route_class=StrictJsonRoute)

ACTION_TIMEOUT_S = 10.0
ERRORS = err(401, 403, 404, 409, 422, 429)
Result = schemas.OperatorResult


async def audited(
    engine: LiveEngine,
    who: str,
    action: str,
    target: str,
    asked: dict[str, Any],
    answer: Callable[[], Awaitable[dict[str, Any]]],
    result: Literal["accepted", "held"] = "accepted",
) -> dict[str, Any]:
    """``answer()``, with its outcome put in the audit table: accepted (or held) with what it did,
    refused (4xx) or failed (5xx) with the reason. The row is written before the answer goes back."""
    try:
        out = await answer()
    except HTTPException as exc:
        outcome: Literal["refused", "failed"] = "refused" if exc.status_code < 500 else "failed"
        detail = {**asked, "status": exc.status_code}
        await asyncio.to_thread(
            engine.audit, engine.clock.now(), who, action, target, outcome, str(exc.detail), detail
        )
        raise
    done = {**asked, **{k: v for k, v in out.items() if k not in ("action", "site", "by")}}
    await asyncio.to_thread(engine.audit, engine.clock.now(), who, action, target, result, None, done)
    return out


async def on_engine(engine: LiveEngine, run: Callable[[], Any]) -> Any:
    """Run ``run`` on the engine's thread; its errors as HTTP answers."""
    try:
        return await asyncio.wait_for(asyncio.wrap_future(engine.call(run)), ACTION_TIMEOUT_S)
    except OperatorActionError as exc:
        raise HTTPException(exc.status, str(exc)) from exc
    except EngineBusy as exc:
        raise engine_unavailable(exc) from exc
    except TimeoutError as exc:
        raise HTTPException(503, "the engine did not answer in time") from exc


async def act(
    svc: Service,
    action: Literal["confirm", "cancel", "alert", "test_alarm"],
    site: str,
    principal: Principal,
    **kwargs: Any,
) -> dict[str, Any]:
    """Run one operator action on the engine's thread; the alerts it sent, as ``OperatorResult``.
    In the console role, on the engine of the site's region, through its stream."""
    if svc.action_desk is not None:
        return await cluster_act(svc, svc.action_desk, action, site, principal, ACTION_TIMEOUT_S, **kwargs)
    engine, _ = svc.live()
    who = by(principal)
    asked = {k: v for k, v in kwargs.items() if v is not None}

    async def answer() -> dict[str, Any]:
        if site not in svc.sites and not (action == "test_alarm" and site == "all"):
            raise HTTPException(404, f"no site {site!r}")
        site_id = "*" if site == "all" else site
        holder: dict[str, float] = {}

        def run() -> list[Any]:
            now = engine.clock.now()
            holder["t"] = now
            return engine.core.operator_action(action, site_id, who, now, **kwargs)

        sent = await on_engine(engine, run)
        return {
            "action": action,
            "site": site,
            "by": who,
            "t": holder.get("t", 0.0),
            "alerts": [alert_out(svc, a) for a in sent],
        }

    return await audited(engine, who, action, site, asked, answer)


@router.post(
    f"{API}/operator/sites/{{site}}/confirm",
    tags=["operator"],
    response_model=Result,
    responses=ERRORS,
    summary="Confirm the alert at a site",
)
async def confirm(
    site: str, principal: Actor, svc: Svc, body: schemas.OperatorNoteIn | None = None
) -> dict[str, Any]:
    return await act(svc, "confirm", site, principal, note=body.note if body else None)


@router.post(
    f"{API}/operator/sites/{{site}}/cancel",
    tags=["operator"],
    response_model=Result,
    responses=ERRORS,
    summary="Cancel the alert at a site: an all-clear goes out",
)
async def cancel(
    site: str, principal: Actor, svc: Svc, body: schemas.OperatorNoteIn | None = None
) -> dict[str, Any]:
    return await act(svc, "cancel", site, principal, note=body.note if body else None)


@router.post(
    f"{API}/operator/sites/{{site}}/alert",
    tags=["operator"],
    response_model=Result,
    responses=ERRORS,
    summary="Raise an alert for a site by hand",
)
async def manual_alert(
    site: str, principal: Actor, svc: Svc, body: schemas.OperatorAlertIn | None = None
) -> dict[str, Any]:
    body = body or schemas.OperatorAlertIn()
    engine, _ = svc.live()
    # Checked here against the clock as well as in the engine: a bad time is a 422 at once.
    problem = manual_eta_problem(body.eta_s, engine.clock.now())
    if problem is not None:
        await asyncio.to_thread(engine.audit, engine.clock.now(), by(principal), "alert", site, "refused",
                                problem, body.model_dump(exclude_none=True))  # fmt: skip
        raise HTTPException(422, problem)
    return await act(
        svc,
        "alert",
        site,
        principal,
        level=body.level,
        aircraft=body.aircraft,
        eta=body.eta_s,
        note=body.note,
    )


@router.post(
    f"{API}/operator/sites/{{site}}/test-alarm",
    tags=["operator"],
    response_model=Result,
    responses=ERRORS,
    summary="Sound a test alarm at a site's kiosks (site 'all': every site)",
)
async def test_alarm(
    site: str, principal: Actor, svc: Svc, body: schemas.OperatorNoteIn | None = None
) -> dict[str, Any]:
    return await act(svc, "test_alarm", site, principal, note=body.note if body else None)


@router.get(
    f"{API}/operator/log",
    tags=["operator"],
    response_model=list[schemas.OperatorLogEntry],
    responses=err(401, 403, 429),
    summary="Operator actions since the service started",
)
def operator_log(_: Reader, svc: Svc) -> list[dict[str, Any]]:
    engine, _i = svc.live()
    with engine.core.lock:
        return list(engine.core.operator_log)


@router.post(
    f"{API}/operator/tracks/{{track}}/cancel",
    tags=["operator"],
    response_model=schemas.HeldCancelOut,
    status_code=202,
    responses=ERRORS,
    summary="Cancel a track's alerts at every site, after an undo window",
)
async def cancel_track(
    track: str, principal: Actor, svc: Svc, body: schemas.OperatorNoteIn | None = None
) -> dict[str, Any]:
    """The all-clears of every site the track alerts go out when the undo window
    (``window_s``, wall seconds) has passed, unless ``/operator/held/{id}/undo`` comes first; the
    alerts stand meanwhile. The track is then ignored at every site for 20 minutes."""
    if svc.action_desk is not None:
        note_text = body.note if body is not None else None
        return await cluster_cancel_track(svc, svc.action_desk, track, principal, ACTION_TIMEOUT_S, note_text)
    engine, _ = svc.live()
    who = by(principal)

    async def answer() -> dict[str, Any]:
        def run() -> dict[str, Any]:
            held = engine.core.hold_cancel_track(track, who, engine.clock.now(), engine.wall())
            return held.view(engine.wall())

        out: dict[str, Any] = await on_engine(engine, run)
        return out

    note = {"note": body.note} if body is not None and body.note else {}
    return await audited(engine, who, "cancel_track", f"track:{track}", note, answer, result="held")


@router.post(
    f"{API}/operator/held/{{held_id}}/undo",
    tags=["operator"],
    response_model=schemas.UndoOut,
    responses=ERRORS,
    summary="Undo a held cancel before its window ends: nothing is sent",
)
async def undo(held_id: str, principal: Actor, svc: Svc) -> dict[str, Any]:
    if svc.action_desk is not None:
        return await cluster_undo(svc, svc.action_desk, held_id, principal, ACTION_TIMEOUT_S)
    engine, _ = svc.live()
    who = by(principal)

    async def answer() -> dict[str, Any]:
        held = await on_engine(engine, lambda: engine.core.undo_held(held_id, who, engine.clock.now()))
        return {"id": held.id, "track": held.track, "undone_by": who}

    return await audited(engine, who, "undo", f"held:{held_id}", {}, answer)


@router.get(
    f"{API}/operator/held",
    tags=["operator"],
    response_model=list[schemas.HeldCancelOut],
    responses=err(401, 403, 429),
    summary="Cancels waiting for their undo window to end",
)
def held(_: Reader, svc: Svc) -> list[dict[str, Any]]:
    engine, _i = svc.live()
    return engine.core.held_views(engine.wall())


@router.get(
    f"{API}/operator/audit",
    tags=["operator"],
    response_model=list[schemas.AuditOut],
    responses=err(401, 403, 422, 429),
    summary="The audit trail: every operator action, accepted or refused, newest first (kept in the store)",
)
def audit(
    _: Actor,
    svc: Svc,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    since: Annotated[float | None, Query(description="POSIX seconds", ge=0, le=1e11)] = None,
    who: Annotated[str | None, Query(max_length=200, description="role:token name")] = None,
) -> list[dict[str, Any]]:
    engine, _i = svc.live()
    if engine.audit_book is None:
        return []
    return [dataclasses.asdict(e) for e in engine.audit_book.recent(limit, since, who)]
