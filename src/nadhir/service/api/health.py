"""``/api/v1/health``, ``/api/v1/basemap`` and ``/api/v1/admin/stats``: the service itself; and for
orchestrators and Prometheus, ``/healthz`` (the process answers), ``/readyz`` (it serves its role:
every check its started workers contribute passes, :meth:`Service.readiness`) and ``/metrics``.

The three are left out of the OpenAPI document (they are for probes and scrapers, not clients) and
need no token: they say nothing an outsider could use beyond counts.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from nadhir.service import schemas
from nadhir.service.api.deps import API, Admin, Svc, err
from nadhir.service.bodies import StrictJsonRoute
from nadhir.service.feed import FEED
from nadhir.service.metrics import CONTENT_TYPE
from nadhir.service.runtime import Service

router = APIRouter(route_class=StrictJsonRoute)


@router.get(
    f"{API}/basemap",
    tags=["map"],
    summary="The region's base map (GeoJSON)",
    response_model=schemas.BasemapOut,
)
def basemap(svc: Svc) -> JSONResponse:
    # Sent as it is (the model documents it): the file's members, in the file's order.
    return JSONResponse(svc.region.basemap)


@router.get(f"{API}/health", tags=["service"], response_model=schemas.HealthOut)
def health(svc: Svc) -> dict[str, Any]:
    engine = svc.engine
    state = engine.status() if engine is not None else {"status": "starting"}
    return {
        **state,
        "now": engine.core.now if engine is not None else None,
        "clock": engine.clock.now() if engine is not None else 0.0,
        "speed": engine.clock.speed if engine is not None else 1.0,
        "run_id": svc.run_id,
        "demo": svc.demo is not None,
        "delivery": delivery_health(svc),
    }


@router.get("/healthz", include_in_schema=False)
def healthz() -> dict[str, str]:
    """Alive: the process answers (an orchestrator restarts it when this stops answering)."""
    return {"status": "alive"}


@router.get("/readyz", include_in_schema=False)
def readyz(svc: Svc) -> JSONResponse:
    """Ready to serve this process's role: 200 when every check passes, else 503; both list them."""
    checks = svc.readiness()
    ready = all(c.ok for c in checks)
    body = {
        "ready": ready,
        "checks": [{"name": c.name, "ok": c.ok, "reason": c.reason, "state": c.state} for c in checks],
    }
    return JSONResponse(body, status_code=200 if ready else 503)


@router.get("/metrics", include_in_schema=False)
def metrics(svc: Svc) -> Response:
    """The Prometheus text exposition of this process's metrics."""
    return Response(svc.metrics.render(), media_type=CONTENT_TYPE)


def delivery_health(svc: Service) -> dict[str, Any] | None:
    """The outbox's counts, and the operator decisions rolled back because they could not be sent."""
    if svc.delivery is None:
        return None
    rolled_back = svc.engine.core.rolled_back if svc.engine is not None else 0
    return {**svc.delivery.health(), "rolled_back": rolled_back}


@router.get(
    f"{API}/admin/stats", tags=["service"], response_model=schemas.StatsOut, responses=err(401, 403, 429)
)
def stats(_: Admin, svc: Svc) -> dict[str, Any]:
    engine, _i = svc.live()
    s = engine.core.summary
    return {
        "accepted": engine.stats.accepted,
        "processed": engine.stats.processed,
        "queue": engine.queue_depth(),
        "stored_events": engine.stats.stored_events,
        "stored_tracks": engine.stats.stored_tracks,
        "stored_alerts": engine.stats.stored_alerts,
        "store_errors": engine.stats.store_errors,
        "rate_limited": dict(svc.limiter.refused),
        "feed_subscribers": svc.bus.subscribers(FEED),
        "events_by_kind": dict(s.events_by_kind),
        "rejected": dict(s.rejected),
        "late_events": s.late_events,
        "alerts": s.alerts,
        "episodes": s.episodes,
        "quarantined": engine.stats.quarantined,
        "quarantine_errors": engine.stats.quarantine_errors,
        "audit_errors": engine.stats.audit_errors,
        "restarts": engine.stats.restarts,
        "wire_errors": svc.wire.errors,
        "feed_errors": engine.core.feed_errors,
    }
