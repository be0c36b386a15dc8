"""``/api/v1/operator/sites/{site}/{confirm,cancel,alert,test-alarm}`` and the operator log (operator+)."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from fastapi import APIRouter, HTTPException

from nadhir.service import schemas
from nadhir.service.api.deps import API, Actor, Reader, Svc, by, engine_unavailable, err
from nadhir.service.api.views import alert_out
from nadhir.service.auth import Principal
from nadhir.service.bodies import StrictJsonRoute
from nadhir.service.live import EngineBusy
from nadhir.service.operator import OperatorActionError, manual_eta_problem
from nadhir.service.runtime import Service

router = APIRouter(route_class=StrictJsonRoute)

ACTION_TIMEOUT_S = 10.0
ERRORS = err(401, 403, 404, 409, 422, 429)
Result = schemas.OperatorResult


async def act(
    svc: Service,
    action: Literal["confirm", "cancel", "alert", "test_alarm"],
    site: str,
    principal: Principal,
    **kwargs: Any,
) -> dict[str, Any]:
    """Run one operator action on the engine's thread; the alerts it sent, as ``OperatorResult``."""
    engine, _ = svc.live()
    if site not in svc.sites and not (action == "test_alarm" and site == "all"):
        raise HTTPException(404, f"no site {site!r}")
    site_id = "*" if site == "all" else site
    who = by(principal)
    holder: dict[str, float] = {}

    def run() -> list[Any]:
        now = engine.clock.now()
        holder["t"] = now
        return engine.core.operator_action(action, site_id, who, now, **kwargs)

    try:
        sent = await asyncio.wait_for(asyncio.wrap_future(engine.call(run)), ACTION_TIMEOUT_S)
    except OperatorActionError as exc:
        raise HTTPException(exc.status, str(exc)) from exc
    except EngineBusy as exc:
        raise engine_unavailable(exc) from exc
    except TimeoutError as exc:
        raise HTTPException(503, "the engine did not answer in time") from exc
    return {
        "action": action,
        "site": site,
        "by": who,
        "t": holder.get("t", 0.0),
        "alerts": [alert_out(svc, a) for a in sent],
    }


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
