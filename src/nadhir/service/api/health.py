"""``/api/v1/health``, ``/api/v1/basemap`` and ``/api/v1/admin/stats``: the service itself."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from nadhir.service import schemas
from nadhir.service.api.deps import API, Admin, Svc, err
from nadhir.service.bodies import StrictJsonRoute
from nadhir.service.feed import FEED
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
