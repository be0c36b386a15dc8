"""``/api/v1/kiosk/{site}`` and its SSE feed: one site, public unless the settings say otherwise."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import StreamingResponse

from nadhir.service import schemas
from nadhir.service.api.deps import API, Credentials, Svc, err, kiosk_access
from nadhir.service.api.feeds import SSE_RESPONSE, sse_response
from nadhir.service.api.views import site_now
from nadhir.service.bodies import StrictJsonRoute

router = APIRouter(route_class=StrictJsonRoute)


@router.get(
    f"{API}/kiosk/{{site}}",
    tags=["kiosk"],
    response_model=schemas.KioskOut,
    responses=err(401, 404, 429),
    summary="One site's status and its shelter instructions",
)
def kiosk(site: str, request: Request, creds: Credentials, svc: Svc) -> dict[str, Any]:
    kiosk_access(svc, request, creds.credentials if creds else None)
    if site not in svc.sites:
        raise HTTPException(404, f"no site {site!r}")
    engine = svc.engine
    return {
        "site": site_now(svc, site),
        "instructions": svc.region.instructions(site),
        "now": engine.core.now if engine is not None else None,
        "clock": engine.clock.now() if engine is not None else 0.0,
        "speed": engine.clock.speed if engine is not None else 1.0,
        "tz": svc.settings.alert_tz,
    }


@router.get(
    f"{API}/kiosk/{{site}}/sse",
    tags=["kiosk"],
    response_class=StreamingResponse,
    responses=SSE_RESPONSE | err(401, 404, 429),
    summary="One site's feed as server-sent events",
)
async def kiosk_sse(
    site: str,
    request: Request,
    creds: Credentials,
    svc: Svc,
    token: Annotated[str | None, Query(max_length=200, description="For EventSource")] = None,
) -> StreamingResponse:
    kiosk_access(svc, request, creds.credentials if creds else token)
    if site not in svc.sites:
        raise HTTPException(404, f"no site {site!r}")
    svc.live()
    return sse_response(svc, site)
