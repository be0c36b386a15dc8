"""``/api/v1/alerts``: the alert history from the store."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query

from nadhir.service import schemas
from nadhir.service.api.deps import API, Reader, Svc, err
from nadhir.service.api.views import alert_out
from nadhir.service.bodies import StrictJsonRoute

router = APIRouter(route_class=StrictJsonRoute)


@router.get(
    f"{API}/alerts",
    tags=["history"],
    response_model=list[schemas.AlertOut],
    responses=err(401, 403, 404, 429),
    summary="Alert history from the store",
)
def alerts(
    _: Reader,
    svc: Svc,
    run: Annotated[int | None, Query(description="Run id; the live run if absent", ge=1, le=2**62)] = None,
    site: Annotated[str | None, Query(max_length=200)] = None,
    since: Annotated[float | None, Query(description="POSIX seconds", ge=0, le=1e11)] = None,
    until: Annotated[float | None, Query(description="POSIX seconds", ge=0, le=1e11)] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> list[dict[str, Any]]:
    store = svc.store
    run_id = run if run is not None else svc.run_id
    if store is None or run_id is None:
        raise HTTPException(503, "the service is starting")
    try:
        store.run(run_id)
    except KeyError as exc:
        raise HTTPException(404, f"no run {run_id}") from exc
    out = []
    for alert in store.alerts(run_id, since, until):
        if site is not None and alert.site != site:
            continue
        out.append(alert_out(svc, alert))
    return out[-limit:]
