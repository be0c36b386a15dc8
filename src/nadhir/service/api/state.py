"""``/api/v1/{sites,sensors,observers,tracks}``: the live state (viewer and up)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException

from nadhir.service import schemas
from nadhir.service.api.deps import API, Reader, Svc, err
from nadhir.service.api.views import site_now
from nadhir.service.bodies import StrictJsonRoute
from nadhir.service.runtime import Service

router = APIRouter(route_class=StrictJsonRoute)
READ_ERRORS = err(401, 403, 429)


@router.get(f"{API}/sites", tags=["state"], response_model=list[schemas.SiteOut], responses=READ_ERRORS)
def sites(_: Reader, svc: Svc) -> list[dict[str, Any]]:
    return [site_now(svc, s) for s in svc.sites]


@router.get(
    f"{API}/sites/{{site}}", tags=["state"], response_model=schemas.SiteOut, responses=err(401, 403, 404, 429)
)
def site(site: str, _: Reader, svc: Svc) -> dict[str, Any]:
    if site not in svc.sites:
        raise HTTPException(404, f"no site {site!r}")
    return site_now(svc, site)


def _sources(svc: Service, kind: str) -> list[dict[str, Any]]:
    engine, _ = svc.live()
    return engine.core.source_list(kind)


@router.get(f"{API}/sensors", tags=["state"], response_model=list[schemas.SourceOut], responses=READ_ERRORS)
def sensors(_: Reader, svc: Svc) -> list[dict[str, Any]]:
    return _sources(svc, "sensor")


@router.get(f"{API}/observers", tags=["state"], response_model=list[schemas.SourceOut], responses=READ_ERRORS)
def observers(_: Reader, svc: Svc) -> list[dict[str, Any]]:
    return _sources(svc, "observer")


@router.get(f"{API}/tracks", tags=["state"], response_model=list[schemas.TrackOut], responses=READ_ERRORS)
def tracks(_: Reader, svc: Svc) -> list[dict[str, Any]]:
    engine, _i = svc.live()
    with engine.core.lock:
        return list(engine.core.track_views.values())
