"""``/api/v1/runs`` and ``/api/v1/runs/{run_id}``: the stored runs, and one run to replay."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path

from nadhir.service import schemas
from nadhir.service.api.deps import API, Reader, Svc, err
from nadhir.service.api.views import alert_out, run_out
from nadhir.service.bodies import StrictJsonRoute

router = APIRouter(route_class=StrictJsonRoute)


@router.get(
    f"{API}/runs", tags=["history"], response_model=list[schemas.RunOut], responses=err(401, 403, 429)
)
def runs(_: Reader, svc: Svc) -> list[dict[str, Any]]:
    if svc.store is None:
        raise HTTPException(503, "the service is starting")
    return [run_out(svc, r) for r in svc.store.list_runs()]


@router.get(
    f"{API}/runs/{{run_id}}",
    tags=["history"],
    response_model=schemas.RunReplayOut,
    responses=err(401, 403, 404, 429),
    summary="A stored run: its sites, track states and alerts",
)
def run_detail(run_id: Annotated[int, Path(ge=1, le=2**62)], _: Reader, svc: Svc) -> dict[str, Any]:
    store = svc.store
    if store is None:
        raise HTTPException(503, "the service is starting")
    try:
        info = store.run(run_id)
    except KeyError as exc:
        raise HTTPException(404, f"no run {run_id}") from exc
    states = store.track_states(run_id)
    alerts = store.alerts(run_id)
    times = [s.t for s in states] + [a.t for a in alerts]
    return {
        "run": run_out(svc, info),
        "start": min(times) if times else info.started_at,
        "end": max(times) if times else info.finished_at,
        "sites": [
            {
                "id": s.id,
                "name": s.name,
                "name_ar": s.name_ar,
                "kind": s.kind,
                "lat": s.lat,
                "lon": s.lon,
                "radius_m": s.radius_m,
            }
            for s in store.sites(run_id)
        ],
        "tracks": [
            {
                "t": s.t,
                "track": s.track,
                "lat": s.lat,
                "lon": s.lon,
                "speed_mps": s.speed_mps,
                "heading_deg": s.heading_deg,
                "aircraft": s.aircraft,
                "sigma_m": s.sigma_m,
                "confirmed": s.confirmed,
            }
            for s in states
        ],
        "alerts": [alert_out(svc, a) for a in alerts],
    }
